// Artifact storage: `<base>/<kind>/<namespace>/<name>/<sha>.tar.gz`, written atomically, with a
// `latest.tar.gz` symlink, garbage-collected by age and count, never the current artifact.
import { lstat, mkdir, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, posix, resolve, sep } from 'node:path';
import { type ArchiveResult, archiveTree } from './archive.js';
import type { IgnoreFilter } from './ignore.js';
import { DirectoryTree, type SourceTree } from './tree.js';

export interface StoredArtifact extends ArchiveResult {
  /** Relative to the storage root, '/'-separated. */
  path: string;
  url: string;
}

/** Go-style `--storage-adv-addr` default: the listen address with an empty or 0.0.0.0 host replaced by the hostname. */
export function advertisedAddress(storageAddr: string, advAddr: string | undefined): string {
  if (advAddr) return advAddr;
  const i = storageAddr.lastIndexOf(':');
  const host = storageAddr.slice(0, i);
  const port = storageAddr.slice(i + 1);
  return `${!host || host === '0.0.0.0' || host === '::' ? hostname() : host}:${port}`;
}

export class Storage {
  readonly root: string;

  constructor(
    root: string,
    readonly advertisedAddr: string,
  ) {
    this.root = resolve(root);
  }

  objectPath(kind: string, namespace: string, name: string): string {
    return posix.join(kind.toLowerCase(), namespace, name);
  }

  artifactPath(kind: string, namespace: string, name: string, file: string): string {
    return posix.join(this.objectPath(kind, namespace, name), file);
  }

  urlFor(relPath: string): string {
    return `http://${this.advertisedAddr}/${relPath}`;
  }

  /** The file for a relative path; undefined when the path would leave the storage root. */
  localPath(relPath: string): string | undefined {
    const p = resolve(this.root, `.${posix.sep}${posix.normalize(`/${relPath}`)}`);
    return p.startsWith(this.root + sep) ? p : undefined;
  }

  async exists(relPath: string): Promise<boolean> {
    const p = this.localPath(relPath);
    if (!p) return false;
    try {
      return (await stat(p)).isFile();
    } catch {
      return false;
    }
  }

  /** Archives `source` (a tree or a directory) as the object's artifact `<sha>.tar.gz` and points latest.tar.gz at it. */
  async store(
    kind: string,
    namespace: string,
    name: string,
    sha: string,
    source: SourceTree | string,
    filter?: IgnoreFilter,
  ): Promise<StoredArtifact> {
    const rel = this.artifactPath(kind, namespace, name, `${sha}.tar.gz`);
    const dest = this.localPath(rel);
    if (!dest) throw new Error(`invalid artifact path ${rel}`);
    const dir = join(this.root, this.objectPath(kind, namespace, name));
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const result = await archiveTree(
      typeof source === 'string' ? new DirectoryTree(source) : source,
      dest,
      filter,
    );
    const link = join(dir, 'latest.tar.gz');
    const tmpLink = `${link}.tmp-${process.pid}`;
    await rm(tmpLink, { force: true });
    await symlink(`${sha}.tar.gz`, tmpLink);
    await rename(tmpLink, link);
    return { ...result, path: rel, url: this.urlFor(rel) };
  }

  /**
   * Deletes the object's artifacts older than `ttlMs`, then all but the newest `keep`; never the
   * current artifact, the latest symlink or files being written. Returns the deleted paths.
   */
  async garbageCollect(
    kind: string,
    namespace: string,
    name: string,
    current: string | undefined,
    ttlMs: number,
    keep: number,
  ): Promise<string[]> {
    const dir = join(this.root, this.objectPath(kind, namespace, name));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return [];
    }
    const files: { name: string; mtime: number }[] = [];
    for (const n of names.slice(0, 1000)) {
      if (!n.endsWith('.tar.gz') || n === 'latest.tar.gz') continue;
      const st = await lstat(join(dir, n)).catch(() => undefined);
      if (st?.isFile()) files.push({ name: n, mtime: st.mtimeMs });
    }
    files.sort((a, b) => b.mtime - a.mtime);
    const currentName = current ? posix.basename(current) : undefined;
    const now = Date.now();
    const deleted: string[] = [];
    // The current artifact always stays and counts as the first of the `keep` records.
    let kept = files.some((f) => f.name === currentName) ? 1 : 0;
    for (const f of files) {
      if (f.name === currentName) continue;
      const expired = now - f.mtime > ttlMs;
      if (expired || kept >= keep) {
        await rm(join(dir, f.name), { force: true });
        deleted.push(this.artifactPath(kind, namespace, name, f.name));
      } else kept++;
    }
    return deleted;
  }

  /** Removes everything stored for the object (on deletion). */
  async remove(kind: string, namespace: string, name: string): Promise<void> {
    await rm(join(this.root, this.objectPath(kind, namespace, name)), { recursive: true, force: true });
  }
}
