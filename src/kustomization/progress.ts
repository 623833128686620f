// The Progressing status of a pass is written only when the pass outlasts a short delay: a fast
// pass goes straight to its result (one status write instead of two), while a slow one (a large
// download, an apply that waits for CRDs, health checks) still shows that it is at work.

/** Below this a pass writes only its result; above it the Progressing status appears first. */
export const PROGRESS_DELAY_MS = 2_000;

export class DeferredProgress {
  private timer: NodeJS.Timeout | undefined;
  private shown: Promise<boolean> | undefined;

  constructor(private readonly delayMs: number) {}

  /** Schedules `show` once for when the delay has passed (later calls keep the first schedule). */
  arm(show: () => Promise<void>): void {
    if (this.timer || this.shown) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.shown = show().then(
        () => true,
        () => false, // best effort: the result's status write follows anyway
      );
    }, this.delayMs);
  }

  /** Cancels a pending write and waits for one under way; true when a progress status was written. */
  async settle(): Promise<boolean> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return (await this.shown) ?? false;
  }
}
