// The one error type of artifact download and extraction, with the reason the status names.

export type ArtifactFetchErrorReason =
  /** The server answered 404: the artifact was garbage-collected or never existed. */
  | 'ArtifactNotFound'
  /** The downloaded bytes do not have the expected digest (or the digest is unusable). */
  | 'DigestMismatch'
  /** The download, a file, the total extracted size or the entry count is over its limit. */
  | 'ArtifactTooLarge'
  /** The archive holds an entry we refuse (unsafe path or type) or is malformed. */
  | 'UnsafeArchive'
  /** Network failures after all retries, non-retryable HTTP statuses, timeouts, local I/O errors. */
  | 'DownloadFailed';

export class ArtifactFetchError extends Error {
  override readonly name = 'ArtifactFetchError';
  readonly reason: ArtifactFetchErrorReason;

  constructor(reason: ArtifactFetchErrorReason, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.reason = reason;
  }
}

/** The error for a fetch stopped by its deadline or its caller's signal. */
export function abortError(signal: AbortSignal, timeoutMs: number): ArtifactFetchError {
  const reason = signal.reason as Error | undefined;
  if (reason?.name === 'TimeoutError') {
    return new ArtifactFetchError('DownloadFailed', `artifact fetch timed out after ${timeoutMs}ms`, reason);
  }
  return new ArtifactFetchError(
    'DownloadFailed',
    `artifact fetch aborted: ${reason?.message ?? 'aborted'}`,
    reason,
  );
}
