// spec.include: other GitRepositories' artifacts copied into this one's tree, as source-controller
// does (Storage.CopyToPath): the included artifact is unpacked, its `fromPath` (default: all of it)
// moved to `toPath` (default: the included repository's name). The move fails when `toPath`
// already holds something, as a rename onto a non-empty directory does. Here nothing is copied:
// an IncludedTree lists the base tree with the included trees mounted at their paths.
import { lstatSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { compareTreePaths, DirectoryTree, type SourceTree, type TreeEntry } from './tree.js';

export class IncludeError extends Error {
  constructor(
    /** Flux's reason: IllegalPath or CopyFailure. */
    readonly reason: 'IllegalPath' | 'CopyFailure',
    message: string,
  ) {
    super(message);
  }
}

/**
 * `toPath` resolved inside the root the way securejoin does (`..` cannot climb above it);
 * '' for the root itself.
 */
export function includeTarget(toPath: string): string {
  return posix.normalize(`/${toPath}`).replace(/^\/+|\/+$/g, '');
}

export interface IncludeMount {
  /** The include's repository name, for messages. */
  name: string;
  fromPath: string;
  toPath: string;
  /** Where the included artifact was unpacked. */
  unpacked: string;
}

interface Mount {
  at: string;
  tree: DirectoryTree;
  /** Path inside `tree` that appears at `at` ('' when the mount is a directory). */
  inner: string;
}

/** The base tree with each include mounted; throws IncludeError like CopyToPath would fail. */
export async function includedTree(base: SourceTree, includes: readonly IncludeMount[]): Promise<SourceTree> {
  if (includes.length === 0) return base;
  const entries = new Map<string, TreeEntry>();
  const owner = new Map<string, SourceTree | Mount>();
  for (const e of await base.entries()) {
    entries.set(e.path, e);
    owner.set(e.path, base);
  }
  const mounts: Mount[] = [];
  for (const inc of includes) {
    const at = includeTarget(inc.toPath);
    const failure = (why: string) =>
      new IncludeError(
        'CopyFailure',
        `failed to copy '${inc.name}' include from ${inc.fromPath || '.'} to ${inc.toPath}: ${why}`,
      );
    if (!at) throw failure('the destination is the root of the artifact');
    const from = join(inc.unpacked, includeTarget(inc.fromPath));
    let isDir: boolean;
    try {
      const st = lstatSync(from);
      if (!st.isDirectory() && !st.isFile()) throw failure(`'${inc.fromPath}' is not a file or directory`);
      isDir = st.isDirectory();
    } catch (err) {
      if (err instanceof IncludeError) throw err;
      throw failure(`'${inc.fromPath}' does not exist in the included artifact`);
    }
    // The destination's parents are created (MkdirAll); a file in the way fails.
    const parts = at.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const existing = entries.get(parent);
      if (existing && !existing.dir) throw failure(`'${parent}' is a file`);
      if (!existing) {
        entries.set(parent, { path: parent, dir: true, size: 0, executable: false });
        owner.set(parent, base);
      }
    }
    const existing = entries.get(at);
    const nonEmpty = [...entries.keys()].some((p) => p.startsWith(`${at}/`));
    if (existing && (!existing.dir || nonEmpty)) throw failure(`'${at}' already exists`);

    const mount: Mount = isDir
      ? { at, tree: new DirectoryTree(from), inner: '' }
      : { at, tree: new DirectoryTree(dirname(from)), inner: basename(from) };
    mounts.push(mount);
    if (isDir) {
      entries.set(at, { path: at, dir: true, size: 0, executable: false });
      owner.set(at, base);
      for (const e of await mount.tree.entries()) {
        const path = `${at}/${e.path}`;
        entries.set(path, { ...e, path });
        owner.set(path, mount);
      }
    } else {
      const file = (await mount.tree.entries()).find((e) => e.path === mount.inner);
      if (!file) throw failure(`'${inc.fromPath}' is not a regular file`);
      entries.set(at, { ...file, path: at });
      owner.set(at, mount);
    }
  }
  const listed = [...entries.values()].sort((a, b) => compareTreePaths(a.path, b.path));
  return new OverlayTree(base, listed, owner);
}

class OverlayTree implements SourceTree {
  constructor(
    private readonly base: SourceTree,
    private readonly listed: TreeEntry[],
    private readonly owner: Map<string, SourceTree | Mount>,
  ) {}

  async entries(): Promise<TreeEntry[]> {
    return this.listed;
  }

  /** Consecutive files of one owner are read in one call (system git streams them in one process). */
  async *contents(files: TreeEntry[]): AsyncGenerator<Buffer> {
    let i = 0;
    while (i < files.length) {
      const who = this.owner.get(files[i]!.path);
      let j = i;
      while (j < files.length && this.owner.get(files[j]!.path) === who) j++;
      const run = files.slice(i, j);
      if (!who || who === this.base) yield* this.base.contents(run);
      else {
        const m = who as Mount;
        const inner = run.map((f) => ({
          ...f,
          path: m.inner || f.path.slice(m.at.length + 1),
        }));
        yield* m.tree.contents(inner);
      }
      i = j;
    }
  }
}
