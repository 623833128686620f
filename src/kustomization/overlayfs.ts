// A read-only view of a FileSystem with some files replaced or added in memory: how the spec's
// overrides reach the engine without writing into an extracted artifact shared by other builds.
import * as path from 'node:path';
import { type FileSystem, KustomizeFsError } from '../kustomize/fs.js';

export class OverlayFileSystem implements FileSystem {
  constructor(
    private readonly base: FileSystem,
    /** Absolute path → content; a null content hides the base file. */
    private readonly files: ReadonlyMap<string, string | null>,
  ) {}

  readFile(file: string): string {
    const o = this.files.get(file);
    if (o === undefined) return this.base.readFile(file);
    if (o === null) throw new KustomizeFsError(`${file}: no such file`);
    return o;
  }

  readFileBytes(file: string): Uint8Array {
    const o = this.files.get(file);
    return o === undefined ? this.base.readFileBytes(file) : Buffer.from(this.readFile(file), 'utf8');
  }

  readDir(dir: string): string[] {
    const names = new Set(this.base.readDir(dir));
    for (const [p, content] of this.files) {
      if (path.posix.dirname(p) !== dir) continue;
      if (content === null) names.delete(path.posix.basename(p));
      else names.add(path.posix.basename(p));
    }
    return [...names].sort();
  }

  stat(p: string): 'file' | 'dir' | undefined {
    const o = this.files.get(p);
    if (o === null) return undefined;
    if (o !== undefined) return 'file';
    return this.base.stat(p);
  }
}
