import { KeyedBackoff } from './backoff.js';

/** What the queue reports about itself; the manager wires these to Prometheus. */
export interface QueueObserver {
  depth(n: number): void;
  added(): void;
  retried(): void;
  /** Seconds a key waited in the queue before a worker took it. */
  waited(seconds: number): void;
  /** Seconds a worker held a key. */
  worked(seconds: number): void;
}

export interface WorkQueueOptions {
  backoff?: KeyedBackoff;
  observer?: QueueObserver;
}

/**
 * A keyed work queue with client-go's guarantees: a key waits in the queue at most once (adds are
 * deduplicated), a key is never handed to two workers at once (an add while it is being processed
 * is held back until `done`), delayed adds keep the earliest deadline, and failures back off per key.
 */
export class WorkQueue {
  private readonly order: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private shuttingDown = false;
  readonly backoff: KeyedBackoff;
  private readonly observer: QueueObserver | undefined;

  constructor(opts: WorkQueueOptions = {}) {
    this.backoff = opts.backoff ?? new KeyedBackoff();
    this.observer = opts.observer;
    // A series from the start: a queue whose keys always go straight to an idle worker still has one.
    this.observer?.depth(0);
  }

  get length(): number {
    return this.order.length;
  }

  get shutDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.observer?.added();
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, Date.now());
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds the key after `ms`; if it is already scheduled, the earlier deadline wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /**
   * What a finished reconcile asks for: the key's next pass after `ms` (none when undefined),
   * replacing any add still pending from an earlier pass — a retry scheduled before this pass
   * succeeded is obsolete.
   */
  reschedule(key: string, ms: number | undefined): void {
    this.cancelDelayed(key);
    if (ms !== undefined) this.addAfter(key, ms);
  }

  private cancelDelayed(key: string): void {
    const pending = this.delayed.get(key);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.delayed.delete(key);
  }

  /** Adds the key after its next backoff delay; returns that delay. */
  addRateLimited(key: string): number {
    const delay = this.backoff.next(key);
    this.observer?.retried();
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.backoff.forget(key);
  }

  /** The next key to work on, or undefined once the queue is shut down and empty. */
  get(): Promise<string | undefined> {
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    const started = this.startedAt.get(key);
    if (started !== undefined) this.observer?.worked((Date.now() - started) / 1000);
    this.startedAt.delete(key);
    this.processing.delete(key);
    if (this.dirty.has(key)) this.push(key);
    else if (this.processing.size === 0) this.notifyIdle();
  }

  /** Seconds the keys being worked on have been held so far: their sum and the longest. */
  inProgress(now = Date.now()): { unfinishedSeconds: number; longestSeconds: number } {
    let unfinishedSeconds = 0;
    let longestSeconds = 0;
    for (const started of this.startedAt.values()) {
      const s = Math.max(0, now - started) / 1000;
      unfinishedSeconds += s;
      if (s > longestSeconds) longestSeconds = s;
    }
    return { unfinishedSeconds, longestSeconds };
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /** Whether the key waits for a worker (including an add held back while it is in progress). */
  isQueued(key: string): boolean {
    return this.dirty.has(key);
  }

  /** Whether a delayed add (a requeue or a retry) is pending for the key. */
  isScheduled(key: string): boolean {
    return this.delayed.has(key);
  }

  /** Stops accepting keys; workers blocked in get() return undefined. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    this.order.length = 0;
    this.dirty.clear();
    this.observer?.depth(0);
    for (const w of this.waiters.splice(0)) w(undefined);
    if (this.processing.size === 0) this.notifyIdle();
  }

  /** Shuts down, then waits until every key in progress is done (or the deadline passes). */
  async shutdownWithDrain(timeoutMs: number): Promise<boolean> {
    this.shutdown();
    if (this.processing.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true))),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return drained;
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      this.take(key);
      waiter(key);
      return;
    }
    this.order.push(key);
    this.observer?.depth(this.order.length);
  }

  private pop(): string | undefined {
    const key = this.order.shift();
    if (key === undefined) return undefined;
    this.observer?.depth(this.order.length);
    this.take(key);
    return key;
  }

  private take(key: string): void {
    // The pass starting now is what a pending delayed add asked for; its end schedules the next.
    this.cancelDelayed(key);
    this.dirty.delete(key);
    this.processing.add(key);
    const added = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (added !== undefined) this.observer?.waited((Date.now() - added) / 1000);
    this.startedAt.set(key, Date.now());
  }

  private notifyIdle(): void {
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
