// Reproducible tar.gz of a source tree (tree.ts): entries in a fixed order, only regular files and
// directories, owners and times zeroed, modes normalised (0600 files, 0700 executables, 0750
// directories, as Flux), gzip without a timestamp (pgzip.ts). The same tree always gives the same
// bytes, so the sha256 digest identifies the content.
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import type { IgnoreFilter } from './ignore.js';
import { ParallelGzip } from './pgzip.js';
import { ByteReader, DirectoryTree, type SourceTree, type TreeEntry } from './tree.js';

export interface ArchiveResult {
  /** `sha256:<hex>` of the compressed bytes. */
  digest: string;
  size: number;
  files: number;
}

const BLOCK = 512;
/**
 * Level 1 compressed in parallel: a 40 MB tree archives about 6× faster than single-threaded
 * level 6, for an artifact about 10% larger — artifacts travel inside the cluster, the reconcile
 * is waited on.
 */
const GZIP_LEVEL = 1;

/**
 * The entries the archive holds: everything but what the ignore rules exclude, and nothing
 * inside an excluded directory.
 */
function selectEntries(entries: TreeEntry[], filter: IgnoreFilter | undefined): TreeEntry[] {
  if (!filter) return entries;
  const excludedDirs = new Set<string>();
  const insideExcluded = (path: string) => {
    for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
      if (excludedDirs.has(path.slice(0, cut))) return true;
    }
    return false;
  };
  return entries.filter((e) => {
    if (insideExcluded(e.path)) return false;
    if (!filter.ignores(e.dir ? `${e.path}/` : e.path)) return true;
    if (e.dir) excludedDirs.add(e.path);
    return false;
  });
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

/** Tar bytes handed to the compressor at once. */
const BATCH = 1024 * 1024;

async function* tarStream(tree: SourceTree, entries: TreeEntry[]): AsyncGenerator<Buffer> {
  const contents = new ByteReader(tree.contents(entries.filter((e) => !e.dir)));
  let pending: Buffer[] = [];
  let size = 0;
  const add = (b: Buffer) => {
    pending.push(b);
    size += b.length;
  };
  const flush = () => {
    const batch = Buffer.concat(pending, size);
    pending = [];
    size = 0;
    return batch;
  };
  for (const e of entries) {
    const name = e.dir ? `${e.path}/` : e.path;
    if (!splitName(name)) for (const b of paxPath(name)) add(b);
    const mode = e.dir ? 0o750 : e.executable ? 0o700 : 0o600;
    add(header(name, e.size, mode, e.dir ? '5' : '0'));
    if (e.dir) continue;
    for await (const chunk of contents.take(e.size)) {
      add(chunk);
      if (size >= BATCH) yield flush();
    }
    add(padding(e.size));
  }
  add(Buffer.alloc(BLOCK * 2));
  yield flush();
}

/** Writes the archive of `tree` to `dest` atomically (temp file + rename) and returns its digest. */
export async function archiveTree(
  tree: SourceTree,
  dest: string,
  filter?: IgnoreFilter,
): Promise<ArchiveResult> {
  const entries = selectEntries(await tree.entries(), filter);
  const hash = createHash('sha256');
  let size = 0;
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  const out = await open(tmp, 'wx', 0o600);
  try {
    const gzip = new ParallelGzip(
      async (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        await out.write(chunk);
      },
      { level: GZIP_LEVEL },
    );
    for await (const chunk of tarStream(tree, entries)) await gzip.write(chunk);
    await gzip.end();
    await out.close();
    await rename(tmp, dest);
  } catch (err) {
    await out.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size, files: entries.filter((e) => !e.dir).length };
}

/** archiveTree of a directory on disk. */
export function archiveDirectory(root: string, dest: string, filter?: IgnoreFilter): Promise<ArchiveResult> {
  return archiveTree(new DirectoryTree(root), dest, filter);
}
