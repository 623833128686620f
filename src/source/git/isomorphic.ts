import type { CheckoutResult, GitBackend, GitOptions, RefSpec, ResolvedRevision } from './types.js';
import { GitError } from './types.js';

export class IsomorphicGitBackend implements GitBackend {
  readonly name = 'isomorphic' as const;
  async resolve(_url: string, _ref: RefSpec, _opts: GitOptions): Promise<ResolvedRevision | undefined> {
    throw new GitError('GitOperationFailed', 'not implemented yet');
  }
  async checkout(_url: string, _ref: RefSpec, _dir: string, _opts: GitOptions): Promise<CheckoutResult> {
    throw new GitError('GitOperationFailed', 'not implemented yet');
  }
}
