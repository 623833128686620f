// An informer: LIST then WATCH one kind into a local cache, delivering changes to handlers. Unlike
// client-node's ListWatch it never stops for good: any error (500, refused, reset, 410 Gone) leads
// to a backed-off re-list, which also re-delivers whatever changed while it was away. Watches carry
// a server-side timeout and an inactivity watchdog (half-open connections), and a periodic re-list
// plus resync guards against anything missed.
import type { IncomingMessage } from 'node:http';
import type { KubeClient } from '../kube/client.js';
import { ApiError, isGone } from '../kube/errors.js';
import {
  collectionPath,
  type KubeObject,
  type ObjectList,
  objectKey,
  type ResourceType,
} from '../kube/resource.js';
import { jitter } from './backoff.js';
import { errorMessage, type Logger } from './logger.js';

export type InformerEvent = 'added' | 'modified' | 'deleted' | 'resync';
export type InformerHandler<T> = (event: InformerEvent, obj: T, old: T | undefined) => void;

export interface InformerOptions {
  resource: ResourceType;
  /** Watch one namespace only; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  /** Re-list and deliver a `resync` for every cached object this often (ms). */
  resyncMs?: number;
  /** Server-side watch timeout, randomized per watch in [t, 2t) like client-go. */
  watchTimeoutSeconds?: number;
  pageSize?: number;
  logger: Logger;
  /** Called after each failed list/watch, for metrics. */
  onError?: (err: unknown) => void;
  /**
   * Keep `metadata.managedFields` in the cache. Off by default, as controller-runtime's
   * TransformStripManagedFields: reconcilers never read them, and with status patches from
   * several managers they are a large share of each cached object.
   */
  keepManagedFields?: boolean;
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T | { code?: number; message?: string; reason?: string };
}

export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion: string | undefined;
  private abort: AbortController | undefined;
  private stopped = true;
  private running: Promise<void> | undefined;
  private synced = false;
  private readonly syncWaiters: Array<() => void> = [];
  private lastResync = Date.now();
  private failures = 0;

  constructor(
    private readonly client: KubeClient,
    readonly opts: InformerOptions,
  ) {}

  on(handler: InformerHandler<T>): void {
    this.handlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    await this.running;
  }

  private get path(): string {
    return collectionPath(this.opts.resource, this.opts.namespace);
  }

  private async run(): Promise<void> {
    const log = this.opts.logger;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === undefined || this.resyncDue()) await this.relist();
        await this.watch();
        this.failures = 0;
      } catch (err) {
        if (this.stopped) break;
        this.opts.onError?.(err);
        if (isGone(err)) {
          log.info('watch expired, re-listing', { kind: this.opts.resource.kind });
          this.resourceVersion = undefined;
          continue;
        }
        this.resourceVersion = undefined;
        const delay = jitter(Math.min(1000 * 2 ** this.failures, 30_000), 0.2);
        this.failures++;
        log.error('list/watch failed, retrying', {
          kind: this.opts.resource.kind,
          error: errorMessage(err),
          retryInMs: delay,
        });
        await this.sleep(delay);
      }
    }
  }

  private resyncDue(): boolean {
    return this.opts.resyncMs !== undefined && Date.now() - this.lastResync >= this.opts.resyncMs;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const abort = new AbortController();
      this.abort = abort;
      const t = setTimeout(resolve, ms);
      abort.signal.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** LIST (paginated), replace the cache, and deliver the difference. */
  private async relist(): Promise<void> {
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const page = await this.client.get<ObjectList<T>>(this.path, {
        query: { labelSelector: this.opts.labelSelector, limit: this.opts.pageSize ?? 500, continue: cont },
      });
      for (const item of page.items) {
        // Lists omit kind/apiVersion on items; restore them so handlers see whole objects.
        item.kind ??= this.opts.resource.kind;
        item.apiVersion ??= this.opts.resource.group
          ? `${this.opts.resource.group}/${this.opts.resource.version}`
          : this.opts.resource.version;
        fresh.set(objectKey(item), this.trim(item));
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? rv;
    } while (cont);

    const periodic = this.resyncDue();
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.emit('deleted', old, old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('added', obj, undefined);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.emit('modified', obj, old);
      else if (periodic) this.emit('resync', obj, old);
    }
    if (periodic) this.lastResync = Date.now();
    this.resourceVersion = rv;
    this.opts.logger.debug('listed', {
      kind: this.opts.resource.kind,
      count: fresh.size,
      resourceVersion: rv,
    });
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private async watch(): Promise<void> {
    const base = this.opts.watchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.floor(base + Math.random() * base);
    const abort = new AbortController();
    this.abort = abort;
    if (this.stopped) return;
    let res: IncomingMessage;
    try {
      res = await this.client.open('GET', this.path, {
        signal: abort.signal,
        query: {
          watch: 1,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds,
          labelSelector: this.opts.labelSelector,
        },
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      throw err;
    }
    if (res.statusCode !== 200) {
      let body = '';
      for await (const c of res) body += c;
      const err = new ApiError(res.statusCode ?? 0, '', body.slice(0, 300), 'GET', this.path);
      throw err;
    }

    this.opts.logger.debug('watch opened', {
      kind: this.opts.resource.kind,
      resourceVersion: this.resourceVersion,
    });
    // Watchdog: the server closes the watch after timeoutSeconds; silence well beyond that means
    // a half-open connection.
    let lastData = Date.now();
    const watchdog = setInterval(
      () => {
        if (Date.now() - lastData > (timeoutSeconds + 30) * 1000) abort.abort();
        if (this.resyncDue()) abort.abort();
      },
      Math.min(10_000, this.opts.resyncMs ?? 10_000),
    );
    let buffer = '';
    try {
      for await (const chunk of res) {
        lastData = Date.now();
        buffer += chunk;
        let nl = buffer.indexOf('\n');
        while (nl >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) this.handleEvent(JSON.parse(line) as WatchEvent<T>);
          nl = buffer.indexOf('\n');
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    } finally {
      clearInterval(watchdog);
      res.destroy();
      this.opts.logger.debug('watch closed', { kind: this.opts.resource.kind });
    }
  }

  private handleEvent(ev: WatchEvent<T>): void {
    if (ev.type === 'ERROR') {
      const status = ev.object as { code?: number; message?: string; reason?: string };
      throw new ApiError(
        status.code ?? 500,
        status.reason ?? '',
        status.message ?? 'watch error',
        'GET',
        this.path,
      );
    }
    const obj = ev.object as T;
    if (obj.metadata?.resourceVersion) this.resourceVersion = obj.metadata.resourceVersion;
    if (ev.type === 'BOOKMARK') return;
    obj.kind ??= this.opts.resource.kind;
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (ev.type === 'DELETED') {
      this.cache.delete(key);
      this.emit('deleted', obj, old);
      return;
    }
    this.cache.set(key, this.trim(obj));
    this.emit(old ? 'modified' : 'added', obj, old);
  }

  private trim(obj: T): T {
    if (!this.opts.keepManagedFields && obj.metadata) delete obj.metadata.managedFields;
    return obj;
  }

  private emit(event: InformerEvent, obj: T, old: T | undefined): void {
    for (const h of this.handlers) {
      try {
        h(event, obj, old);
      } catch (err) {
        this.opts.logger.error('informer handler failed', {
          kind: this.opts.resource.kind,
          error: errorMessage(err),
        });
      }
    }
  }
}
