// A controller: informer events become keys in a work queue; N workers run the reconciler, never
// two at once for the same key; errors back off per key; results schedule the next run.
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../kube/resource.js';
import { objectKey, splitKey } from '../kube/resource.js';
import { jitter, KeyedBackoff } from './backoff.js';
import type { Informer, InformerEvent } from './informer.js';
import { errorMessage, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { WorkQueue } from './queue.js';

export interface ReconcileResult {
  /** Run again after this many ms (jittered ±5 %). */
  requeueAfter?: number;
}

export interface ReconcileRequest {
  key: string;
  namespace?: string;
  name: string;
  reconcileID: string;
  log: Logger;
  /** Aborted when the manager shuts down. */
  signal: AbortSignal;
}

/** A reconciler is a function of a key; a thrown error means "retry with backoff". */
export type Reconcile = (req: ReconcileRequest) => Promise<ReconcileResult | undefined>;

/** Decides whether an informer event should enqueue the object. */
export type EnqueuePredicate<T> = (event: InformerEvent, obj: T, old: T | undefined) => boolean;

/**
 * controller-runtime's default for a primary kind: every add, delete and resync; updates only when
 * the spec (generation), labels, annotations, finalizers or deletion state changed — never for a
 * status-only write, which would otherwise loop on our own status updates.
 */
export function defaultPredicate<T extends KubeObject>(
  event: InformerEvent,
  obj: T,
  old: T | undefined,
): boolean {
  if (event !== 'modified' || !old) return true;
  const a = old.metadata;
  const b = obj.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? [])
  );
}

export interface ControllerOptions<T extends KubeObject> {
  name: string;
  kind: string;
  informer: Informer<T>;
  reconcile: Reconcile;
  concurrency?: number;
  predicate?: EnqueuePredicate<T>;
  logger: Logger;
  metrics: Metrics;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class Controller<T extends KubeObject> {
  readonly name: string;
  readonly queue: WorkQueue;
  readonly informer: Informer<T>;
  private readonly workers: Promise<void>[] = [];
  private readonly abort = new AbortController();
  private readonly log: Logger;

  constructor(private readonly opts: ControllerOptions<T>) {
    this.name = opts.name;
    this.informer = opts.informer;
    this.log = opts.logger.child({ controller: opts.name, controllerKind: opts.kind });
    this.queue = new WorkQueue({
      observer: opts.metrics.queueObserver(opts.name),
      backoff: new KeyedBackoff(opts.backoffBaseMs, opts.backoffMaxMs),
    });
    opts.metrics.watchQueue(opts.name, () => this.queue.inProgress());
    const predicate = opts.predicate ?? defaultPredicate;
    opts.informer.on((event, obj, old) => {
      if (predicate(event, obj, old)) this.queue.add(objectKey(obj));
    });
  }

  /** Enqueue a key from outside (another kind's watch, a webhook). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Starts the workers; informers are started by the manager. */
  start(): void {
    const n = this.opts.concurrency ?? 4;
    this.opts.metrics.maxConcurrent.set({ controller: this.name }, n);
    // Keys enqueued before leadership was won are in the queue already; resync covers the rest.
    for (const obj of this.informer.list()) this.queue.add(objectKey(obj));
    for (let i = 0; i < n; i++) this.workers.push(this.work());
  }

  async stop(drainTimeoutMs = 30_000): Promise<void> {
    const drained = await this.queue.shutdownWithDrain(drainTimeoutMs);
    if (!drained) this.log.error('shutdown deadline passed with reconciles still running');
    this.abort.abort();
    await Promise.race([Promise.all(this.workers), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.process(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async process(key: string): Promise<void> {
    const { metrics } = this.opts;
    const { namespace, name } = splitKey(key);
    const reconcileID = randomUUID();
    const log = this.log.child({ name, namespace, reconcileID });
    const started = process.hrtime.bigint();
    metrics.activeWorkers.inc({ controller: this.name });
    try {
      const result = await this.opts.reconcile({
        key,
        namespace,
        name,
        reconcileID,
        log,
        signal: this.abort.signal,
      });
      this.queue.forget(key);
      const requeue = result?.requeueAfter && result.requeueAfter > 0 ? result.requeueAfter : undefined;
      this.queue.reschedule(key, requeue && jitter(requeue));
      if (requeue) {
        metrics.reconcileTotal.inc({ controller: this.name, result: 'requeue_after' });
      } else {
        metrics.reconcileTotal.inc({ controller: this.name, result: 'success' });
      }
    } catch (err) {
      metrics.reconcileTotal.inc({ controller: this.name, result: 'error' });
      metrics.reconcileErrors.inc({ controller: this.name });
      if (this.queue.shutDown) return;
      const retryIn = this.queue.addRateLimited(key);
      log.error('Reconciler error', { error: errorMessage(err), retryInMs: retryIn });
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.reconcileTime.observe({ controller: this.name }, seconds);
      metrics.activeWorkers.dec({ controller: this.name });
    }
  }
}
