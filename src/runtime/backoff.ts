/** Exponential backoff per key, as controller-runtime's item rate limiter (750 ms → 15 min in Flux). */
export class KeyedBackoff {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = 750,
    readonly maxMs = 15 * 60_000,
  ) {}

  /** Records one more failure for the key and returns how long to wait before the retry. */
  next(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** Spreads `ms` uniformly within ±fraction, so that many objects with one interval do not move in lockstep. */
export function jitter(ms: number, fraction = 0.05, random: () => number = Math.random): number {
  return Math.round(ms * (1 + fraction * (2 * random() - 1)));
}
