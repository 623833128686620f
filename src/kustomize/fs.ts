// The only way the engine touches files. Paths given to a FileSystem are absolute POSIX paths
// inside its root; the engine never sees anything else.
import * as nodeFs from 'node:fs';
import * as path from 'node:path';

export interface FileSystem {
  /** Reads a whole file as UTF-8. Throws KustomizeFsError if missing, a directory or too large. */
  readFile(file: string): string;
  /** Reads a whole file as bytes (generator sources may be binary). */
  readFileBytes(file: string): Uint8Array;
  /** Names of the entries of a directory, sorted. */
  readDir(dir: string): string[];
  /** What is at a path, or undefined when nothing is. */
  stat(p: string): 'file' | 'dir' | undefined;
}

export class KustomizeFsError extends Error {}

export const defaultMaxFileBytes = 16 * 1024 * 1024;

/**
 * node:fs rooted at a directory. Every access is resolved through realpath and refused if it lands
 * outside the root, so neither `../` nor a symlink can reach other files.
 */
export class RootedFileSystem implements FileSystem {
  readonly root: string;

  constructor(
    root: string,
    private readonly maxFileBytes = defaultMaxFileBytes,
  ) {
    this.root = nodeFs.realpathSync(path.resolve(root));
  }

  private inside(p: string): boolean {
    const rel = path.relative(this.root, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  }

  /** The real path of p if it exists inside the root; throws if it resolves outside. */
  private real(p: string): string | undefined {
    const abs = path.resolve(p);
    if (!this.inside(abs)) throw new KustomizeFsError(`${p}: path is outside the root ${this.root}`);
    let real: string;
    try {
      real = nodeFs.realpathSync(abs);
    } catch {
      return undefined;
    }
    if (!this.inside(real))
      throw new KustomizeFsError(`${p}: resolves (via a symlink) outside the root ${this.root}`);
    return real;
  }

  readFile(file: string): string {
    return Buffer.from(this.readFileBytes(file)).toString('utf8');
  }

  readFileBytes(file: string): Uint8Array {
    const real = this.real(file);
    if (real === undefined) throw new KustomizeFsError(`${file}: no such file`);
    const st = nodeFs.statSync(real);
    if (st.isDirectory()) throw new KustomizeFsError(`${file}: is a directory`);
    if (st.size > this.maxFileBytes) {
      throw new KustomizeFsError(`${file}: file is larger than the limit of ${this.maxFileBytes} bytes`);
    }
    return nodeFs.readFileSync(real);
  }

  readDir(dir: string): string[] {
    const real = this.real(dir);
    if (real === undefined) throw new KustomizeFsError(`${dir}: no such directory`);
    return nodeFs.readdirSync(real).sort();
  }

  stat(p: string): 'file' | 'dir' | undefined {
    const real = this.real(p);
    if (real === undefined) return undefined;
    const st = nodeFs.statSync(real);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  }
}

/** An in-memory file system for tests: a map from absolute path to content. */
export class MemoryFileSystem implements FileSystem {
  private readonly files = new Map<string, string>();

  constructor(files: Record<string, string> = {}) {
    for (const [p, c] of Object.entries(files)) this.files.set(path.posix.resolve('/', p), c);
  }

  readFile(file: string): string {
    const c = this.files.get(file);
    if (c === undefined) {
      if (this.stat(file) === 'dir') throw new KustomizeFsError(`${file}: is a directory`);
      throw new KustomizeFsError(`${file}: no such file`);
    }
    return c;
  }

  readFileBytes(file: string): Uint8Array {
    return Buffer.from(this.readFile(file), 'utf8');
  }

  readDir(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const f of this.files.keys()) {
      if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split('/')[0]!);
    }
    return [...names].sort();
  }

  stat(p: string): 'file' | 'dir' | undefined {
    if (this.files.has(p)) return 'file';
    const prefix = p.endsWith('/') ? p : `${p}/`;
    for (const f of this.files.keys()) if (f.startsWith(prefix)) return 'dir';
    return undefined;
  }
}
