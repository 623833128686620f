// Reproducible tar.gz of a directory: entries sorted, only regular files and directories (symlinks
// and devices dropped), owners zeroed, times zeroed, modes normalised (0600 files, 0700
// executables, 0750 directories, as Flux), gzip without a timestamp. The same tree always gives the
// same bytes, so the sha256 digest identifies the content.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { IgnoreFilter } from './ignore.js';

export interface ArchiveResult {
  /** `sha256:<hex>` of the compressed bytes. */
  digest: string;
  size: number;
  files: number;
}

interface Entry {
  rel: string;
  dir: boolean;
  size: number;
  mode: number;
}

const BLOCK = 512;

async function collect(
  root: string,
  filter: IgnoreFilter | undefined,
  rel = '',
  out: Entry[] = [],
): Promise<Entry[]> {
  const names = (await readdir(join(root, rel))).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, childRel));
    if (st.isDirectory()) {
      if (filter?.ignores(`${childRel}/`)) continue;
      out.push({ rel: childRel, dir: true, size: 0, mode: 0o750 });
      await collect(root, filter, childRel, out);
    } else if (st.isFile()) {
      if (filter?.ignores(childRel)) continue;
      out.push({ rel: childRel, dir: false, size: st.size, mode: st.mode & 0o100 ? 0o700 : 0o600 });
    }
    // symlinks, sockets, devices: never archived
  }
  return out;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mode: number, type: '0' | '5' | 'x'): Buffer {
  const b = Buffer.alloc(BLOCK);
  const write = (s: string, off: number, len: number) =>
    b.write(s, off, Math.min(len, Buffer.byteLength(s)), 'utf8');
  const { prefix, base } = splitName(name) ?? { prefix: '', base: name.slice(-100) };
  write(base, 0, 100);
  write(octal(mode, 8), 100, 8);
  write(octal(0, 8), 108, 8);
  write(octal(0, 8), 116, 8);
  write(octal(size, 12), 124, 12);
  write(octal(0, 12), 136, 12);
  b.fill(' ', 148, 156);
  write(type, 156, 1);
  write('ustar\0', 257, 6);
  write('00', 263, 2);
  write(prefix, 345, 155);
  let sum = 0;
  for (const byte of b) sum += byte;
  write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return b;
}

/** A PAX record carrying the full path when it does not fit the ustar name/prefix fields. */
function paxPath(name: string): Buffer[] {
  const body = ` path=${name}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (`${len}${body}`.length !== len) len = Buffer.byteLength(`${len}${body}`);
  const record = Buffer.from(`${len}${body}`);
  return [
    header(`PaxHeaders/${posix.basename(name).slice(0, 80)}`, record.length, 0o600, 'x'),
    record,
    padding(record.length),
  ];
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest ? BLOCK - rest : 0);
}

/** The ustar name/prefix split of a path, or undefined when it needs a PAX record. */
function splitName(name: string): { prefix: string; base: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', base: name };
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  const cut = trimmed.lastIndexOf('/', 155);
  if (cut <= 0) return undefined;
  const prefix = name.slice(0, cut);
  const base = name.slice(cut + 1);
  return Buffer.byteLength(base) <= 100 && Buffer.byteLength(prefix) <= 155 ? { prefix, base } : undefined;
}

/** Small files are read whole; larger ones streamed. */
const WHOLE_FILE_LIMIT = 4 * 1024 * 1024;
/** Output is handed to gzip in batches of about this size: thousands of tiny chunks cost more than the compression. */
const BATCH = 1024 * 1024;

async function* fileChunks(path: string, size: number): AsyncGenerator<Buffer> {
  if (size <= WHOLE_FILE_LIMIT) {
    yield await readFile(path);
    return;
  }
  for await (const chunk of createReadStream(path)) yield chunk as Buffer;
}

async function* tarEntries(root: string, entries: Entry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const name = e.dir ? `${e.rel}/` : e.rel;
    if (!splitName(name)) yield* paxPath(name);
    yield header(name, e.size, e.mode, e.dir ? '5' : '0');
    if (e.dir) continue;
    let written = 0;
    for await (const buf of fileChunks(join(root, e.rel), e.size)) {
      // A file that grew while archiving would corrupt the tar; never write past the header size.
      const take = buf.subarray(0, Math.max(0, e.size - written));
      written += take.length;
      yield take;
    }
    if (written < e.size) throw new Error(`file ${e.rel} shrank while it was archived`);
    yield padding(e.size);
  }
  yield Buffer.alloc(BLOCK * 2);
}

async function* tarStream(root: string, entries: Entry[]): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let size = 0;
  for await (const chunk of tarEntries(root, entries)) {
    pending.push(chunk);
    size += chunk.length;
    if (size >= BATCH) {
      yield Buffer.concat(pending, size);
      pending = [];
      size = 0;
    }
  }
  if (size) yield Buffer.concat(pending, size);
}

/** Writes the archive of `root` to `dest` atomically (temp file + rename) and returns its digest. */
export async function archiveDirectory(
  root: string,
  dest: string,
  filter?: IgnoreFilter,
): Promise<ArchiveResult> {
  const entries = await collect(root, filter);
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  try {
    await pipeline(
      Readable.from(tarStream(root, entries)),
      createGzip({ level: 6 }),
      measure,
      createWriteStream(tmp, { mode: 0o600 }),
    );
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size, files: entries.filter((e) => !e.dir).length };
}
