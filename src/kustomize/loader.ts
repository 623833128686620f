// Resolves paths the way kustomize's loader does: files a kustomization reads must be inside its
// own directory; other kustomizations (bases, components) may be anywhere inside the file system's
// root. Remote URLs are refused.
import * as path from 'node:path';
import type { FileSystem } from './fs.js';
import { KustomizeError } from './resource.js';

const remotePattern =
  /^(https?:\/\/|git@|ssh:\/\/|git::|github\.com\/|gitlab\.com\/|bitbucket\.org\/|oci:\/\/)/;

export function isRemote(p: string): boolean {
  return remotePattern.test(p) || /^[\w.-]+\.[a-z]{2,}\/[\w.-]+\/[\w.-]+(\.git)?(\/\/|\?|$)/.test(p);
}

export class Loader {
  constructor(
    readonly fs: FileSystem,
    /** Absolute directory of the kustomization this loader serves. */
    readonly dir: string,
    /** Directories of the kustomizations on the way here, to catch cycles. */
    readonly ancestors: readonly string[] = [],
  ) {}

  /** Directory of the kustomization being built (the top of the chain). */
  get top(): string {
    return this.ancestors[0] ?? this.dir;
  }

  /** A path relative to the top kustomization, as kustomize writes it in origin annotations. */
  relative(abs: string): string {
    return path.posix.relative(this.top, abs) || '.';
  }

  private checkRemote(p: string): void {
    if (isRemote(p)) {
      throw new KustomizeError(
        `${this.dir}: remote resource "${p}" is not supported (no network access in builds)`,
      );
    }
  }

  /** Absolute path of a file the kustomization reads; it must be inside the kustomization's directory. */
  filePath(rel: string): string {
    this.checkRemote(rel);
    const abs = path.posix.resolve(this.dir, rel);
    const r = path.posix.relative(this.dir, abs);
    if (r.startsWith('..') || path.posix.isAbsolute(r)) {
      throw new KustomizeError(
        `security; file '${abs}' is not in or below '${this.dir}' (referenced from ${this.dir})`,
      );
    }
    return abs;
  }

  readFile(rel: string): string {
    return this.fs.readFile(this.filePath(rel));
  }

  isFile(rel: string): boolean {
    if (isRemote(rel)) return false;
    return this.fs.stat(path.posix.resolve(this.dir, rel)) === 'file';
  }

  /** A loader for another kustomization directory. */
  child(rel: string): Loader {
    this.checkRemote(rel);
    const abs = path.posix.resolve(this.dir, rel);
    const kind = this.fs.stat(abs);
    if (kind === undefined) throw new KustomizeError(`${this.dir}: '${rel}' does not exist`);
    if (kind !== 'dir') throw new KustomizeError(`${this.dir}: '${rel}' is not a directory`);
    if (abs === this.dir || this.ancestors.includes(abs)) {
      throw new KustomizeError(`cycle detected: ${[...this.ancestors, this.dir, abs].join(' -> ')}`);
    }
    return new Loader(this.fs, abs, [...this.ancestors, this.dir]);
  }
}
