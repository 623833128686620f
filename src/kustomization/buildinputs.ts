// What a build read from the artifact, so that the next revision can be checked against it: a
// kustomize build is a function of the files and directory listings it reads (plus the spec and
// the substitution variables), so when every read gives the same answer in the new tree the
// output is the same and the build can be skipped.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { type FileSystem, RootedFileSystem } from '../kustomize/fs.js';

/** `<op>:<path relative to the artifact root>` → digest of the answer. */
export type BuildReads = ReadonlyMap<string, string>;

type Op = 'text' | 'bytes' | 'dir' | 'stat';

export class RecordingFileSystem implements FileSystem {
  private readonly log = new Map<string, string>();

  constructor(
    private readonly inner: FileSystem,
    /** The artifact root the paths are made relative to. */
    private readonly root: string,
  ) {}

  get reads(): BuildReads {
    return this.log;
  }

  readFile(file: string): string {
    return this.note('text', file, () => this.inner.readFile(file));
  }

  readFileBytes(file: string): Uint8Array {
    return this.note('bytes', file, () => this.inner.readFileBytes(file));
  }

  readDir(dir: string): string[] {
    return this.note('dir', dir, () => this.inner.readDir(dir));
  }

  stat(p: string): 'file' | 'dir' | undefined {
    return this.note('stat', p, () => this.inner.stat(p));
  }

  private note<T>(op: Op, p: string, read: () => T): T {
    const key = `${op}:${path.relative(this.root, p)}`;
    try {
      const value = read();
      this.log.set(key, answerDigest(value));
      return value;
    } catch (err) {
      this.log.set(key, 'error');
      throw err;
    }
  }
}

/** True when every recorded read gives the same answer in the tree at `root`. */
export function sameReads(reads: BuildReads, root: string): boolean {
  let fs: FileSystem;
  try {
    fs = new RootedFileSystem(root);
  } catch {
    return false;
  }
  const realRoot = (fs as RootedFileSystem).root;
  for (const [key, digest] of reads) {
    const cut = key.indexOf(':');
    const op = key.slice(0, cut) as Op;
    const p = path.join(realRoot, key.slice(cut + 1));
    let answer: string;
    try {
      answer = answerDigest(
        op === 'text'
          ? fs.readFile(p)
          : op === 'bytes'
            ? fs.readFileBytes(p)
            : op === 'dir'
              ? fs.readDir(p)
              : fs.stat(p),
      );
    } catch {
      answer = 'error';
    }
    if (answer !== digest) return false;
  }
  return true;
}

function answerDigest(value: unknown): string {
  const h = createHash('sha256');
  if (typeof value === 'string') h.update(`s${value}`);
  else if (value instanceof Uint8Array) h.update('b').update(value);
  else h.update(`j${JSON.stringify(value ?? null)}`);
  return h.digest('base64');
}
