// What `mooring ui` knows of the cluster: informers over GitRepositories, Kustomizations and
// Events (one namespace or all), with the user's own credentials. Overview rows are kept up to
// date and changes go out to subscribers as batched deltas (one message per 100 ms at most).

import { GitRepositoryType } from '../api/gitrepository.js';
import { KustomizationType } from '../api/kustomization.js';
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/resource.js';
import { CoreTypes } from '../kube/resource.js';
import { Informer, type InformerEvent } from '../runtime/informer.js';
import type { Logger } from '../runtime/logger.js';
import type { FluxKind, OverviewDelta, Row } from './api.js';
import { type FluxObjectLike, rowKey, rowOf } from './model.js';

export type FluxObject = FluxObjectLike & KubeObject;

export interface EventObject extends KubeObject {
  involvedObject?: { kind?: string; namespace?: string; name?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
}

export type ChangeListener = (kind: FluxKind | 'Event', obj: KubeObject) => void;

const FLUSH_MS = 100;

export class UiStore {
  readonly sources: Informer<FluxObject>;
  readonly kustomizations: Informer<FluxObject>;
  readonly events: Informer<EventObject>;
  private readonly rows = new Map<string, Row>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly deltaListeners = new Set<(d: OverviewDelta) => void>();
  private readonly changeListeners = new Set<ChangeListener>();

  constructor(
    readonly client: KubeClient,
    /** Undefined: all namespaces. */
    readonly namespace: string | undefined,
    logger: Logger,
  ) {
    const opts = { namespace, logger, watchTimeoutSeconds: 300 };
    this.sources = new Informer(client, { ...opts, resource: GitRepositoryType });
    this.kustomizations = new Informer(client, { ...opts, resource: KustomizationType });
    this.events = new Informer(client, { ...opts, resource: CoreTypes.event });
    this.sources.on(this.handler('GitRepository'));
    this.kustomizations.on(this.handler('Kustomization'));
    this.events.on((_e, obj) => this.notify('Event', obj));
  }

  private handler(kind: FluxKind) {
    return (event: InformerEvent, obj: FluxObject) => {
      if (event === 'resync') return;
      this.dirty.add(`${kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
      this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
      this.notify(kind, obj);
    };
  }

  private notify(kind: FluxKind | 'Event', obj: KubeObject): void {
    for (const l of this.changeListeners) l(kind, obj);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const delta: OverviewDelta = { upserts: [], deletes: [] };
    for (const key of this.dirty) {
      const [kind, namespace, name] = key.split('/') as [FluxKind, string, string];
      const obj = this.informerOf(kind).get(`${namespace}/${name}`);
      if (obj) {
        const row = rowOf(kind, obj);
        this.rows.set(key, row);
        delta.upserts.push(row);
      } else if (this.rows.delete(key)) delta.deletes.push(key);
    }
    this.dirty.clear();
    if (delta.upserts.length || delta.deletes.length) for (const l of this.deltaListeners) l(delta);
  }

  informerOf(kind: FluxKind): Informer<FluxObject> {
    return kind === 'GitRepository' ? this.sources : this.kustomizations;
  }

  get(kind: FluxKind, namespace: string, name: string): FluxObject | undefined {
    return this.informerOf(kind).get(`${namespace}/${name}`);
  }

  row(kind: FluxKind, namespace: string, name: string): Row | undefined {
    const obj = this.get(kind, namespace, name);
    return obj ? rowOf(kind, obj) : undefined;
  }

  /** Every row, sources first, each kind by namespace and name. */
  allRows(): Row[] {
    const rows = [
      ...this.sources.list().map((o) => rowOf('GitRepository', o)),
      ...this.kustomizations.list().map((o) => rowOf('Kustomization', o)),
    ];
    const order = (r: Row) => (r.kind === 'GitRepository' ? 0 : 1);
    return rows.sort(
      (a, b) => order(a) - order(b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
    );
  }

  onDelta(listener: (d: OverviewDelta) => void): () => void {
    this.deltaListeners.add(listener);
    return () => this.deltaListeners.delete(listener);
  }

  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  start(): void {
    this.sources.start();
    this.kustomizations.start();
    this.events.start();
  }

  /** Resolves once the first lists are in; rejects after timeoutMs (wrong RBAC, CRDs missing). */
  async waitForSync(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new Error(`the first list of GitRepositories and Kustomizations took over ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([
        Promise.all([this.sources.waitForSync(), this.kustomizations.waitForSync()]),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
    for (const r of this.allRows()) this.rows.set(rowKey(r), r);
  }

  async stop(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    await Promise.all([this.sources.stop(), this.kustomizations.stop(), this.events.stop()]);
  }
}
