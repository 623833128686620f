// Durations as the CRDs store them (Go `metav1.Duration` strings restricted by the Flux patterns).

/** CRD pattern of `interval`, `retryInterval` and Kustomization `timeout`. */
export const DURATION_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;
/** CRD pattern of GitRepository `timeout`: no hours. */
export const TIMEOUT_PATTERN = /^([0-9]+(\.[0-9]+)?(ms|s|m))+$/;

/** A duration string such as `1m30s`, `500ms`, `1.5h`. */
export type Duration = string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export class InvalidDurationError extends Error {
  constructor(readonly value: string) {
    super(`invalid duration ${JSON.stringify(value)}: expected e.g. 30s, 5m, 1h30m, 500ms`);
    this.name = 'InvalidDurationError';
  }
}

export function isDuration(value: string): boolean {
  return DURATION_PATTERN.test(value);
}

/** Milliseconds of a duration accepted by the CRD pattern; throws InvalidDurationError otherwise. */
export function parseDuration(value: Duration): number {
  if (!DURATION_PATTERN.test(value)) throw new InvalidDurationError(value);
  let total = 0;
  for (const m of value.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}

/** Go's time.Duration.String() for whole milliseconds: `1m30s`, `2h0m0s`, `500ms`, `0s`. */
export function formatDuration(ms: number): Duration {
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  if (rest === 0) return '0s';
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const secs = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${sign}${h}h${m}m${secs}`;
  if (m > 0) return `${sign}${m}m${secs}`;
  return `${sign}${secs}`;
}
