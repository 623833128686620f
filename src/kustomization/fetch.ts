// Artifact download and safe extraction, the consumer side of the source-controller's artifact
// server (Flux: kustomize-controller → fluxcd/pkg http/fetch ArchiveFetcher + tar.Untar).
//
// As Flux: GET with retries on connection errors, 429 and 5xx (not 501), exponential backoff from
// 5s capped at 30s, `--http-retry` 9 retries; 404 is not retried (ArtifactNotFound); the body goes
// to a temp file and its digest (`sha256:<hex>`, a bare hex meaning sha256) is verified before a
// single byte is extracted; the host can be overridden (SOURCE_CONTROLLER_LOCALHOST); symlinks in
// the archive are skipped.
//
// Where we are stricter than Flux, on purpose (the archive is untrusted input):
//   - Only regular files and directories are written. Symlink entries are skipped (as Flux does);
//     hard links, devices, FIFOs and unknown entry types are refused (Flux writes a hard link as an
//     empty regular file and refuses the rest).
//   - Entry names must be relative, without `..` components, backslashes or NUL; the tar is
//     parsed here (ustar, GNU long names, pax) so every name is checked after long-name headers
//     are applied. Nothing is written through a symlink: every directory on the way is lstat'ed
//     and files are opened with O_NOFOLLOW, so even a destDir holding symlinks cannot be escaped.
//   - Limits (Flux's kustomize-controller extracts without a cap): total file bytes (maxBytes,
//     checked against each header before writing), entry count, single-file size, and the
//     download size. File modes are normalised to 0644/0755; owners and mtimes are not restored.
//   - A body that breaks off mid-download is retried like a failed request.
// On an error during extraction destDir may hold part of the archive; callers extract into a
// temp dir they remove.
import { createHash, type Hash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';

export type ArtifactFetchErrorReason =
  /** The server answered 404: the artifact was garbage-collected or never existed. */
  | 'ArtifactNotFound'
  /** The downloaded bytes do not have the expected digest (or the digest is unusable). */
  | 'DigestMismatch'
  /** The download, a file, the total extracted size or the entry count is over its limit. */
  | 'ArtifactTooLarge'
  /** The archive holds an entry we refuse (unsafe path or type) or is malformed. */
  | 'UnsafeArchive'
  /** Network failures after all retries, non-retryable HTTP statuses, timeouts, local I/O errors. */
  | 'DownloadFailed';

export class ArtifactFetchError extends Error {
  override readonly name = 'ArtifactFetchError';
  readonly reason: ArtifactFetchErrorReason;

  constructor(reason: ArtifactFetchErrorReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reason = reason;
  }
}

export interface FetchArtifactOptions {
  /** Retries after the first attempt (Flux's `--http-retry`, default 9). */
  retries?: number;
  /** Deadline for the whole fetch: every attempt, the backoff waits and the extraction. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Cap on the sum of all file sizes in the archive (default 256 MiB). */
  maxBytes?: number;
  /** Cap on the number of entries (default 100 000). */
  maxEntries?: number;
  /** Cap on one file's size (default maxBytes). */
  maxFileBytes?: number;
  /** Cap on the compressed download (default maxBytes). */
  maxDownloadBytes?: number;
  /** Replaces the URL's host[:port], like Flux's SOURCE_CONTROLLER_LOCALHOST. */
  hostOverride?: string;
  /** First backoff wait (default 5s, as Flux); doubles per retry up to retryWaitMaxMs (default 30s). */
  retryWaitMinMs?: number;
  retryWaitMaxMs?: number;
}

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

/**
 * Downloads the artifact at `url`, verifies it against `digest` and extracts it into `destDir`
 * (created when missing).
 *
 * @throws ArtifactFetchError with one of the reasons above.
 */
export async function fetchArtifact(
  url: string,
  digest: string,
  destDir: string,
  opts: FetchArtifactOptions,
): Promise<ExtractSummary> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const limits: ExtractLimits = {
    maxBytes,
    maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxFileBytes: opts.maxFileBytes ?? maxBytes,
  };
  const expected = parseDigest(digest);
  const target = withHost(url, opts.hostOverride);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;

  const scratch = await mkdtemp(join(tmpdir(), 'mooring-fetch-'));
  try {
    const file = join(scratch, 'artifact.tar.gz');
    const actual = await download(target, file, expected.algorithm, {
      retries: opts.retries ?? 9,
      maxDownloadBytes: opts.maxDownloadBytes ?? maxBytes,
      waitMinMs: opts.retryWaitMinMs ?? 5_000,
      waitMaxMs: opts.retryWaitMaxMs ?? 30_000,
      signal,
      timeoutMs: opts.timeoutMs,
    });
    if (actual !== expected.hex) {
      throw new ArtifactFetchError(
        'DigestMismatch',
        `computed digest ${expected.algorithm}:${actual} doesn't match the artifact digest '${digest}'`,
      );
    }
    return await extractArchive(file, destDir, limits, signal);
  } catch (err) {
    if (err instanceof ArtifactFetchError) throw err;
    if (signal.aborted) throw abortError(signal, opts.timeoutMs);
    throw new ArtifactFetchError(
      'DownloadFailed',
      `failed to fetch artifact: ${(err as Error).message}`,
      err,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Download

const hashLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

function parseDigest(digest: string): { algorithm: string; hex: string } {
  if (digest === '') throw new ArtifactFetchError('DigestMismatch', 'the artifact has an empty digest');
  const [algorithm, hex] = digest.includes(':')
    ? (digest.split(':', 2) as [string, string])
    : ['sha256', digest];
  const len = hashLengths[algorithm];
  if (len === undefined || !new RegExp(`^[0-9a-f]{${len}}$`).test(hex)) {
    throw new ArtifactFetchError('DigestMismatch', `failed to parse digest '${digest}'`);
  }
  return { algorithm, hex };
}

function withHost(url: string, host: string | undefined): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ArtifactFetchError('DownloadFailed', `invalid artifact URL '${url}'`);
  }
  if (host) u.host = host;
  return u.toString();
}

interface DownloadOptions {
  retries: number;
  maxDownloadBytes: number;
  waitMinMs: number;
  waitMaxMs: number;
  signal: AbortSignal;
  timeoutMs: number;
}

/** One attempt's failure that another attempt may fix. */
class Transient extends Error {}

/** GETs `url` into `file`, retrying transient failures; returns the hex digest of the bytes. */
async function download(url: string, file: string, algorithm: string, o: DownloadOptions): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0)
      await sleep(Math.min(o.waitMaxMs, o.waitMinMs * 2 ** (attempt - 1)), o.signal, o.timeoutMs);
    try {
      return await attemptDownload(url, file, algorithm, o);
    } catch (err) {
      if (o.signal.aborted) throw abortError(o.signal, o.timeoutMs);
      if (!(err instanceof Transient)) throw err;
      last = err.message;
    }
  }
  const tries = o.retries + 1;
  throw new ArtifactFetchError(
    'DownloadFailed',
    `failed to download artifact from ${url} after ${tries} attempt${tries === 1 ? '' : 's'}: ${last}`,
  );
}

async function attemptDownload(
  url: string,
  file: string,
  algorithm: string,
  o: DownloadOptions,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: o.signal, redirect: 'follow' });
  } catch (err) {
    throw new Transient(describeNetworkError(err));
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    const status = `status: ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status === 404) {
      throw new ArtifactFetchError('ArtifactNotFound', `artifact not found at ${url} (${status})`);
    }
    if (res.status === 429 || (res.status >= 500 && res.status !== 501)) throw new Transient(status);
    throw new ArtifactFetchError('DownloadFailed', `failed to download artifact from ${url} (${status})`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > o.maxDownloadBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLargeDownload(declared, o.maxDownloadBytes);
  }
  const hash: Hash = createHash(algorithm);
  const fh = await open(file, 'w', 0o600);
  let size = 0;
  try {
    if (res.body) {
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > o.maxDownloadBytes) throw tooLargeDownload(size, o.maxDownloadBytes);
          hash.update(chunk);
          await fh.write(chunk);
        }
      } catch (err) {
        if (err instanceof ArtifactFetchError) throw err;
        if (o.signal.aborted) throw err;
        // A body that broke off: the server went away or the connection reset mid-transfer.
        throw new Transient(
          `the response body was cut off after ${size} bytes: ${describeNetworkError(err)}`,
        );
      }
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

function tooLargeDownload(size: number, max: number): ArtifactFetchError {
  return new ArtifactFetchError(
    'ArtifactTooLarge',
    `artifact download of at least ${size} bytes exceeds the maximum of ${max} bytes`,
  );
}

function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}

function abortError(signal: AbortSignal, timeoutMs: number): ArtifactFetchError {
  const reason = signal.reason as Error | undefined;
  if (reason?.name === 'TimeoutError') {
    return new ArtifactFetchError('DownloadFailed', `artifact fetch timed out after ${timeoutMs}ms`, reason);
  }
  return new ArtifactFetchError(
    'DownloadFailed',
    `artifact fetch aborted: ${reason?.message ?? 'aborted'}`,
    reason,
  );
}

function sleep(ms: number, signal: AbortSignal, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError(signal, timeoutMs));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal, timeoutMs));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------------------------------------------------------------------------------------------
// Extraction

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
      await ensureDir(root, safeComponents(name), name, dirs);
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

/** Creates root/parts… one level at a time, refusing anything on the way that is not a real directory. */
async function ensureDir(
  root: string,
  parts: readonly string[],
  entry: string,
  dirs: Set<string>,
): Promise<string> {
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    if (dirs.has(dir)) continue;
    let st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (st === undefined) {
      await mkdir(dir, { mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      st = await lstat(dir);
    }
    if (st.isSymbolicLink())
      throw unsafe(entry, `the path goes through a symlink at ${JSON.stringify(part)}`);
    if (!st.isDirectory()) throw unsafe(entry, `${JSON.stringify(part)} exists and is not a directory`);
    dirs.add(dir);
  }
  return dir;
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
  const parent = await ensureDir(root, parts.slice(0, -1), name, dirs);
  const path = join(parent, parts[parts.length - 1]!);
  if (dirs.has(path)) throw unsafe(name, 'a directory of the same name was extracted before');
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;
  const fh = await open(path, flags, mode & 0o111 ? 0o755 : 0o644).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP') throw unsafe(name, 'the destination is a symlink');
    if (err.code === 'EISDIR') throw unsafe(name, 'the destination is a directory');
    throw err;
  });
  try {
    await reader.pipe(size, `entry ${JSON.stringify(name)}`, async (chunk) => {
      await fh.write(chunk);
    });
  } finally {
    await fh.close();
  }
  await skipPadding(reader, size, `entry ${JSON.stringify(name)}`);
}
