// Extraction with the `tar` package's parser (our checks and writes kept), measured against the
// hand-written reader in src/kustomization/extract.ts by bench/fetch/extract.bench.ts. It passed
// test/kustomization/fetch.test.ts but was 1.8-2.4x slower on a kube-prometheus-sized artifact, so
// src/ keeps the hand-written reader (docs/architecture.md). Not used by src/.
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { type ExtractLimits, type ExtractSummary, ensureDir } from '../../src/kustomization/extract.js';
import { ArtifactFetchError } from '../../src/kustomization/fetcherror.js';

const BLOCK = 512;
/** Cap on one pax or GNU long-name header's data. */
const MAX_META_BYTES = 1024 * 1024;
/** Cap on metadata headers before one real entry. */
const MAX_META_RUN = 16;

function malformed(message: string): ArtifactFetchError {
  return new ArtifactFetchError('UnsafeArchive', `malformed archive: ${message}`);
}

function unsafe(entry: string, why: string): ArtifactFetchError {
  return new ArtifactFetchError('UnsafeArchive', `archive entry ${JSON.stringify(entry)} refused: ${why}`);
}

/** The refusal for an entry type we never write; undefined for files, directories and symlinks. */
function refusedType(
  name: string,
  typeKey: string,
  linkpath: string | undefined,
): ArtifactFetchError | undefined {
  switch (typeKey) {
    case '0':
    case '7':
    case '5':
    case '2':
      return undefined;
    case '1':
      return unsafe(name, `hard links are not allowed (to ${JSON.stringify(linkpath ?? '')})`);
    case '3':
    case '4':
      return unsafe(name, 'device files are not allowed');
    case '6':
      return unsafe(name, 'FIFOs are not allowed');
    default:
      return unsafe(name, `unsupported tar entry type ${JSON.stringify(typeKey)}`);
  }
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

/** What the parser reports on a bad header or archive (strict mode turns its warnings into these). */
interface TarError extends Error {
  tarCode?: string;
  code?: string;
  header?: { path?: string; typeKey: string; linkpath?: string };
  entry?: ReadEntry;
}

/**
 * The entries of a gzip-compressed tar file, one at a time, with the parser's complaints turned
 * into our errors. Gunzip is ours (only gzip is accepted); the parser sees plain tar.
 */
class TarEntries {
  private readonly input;
  private readonly gunzip;
  private readonly queue: ReadEntry[] = [];
  private failure: unknown;
  private ended = false;
  private wake: (() => void) | undefined;
  private metaRun = 0;
  private tarBytes = 0;
  private sawNullBlock = false;
  private yielded = 0;

  constructor(file: string) {
    this.input = createReadStream(file);
    this.gunzip = createGunzip();
    // zstd/brotli off: the parser must not sniff a second compression inside our gunzip output.
    const parser = new Parser({ strict: true, zstd: false, brotli: false, maxMetaEntrySize: MAX_META_BYTES });
    this.input.on('error', (err) => this.fail(err));
    this.gunzip.on('error', (err) => this.fail(err));
    this.gunzip.on('data', (chunk: Buffer) => {
      this.tarBytes += chunk.length;
    });
    parser.on('error', (err: TarError) => this.fail(this.translate(err)));
    parser.on('nullBlock', () => {
      this.sawNullBlock = true;
    });
    parser.on('meta', () => {
      if (++this.metaRun > MAX_META_RUN) this.fail(malformed('too many consecutive extended headers'));
    });
    parser.on('ignoredEntry', (e: ReadEntry) => {
      this.fail(
        e.meta
          ? malformed(`an extended header of ${e.size} bytes is too large`)
          : (refusedType(e.path, e.header.typeKey, e.linkpath) ??
              unsafe(e.path, `unsupported tar entry type ${JSON.stringify(e.header.typeKey)}`)),
      );
    });
    parser.on('entry', (e: ReadEntry) => {
      this.metaRun = 0;
      this.queue.push(e);
      this.notify();
    });
    parser.on('end', () => {
      this.ended = true;
      this.notify();
    });
    this.input.pipe(this.gunzip).pipe(parser);
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(err: unknown): void {
    // An archive of end blocks only (or nothing) holds no entries; the parser calls it unrecognised.
    if (
      (err as TarError).tarCode === 'TAR_BAD_ARCHIVE' &&
      /Unrecognized archive format/.test((err as Error).message) &&
      this.yielded === 0 &&
      this.tarBytes % BLOCK === 0
    ) {
      return;
    }
    this.failure ??= err;
    this.notify();
  }

  private translate(err: TarError): unknown {
    const name = err.header?.path ?? err.entry?.path ?? '';
    if (/checksum failure/.test(err.message)) return malformed('tar header checksum mismatch');
    if (/Truncated input/.test(err.message) && err.entry) {
      return malformed(`unexpected end of archive in entry ${JSON.stringify(err.entry.path)}`);
    }
    if (err.header) {
      const refused = refusedType(name, err.header.typeKey, err.header.linkpath);
      if (refused) return refused;
    }
    if (err.tarCode !== undefined) {
      return malformed(
        err.message.replace(/^TAR_[A-Z_]+: /, '') + (name ? ` at ${JSON.stringify(name)}` : ''),
      );
    }
    return err;
  }

  /** The next entry, undefined at the end of the archive. */
  async next(): Promise<ReadEntry | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      const entry = this.queue.shift();
      if (entry) {
        this.yielded++;
        return entry;
      }
      if (this.ended) {
        if (this.tarBytes % BLOCK !== 0 && !this.sawNullBlock) {
          throw malformed('unexpected end of archive in a tar header');
        }
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  close(): void {
    this.input.destroy();
    this.gunzip.destroy();
  }
}

/**
 * Extracts the gzip-compressed tar `file` into `destDir` under the limits. Exported for callers
 * that already hold a verified archive.
 *
 * @throws ArtifactFetchError ArtifactTooLarge, UnsafeArchive or DownloadFailed (local I/O).
 */
export async function extractWithTarPackage(
  file: string,
  destDir: string,
  limits: ExtractLimits,
  signal?: AbortSignal,
): Promise<ExtractSummary> {
  await mkdir(destDir, { recursive: true });
  const root = await realpath(destDir);
  const entries = new TarEntries(file);
  const summary: ExtractSummary = { files: 0, directories: 0, bytes: 0, skipped: [] };
  const dirs = new Set<string>([root]);
  try {
    await extractEntries(entries, root, limits, summary, dirs, signal);
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
    entries.close();
  }
}

async function extractEntries(
  entries: TarEntries,
  root: string,
  limits: ExtractLimits,
  summary: ExtractSummary,
  dirs: Set<string>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let count = 0;
  let dataBytes = 0;
  for (;;) {
    signal?.throwIfAborted();
    const entry = await entries.next();
    if (entry === undefined) return;
    const name = entry.path;
    const size = entry.size;
    if (!Number.isSafeInteger(size) || size < 0)
      throw malformed(`invalid size for entry ${JSON.stringify(name)}`);
    if (++count > limits.maxEntries) {
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
    const typeKey = entry.header.typeKey;
    const refused = refusedType(name, typeKey, entry.linkpath);
    if (refused) throw refused;
    if (typeKey === '5') {
      await ensureDir(root, safeComponents(name), name, dirs);
      summary.directories++;
      entry.resume();
    } else if (typeKey === '2') {
      safeComponents(name); // an unsafe name is refused even on an entry we skip
      summary.skipped.push(name);
      entry.resume();
    } else {
      if (size > limits.maxFileBytes) {
        throw new ArtifactFetchError(
          'ArtifactTooLarge',
          `archive entry ${JSON.stringify(name)} is ${size} bytes, over the maximum file size of ${limits.maxFileBytes} bytes`,
        );
      }
      const parts = safeComponents(name);
      if (parts.length === 0) throw unsafe(name, 'a file cannot replace the destination directory');
      await writeFile(entry, root, parts, name, size, entry.mode ?? 0o644, dirs);
      summary.files++;
      summary.bytes += size;
    }
  }
}

async function writeFile(
  entry: ReadEntry,
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
  let written = 0;
  try {
    for await (const chunk of entry as AsyncIterable<Buffer>) {
      written += chunk.length;
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  if (written !== size) throw malformed(`unexpected end of archive in entry ${JSON.stringify(name)}`);
}
