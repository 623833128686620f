// The files of one revision, as the archiver and the ignore rules read them. A tree is either a
// directory on disk (isomorphic-git's checkout, tests) or a commit's objects read straight from a
// Git repository (system git: no working tree is written, then read back). Both list the same
// entries in the same order, so one revision gives the same archive bytes whichever backend
// fetched it.
import { createReadStream, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  /** Relative, '/'-separated, without a trailing slash. */
  path: string;
  dir: boolean;
  /** Bytes; 0 for directories. */
  size: number;
  executable: boolean;
}

export interface SourceTree {
  /**
   * Every directory and regular file except the `.git` directory, in archive order (see
   * compareTreePaths). Symlinks, submodule contents and special files are not part of a source.
   */
  entries(): Promise<TreeEntry[]>;
  /**
   * The contents of `files` (entries of this tree), concatenated in the given order: exactly the
   * sum of their sizes, chunked as it comes.
   */
  contents(files: TreeEntry[]): AsyncGenerator<Buffer>;
}

/** Depth first, siblings by name: a directory's contents follow it before its next sibling. */
export function compareTreePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! < pb[i]! ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Files up to this size are read whole; larger ones streamed. */
const WHOLE_FILE_LIMIT = 1024 * 1024;
/** Bytes read before the event loop gets a turn. */
const READ_BATCH = 1024 * 1024;

/**
 * A tree on disk. File system calls are synchronous in small batches with the event loop free in
 * between: for thousands of small files the thread-pool round trips of async calls cost about
 * four times the work itself.
 */
export class DirectoryTree implements SourceTree {
  /** Listed once: the ignore rules and the archive of one revision read the same listing. */
  private listed: Promise<TreeEntry[]> | undefined;

  constructor(readonly root: string) {}

  entries(): Promise<TreeEntry[]> {
    this.listed ??= (async () => {
      const out: TreeEntry[] = [];
      await this.walk('', out);
      return out;
    })();
    return this.listed;
  }

  private async walk(rel: string, out: TreeEntry[]): Promise<void> {
    const dirents = readdirSync(join(this.root, rel), { withFileTypes: true });
    dirents.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of dirents) {
      const path = rel ? `${rel}/${d.name}` : d.name;
      // The repository's and its submodules' Git data (a submodule's `.git` is a file).
      if (d.name === '.git') continue;
      if (d.isDirectory()) {
        out.push({ path, dir: true, size: 0, executable: false });
        await yieldToEventLoop();
        await this.walk(path, out);
      } else if (d.isFile()) {
        const st = lstatSync(join(this.root, path));
        if (st.isFile()) out.push({ path, dir: false, size: st.size, executable: (st.mode & 0o100) !== 0 });
      }
    }
  }

  async *contents(files: TreeEntry[]): AsyncGenerator<Buffer> {
    let sinceYield = 0;
    for (const f of files) {
      const path = join(this.root, f.path);
      if (f.size <= WHOLE_FILE_LIMIT) {
        const content = readFileSync(path);
        yield exactly(content, f);
        sinceYield += content.length;
        if (sinceYield >= READ_BATCH) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
        continue;
      }
      let read = 0;
      for await (const chunk of createReadStream(path)) {
        const take = (chunk as Buffer).subarray(0, Math.max(0, f.size - read));
        read += take.length;
        if (take.length) yield take;
      }
      if (read < f.size) throw new Error(`file ${f.path} shrank while it was archived`);
    }
  }
}

/** A file's bytes as listed: one that grew is cut (the tar header holds the size), one that shrank fails. */
function exactly(content: Buffer, f: TreeEntry): Buffer {
  if (content.length < f.size) throw new Error(`file ${f.path} shrank while it was archived`);
  return content.length > f.size ? content.subarray(0, f.size) : content;
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Reads lines and exact byte counts from a stream of chunks. */
export class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly source: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** The next line without its '\n', or undefined at the end of the stream. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.buffered.indexOf(10);
      if (nl >= 0) {
        const line = this.buffered.subarray(0, nl).toString('utf8');
        this.buffered = this.buffered.subarray(nl + 1);
        return line;
      }
      if (!(await this.fill())) return this.buffered.length ? this.drainAll() : undefined;
    }
  }

  /** Exactly `n` bytes, in chunks; fails if the stream ends first. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!this.buffered.length && !(await this.fill())) {
        throw new Error(`stream ended ${left} bytes early`);
      }
      const chunk = this.buffered.subarray(0, left);
      this.buffered = this.buffered.subarray(chunk.length);
      left -= chunk.length;
      yield chunk;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n));
  }

  private async fill(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done) return false;
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, next.value]) : next.value;
    return true;
  }

  private drainAll(): string {
    const rest = this.buffered.toString('utf8');
    this.buffered = Buffer.alloc(0);
    return rest;
  }
}
