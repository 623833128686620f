// Safe extraction of an artifact (Flux: fluxcd/pkg tar.Untar). The tar format (ustar, GNU long
// names, pax) is parsed here rather than by the `tar` package: its parser was 1.8-2.4x slower on a
// kube-prometheus-sized artifact (bench/fetch, docs/architecture.md). Stricter than Flux, on purpose:
//   - Only regular files and directories are written. Symlink entries are skipped (as Flux does);
//     hard links, devices, FIFOs and unknown entry types are refused (Flux writes a hard link as an
//     empty regular file and refuses the rest).
//   - Entry names (after pax and GNU long-name headers are applied) must be relative, without `..`
//     components, backslashes or NUL. Nothing is written through a symlink: every directory on the
//     way is lstat'ed and files are opened with O_NOFOLLOW, so even a destDir holding symlinks
//     cannot be escaped.
//   - Limits (Flux's kustomize-controller extracts without a cap): total file bytes (checked
//     against each header before writing), entry count, single-file size, extended-header size
//     and run length. File modes are normalised to 0644/0755; owners and mtimes are not restored.
// On an error destDir may hold part of the archive; callers extract into a temp dir they remove.
import {
  closeSync,
  constants,
  createReadStream,
  lstatSync,
  mkdirSync,
  openSync,
  writeFileSync,
} from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ArtifactFetchError } from './fetcherror.js';

export interface ExtractLimits {
  maxBytes: number;
  maxEntries: number;
  maxFileBytes: number;
}

export interface ExtractSummary {
  files: number;
  directories: number;
  /** Total bytes of the files written. */
  bytes: number;
  /** Entries skipped (symlinks), by name. */
  skipped: string[];
}

export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 100_000;

/** Reads exact byte counts from an async stream of chunks. */
class ChunkReader {
  private pending: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly source: AsyncIterator<Buffer>) {}

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.source.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.pending = this.pending.length === 0 ? next.value : Buffer.concat([this.pending, next.value]);
    return true;
  }

  /** Exactly n bytes; undefined at a clean end of stream; throws on a partial read. */
  async read(n: number, what: string): Promise<Buffer | undefined> {
    while (this.pending.length < n) {
      if (!(await this.more())) {
        if (this.pending.length === 0) return undefined;
        throw malformed(`unexpected end of archive in ${what}`);
      }
    }
    const out = this.pending.subarray(0, n);
    this.pending = this.pending.subarray(n);
    return out;
  }

  /** Passes the next n bytes to sink, chunk by chunk, without buffering them all. */
  async pipe(n: number, what: string, sink: (chunk: Buffer) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.pending.length === 0 && !(await this.more()))
        throw malformed(`unexpected end of archive in ${what}`);
      const take = Math.min(left, this.pending.length);
      const chunk = this.pending.subarray(0, take);
      this.pending = this.pending.subarray(take);
      left -= take;
      await sink(chunk);
    }
  }
}

function malformed(message: string): ArtifactFetchError {
  return new ArtifactFetchError('UnsafeArchive', `malformed archive: ${message}`);
}

function unsafe(entry: string, why: string): ArtifactFetchError {
  return new ArtifactFetchError('UnsafeArchive', `archive entry ${JSON.stringify(entry)} refused: ${why}`);
}

const BLOCK = 512;
/** Cap on one pax or GNU long-name header's data. */
const MAX_META_BYTES = 1024 * 1024;
/** Cap on metadata headers before one real entry. */
const MAX_META_RUN = 16;

interface Header {
  name: string;
  mode: number;
  size: number;
  type: string;
  linkname: string;
}

function cString(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? field.length : nul).toString('utf8');
}

function parseNumeric(b: Buffer, start: number, len: number, what: string): number {
  const field = b.subarray(start, start + len);
  if ((field[0]! & 0x80) !== 0) {
    // GNU base-256: big-endian two's complement; a negative or > 2^53 size is refused.
    if ((field[0]! & 0x40) !== 0) throw malformed(`negative ${what} in a tar header`);
    let v = field[0]! & 0x3f;
    for (let i = 1; i < field.length; i++) {
      v = v * 256 + field[i]!;
      if (v > Number.MAX_SAFE_INTEGER) throw malformed(`${what} too large in a tar header`);
    }
    return v;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw malformed(`invalid ${what} ${JSON.stringify(text)} in a tar header`);
  return Number.parseInt(text, 8);
}

function parseHeader(b: Buffer): Header {
  const stored = parseNumeric(b, 148, 8, 'checksum');
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== unsigned && stored !== signed) throw malformed('tar header checksum mismatch');
  let name = cString(b, 0, 100);
  // POSIX ustar keeps a name prefix; GNU's "ustar  " uses those bytes for other things.
  if (b.subarray(257, 263).toString('latin1') === 'ustar\0') {
    const prefix = cString(b, 345, 155);
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  return {
    name,
    mode: parseNumeric(b, 100, 8, 'mode'),
    size: parseNumeric(b, 124, 12, 'size'),
    type: String.fromCharCode(b[156]!),
    linkname: cString(b, 157, 100),
  };
}

/** pax extended header records: "<len> <key>=<value>\n". */
function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) throw malformed('invalid pax header');
    const len = Number.parseInt(data.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isSafeInteger(len) || len <= space - pos || pos + len > data.length)
      throw malformed('invalid pax header');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq < 0 || data[pos + len - 1] !== 0x0a) throw malformed('invalid pax header');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

/** The entry name as path components under destDir; [] for the root itself. */
function safeComponents(name: string): string[] {
  if (name.includes('\0')) throw unsafe(name, 'the name contains NUL');
  if (name.includes('\\')) throw unsafe(name, 'the name contains a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafe(name, 'absolute path');
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw unsafe(name, "the path contains '..'");
  return parts;
}

/**
 * Extracts the gzip-compressed tar `file` into `destDir` under the limits. Exported for callers
 * that already hold a verified archive.
 *
 * @throws ArtifactFetchError ArtifactTooLarge, UnsafeArchive or DownloadFailed (local I/O).
 */
export async function extractArchive(
  file: string,
  destDir: string,
  limits: ExtractLimits,
  signal?: AbortSignal,
): Promise<ExtractSummary> {
  await mkdir(destDir, { recursive: true });
  const root = await realpath(destDir);
  const input = createReadStream(file);
  const gunzip = createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  const reader = new ChunkReader(gunzip[Symbol.asyncIterator]());
  const summary: ExtractSummary = { files: 0, directories: 0, bytes: 0, skipped: [] };
  const dirs = new Set<string>([root]);
  try {
    await extractEntries(reader, root, limits, summary, dirs, signal);
    return summary;
  } catch (err) {
    if (err instanceof ArtifactFetchError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED') {
      throw malformed(`not a gzip-compressed tar: ${(err as Error).message}`);
    }
    if (signal?.aborted) throw err;
    throw new ArtifactFetchError(
      'DownloadFailed',
      `failed to extract archive: ${(err as Error).message}`,
      err,
    );
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

async function extractEntries(
  reader: ChunkReader,
  root: string,
  limits: ExtractLimits,
  summary: ExtractSummary,
  dirs: Set<string>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let entries = 0;
  let dataBytes = 0;
  let metaRun = 0;
  let longName: string | undefined;
  let pax = new Map<string, string>();

  const readMeta = async (size: number, what: string): Promise<Buffer> => {
    if (size > MAX_META_BYTES) throw malformed(`${what} of ${size} bytes is too large`);
    const data = (await reader.read(size, what)) ?? Buffer.alloc(0);
    await skipPadding(reader, size, what);
    return data;
  };

  for (;;) {
    signal?.throwIfAborted();
    const block = await reader.read(BLOCK, 'a tar header');
    if (block === undefined || block.every((b) => b === 0)) return; // end of archive
    const h = parseHeader(block);

    if (h.type === 'x' || h.type === 'g' || h.type === 'L' || h.type === 'K') {
      if (++metaRun > MAX_META_RUN) throw malformed('too many consecutive extended headers');
      const data = await readMeta(
        h.size,
        h.type === 'x' || h.type === 'g' ? 'a pax header' : 'a GNU long name',
      );
      if (h.type === 'x') pax = parsePax(data);
      else if (h.type === 'L') longName = cString(data, 0, data.length);
      // Global pax headers and GNU long link names carry nothing we use.
      continue;
    }
    metaRun = 0;
    const name = pax.get('path') ?? longName ?? h.name;
    const paxSize = pax.get('size');
    const size = paxSize === undefined ? h.size : Number(paxSize);
    pax = new Map();
    longName = undefined;
    if (!Number.isSafeInteger(size) || size < 0)
      throw malformed(`invalid size for entry ${JSON.stringify(name)}`);

    if (++entries > limits.maxEntries) {
      throw new ArtifactFetchError(
        'ArtifactTooLarge',
        `archive has more than ${limits.maxEntries} entries (at ${JSON.stringify(name)})`,
      );
    }
    dataBytes += size;
    if (dataBytes > limits.maxBytes) {
      throw new ArtifactFetchError(
        'ArtifactTooLarge',
        `archive entry ${JSON.stringify(name)} takes the extracted size over the maximum of ${limits.maxBytes} bytes`,
      );
    }

    const isDir = h.type === '5' || ((h.type === '0' || h.type === '\0') && name.endsWith('/'));
    if (isDir) {
      ensureDir(root, safeComponents(name), name, dirs);
      summary.directories++;
      await skipData(reader, size, name);
    } else if (h.type === '0' || h.type === '\0' || h.type === '7') {
      if (size > limits.maxFileBytes) {
        throw new ArtifactFetchError(
          'ArtifactTooLarge',
          `archive entry ${JSON.stringify(name)} is ${size} bytes, over the maximum file size of ${limits.maxFileBytes} bytes`,
        );
      }
      const parts = safeComponents(name);
      if (parts.length === 0) throw unsafe(name, 'a file cannot replace the destination directory');
      await writeFile(reader, root, parts, name, size, h.mode, dirs);
      summary.files++;
      summary.bytes += size;
    } else if (h.type === '2') {
      safeComponents(name); // an unsafe name is refused even on an entry we skip
      summary.skipped.push(name);
      await skipData(reader, size, name);
    } else if (h.type === '1') {
      throw unsafe(name, `hard links are not allowed (to ${JSON.stringify(h.linkname)})`);
    } else if (h.type === '3' || h.type === '4' || h.type === '6') {
      throw unsafe(name, `${h.type === '6' ? 'FIFOs' : 'device files'} are not allowed`);
    } else {
      throw unsafe(name, `unsupported tar entry type ${JSON.stringify(h.type)}`);
    }
  }
}

async function skipPadding(reader: ChunkReader, size: number, what: string): Promise<void> {
  const pad = (BLOCK - (size % BLOCK)) % BLOCK;
  if (pad > 0) await reader.read(pad, what);
}

async function skipData(reader: ChunkReader, size: number, name: string): Promise<void> {
  await reader.pipe(size, `entry ${JSON.stringify(name)}`, async () => {});
  await skipPadding(reader, size, `entry ${JSON.stringify(name)}`);
}

/**
 * Creates root/parts… one level at a time, refusing anything on the way that is not a real
 * directory. Synchronous, as the small-file writes below: new directories are few and cheap.
 */
export function ensureDir(root: string, parts: readonly string[], entry: string, dirs: Set<string>): string {
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    if (dirs.has(dir)) continue;
    let st = lstatSync(dir, { throwIfNoEntry: false });
    if (st === undefined) {
      try {
        mkdirSync(dir, { mode: 0o755 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = lstatSync(dir);
    }
    if (st.isSymbolicLink())
      throw unsafe(entry, `the path goes through a symlink at ${JSON.stringify(part)}`);
    if (!st.isDirectory()) throw unsafe(entry, `${JSON.stringify(part)} exists and is not a directory`);
    dirs.add(dir);
  }
  return dir;
}

/**
 * Files up to this size are read whole and written with synchronous calls. An artifact of a
 * fleet holds thousands of small files; three thread-pool round trips per file made extracting
 * 10,000 of them take 4–7 s on a busy controller. Bigger files stream as before.
 */
const SYNC_WRITE_MAX_BYTES = 256 * 1024;

function refusedOpen(err: unknown, name: string): never {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') throw unsafe(name, 'the destination is a symlink');
  if (code === 'EISDIR') throw unsafe(name, 'the destination is a directory');
  throw err;
}

async function writeFile(
  reader: ChunkReader,
  root: string,
  parts: readonly string[],
  name: string,
  size: number,
  mode: number,
  dirs: Set<string>,
): Promise<void> {
  const parent = ensureDir(root, parts.slice(0, -1), name, dirs);
  const path = join(parent, parts[parts.length - 1]!);
  if (dirs.has(path)) throw unsafe(name, 'a directory of the same name was extracted before');
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  const fileMode = mode & 0o111 ? 0o755 : 0o644;
  const what = `entry ${JSON.stringify(name)}`;
  if (size <= SYNC_WRITE_MAX_BYTES) {
    const data = size === 0 ? Buffer.alloc(0) : await reader.read(size, what);
    if (data === undefined) throw malformed(`unexpected end of archive in ${what}`);
    let fd: number;
    try {
      fd = openSync(path, flags, fileMode);
    } catch (err) {
      refusedOpen(err, name);
    }
    try {
      writeFileSync(fd, data);
    } finally {
      closeSync(fd);
    }
  } else {
    const fh = await open(path, flags, fileMode).catch((err: unknown) => refusedOpen(err, name));
    try {
      await reader.pipe(size, what, async (chunk) => {
        await fh.write(chunk);
      });
    } finally {
      await fh.close();
    }
  }
  await skipPadding(reader, size, what);
}
