// One deadline per Git operation: opts.timeoutMs and the caller's AbortSignal combined.
import { GitError, type GitOptions } from './types.js';

export interface Deadline {
  signal: AbortSignal;
  /** The GitError describing why the signal fired. */
  error(what: string): GitError;
  dispose(): void;
}

export function deadline(opts: GitOptions): Deadline {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, opts.timeoutMs);
  timer.unref?.();
  const onAbort = () => controller.abort(new Error('cancelled'));
  if (opts.signal?.aborted) onAbort();
  else opts.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    error: (what) =>
      timedOut
        ? new GitError('Timeout', `${what}: timed out after ${formatMs(opts.timeoutMs)}`)
        : new GitError('Timeout', `${what}: cancelled`),
    dispose: () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
