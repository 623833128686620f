// waitForSet: poll objects until every one is healthy (kstatus Current), one fails (fail-fast),
// or the timeout passes; the result says which objects are not ready and why (flux-api.md §2.8).
import { formatRef, type Manifest, type ObjectRef } from '../kube/dynamic.js';
import { isNoKindMatch } from '../kube/errors.js';
import type { ApplyContext } from './context.js';
import { computeHealth, type Health, type HealthStatus } from './health.js';
import { delay, mapLimit } from './limit.js';

export interface WaitOptions {
  timeoutMs: number;
  /** Poll interval (default 1 s; Flux uses 5 s for health checks, 2 s for staged definitions). */
  intervalMs?: number;
  /** Stop at the first Failed object instead of waiting for the timeout (Flux's default). */
  failFast?: boolean;
  signal?: AbortSignal;
  /** Custom health for some objects (Flux's CEL status readers); undefined falls back to kstatus. */
  statusOf?: (obj: Manifest) => Health | undefined;
}

export interface ObjectHealth extends Health {
  ref: ObjectRef;
  subject: string;
}

export type WaitResult =
  | { ok: true; objects: ObjectHealth[] }
  | { ok: false; reason: 'HealthCheckFailed' | 'Timeout'; message: string; objects: ObjectHealth[] };

export async function waitForSet(
  m: ApplyContext,
  refs: readonly ObjectRef[],
  opts: WaitOptions,
): Promise<WaitResult> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 1000;
  const latest = new Map<string, ObjectHealth>();
  let pending = [...refs];
  for (;;) {
    const polled = await mapLimit(pending, m.concurrency, (ref) => healthOf(m, ref, opts), opts.signal);
    for (const h of polled) latest.set(h.subject, h);
    const all = refs.map((r) => latest.get(formatRef(r))!);
    const failedNow = polled.filter((h) => h.status === 'Failed');
    if (opts.failFast !== false && failedNow.length > 0)
      return {
        ok: false,
        reason: 'HealthCheckFailed',
        message: `failed early due to stalled resources: [${failedNow.map(describe).join(', ')}]`,
        objects: all,
      };
    pending = polled.filter((h) => h.status !== 'Current').map((h) => h.ref);
    if (pending.length === 0) return { ok: true, objects: all };
    if (Date.now() + interval > deadline) {
      const notReady = all.filter((h) => h.status !== 'Current');
      return {
        ok: false,
        reason: notReady.some((h) => h.status === 'Failed') ? 'HealthCheckFailed' : 'Timeout',
        message: `timeout waiting for: [${notReady.map(describe).join(', ')}]`,
        objects: all,
      };
    }
    await delay(interval, opts.signal);
  }
}

const describe = (h: ObjectHealth): string => `${h.subject} status: '${h.status}': ${h.message}`;

async function healthOf(m: ApplyContext, ref: ObjectRef, opts: WaitOptions): Promise<ObjectHealth> {
  const subject = formatRef(ref);
  try {
    const obj = await m.dynamic.get(ref, opts.signal);
    const custom = obj && !obj.metadata.deletionTimestamp ? opts.statusOf?.(obj) : undefined;
    return { ref, subject, ...(custom ?? computeHealth(obj)) };
  } catch (err) {
    if (!isNoKindMatch(err)) throw err;
    const status: HealthStatus = 'NotFound';
    return { ref, subject, status, message: err.message };
  }
}
