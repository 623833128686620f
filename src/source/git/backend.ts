// Backend selection for `--git-backend auto|git|isomorphic`.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { SystemGitBackend } from './system.js';
import type { FetchedSource, GitBackend, GitOptions, RefSpec } from './types.js';

export type GitBackendFlag = 'auto' | 'git' | 'isomorphic';

/** Absolute path of the `git` executable on PATH, or undefined. */
export function findGitBinary(pathEnv: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'git');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `auto` picks system git when a `git` binary is on PATH, else isomorphic-git. */
export function selectBackend(flag: GitBackendFlag): GitBackend {
  if (flag === 'isomorphic') return new LazyIsomorphicBackend();
  const git = findGitBinary();
  if (git) return new SystemGitBackend(git);
  if (flag === 'git') throw new Error("--git-backend=git: no 'git' executable found on PATH");
  return new LazyIsomorphicBackend();
}

/** isomorphic-git and ssh2 (~30 MB) load on the first Git operation, not with every controller. */
class LazyIsomorphicBackend implements GitBackend {
  readonly name = 'isomorphic' as const;
  private backend: Promise<GitBackend> | undefined;

  private load(): Promise<GitBackend> {
    this.backend ??= import('./isomorphic.js').then((m) => new m.IsomorphicGitBackend());
    return this.backend;
  }

  async resolve(url: string, ref: RefSpec, opts: GitOptions) {
    return (await this.load()).resolve(url, ref, opts);
  }

  async checkout(url: string, ref: RefSpec, dir: string, opts: GitOptions) {
    return (await this.load()).checkout(url, ref, dir, opts);
  }

  async fetch(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<FetchedSource> {
    return (await this.load()).fetch(url, ref, dir, opts);
  }
}
