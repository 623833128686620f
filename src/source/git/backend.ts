// Backend selection for `--git-backend auto|git|isomorphic`.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { IsomorphicGitBackend } from './isomorphic.js';
import { SystemGitBackend } from './system.js';
import type { GitBackend } from './types.js';

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
  if (flag === 'isomorphic') return new IsomorphicGitBackend();
  const git = findGitBinary();
  if (git) return new SystemGitBackend(git);
  if (flag === 'git') throw new Error("--git-backend=git: no 'git' executable found on PATH");
  return new IsomorphicGitBackend();
}
