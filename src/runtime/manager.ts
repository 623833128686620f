// The manager owns every lifecycle: the API client, informers, controllers, leader election, the
// metrics and health servers, and shutdown. Reconcilers own nothing (style.md, controller-runtime).

import { KubeClient } from '../kube/client.js';
import type { KubeConfig } from '../kube/kubeconfig.js';
import type { KubeObject, ResourceType } from '../kube/resource.js';
import { Controller, type ControllerOptions } from './controller.js';
import { EventRecorder } from './events.js';
import { type Listening, listen } from './http.js';
import { Informer } from './informer.js';
import { type LeaderElectionOptions, LeaderElector } from './leader.js';
import { errorMessage, type Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { EventForwarder } from './notify.js';

/** A server or loop the manager starts and stops (leader-only ones: e.g. the artifact server). */
export interface LeaderRunnable {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  /** Component name for events and the user agent. */
  component?: string;
  metricsAddr?: string;
  healthAddr?: string;
  leaderElection?: LeaderElectionOptions;
  /** Watch one namespace only (all when absent). */
  namespace?: string;
  /** Label selector on the primary kinds (sharding). */
  watchLabelSelector?: string;
  concurrency?: number;
  /** Informer re-list + resync period. */
  resyncMs?: number;
  /** How long shutdown waits for running reconciles. */
  gracefulShutdownMs?: number;
  processMetrics?: boolean;
  /** Flux's --events-addr: every event is also posted there (notification-controller). */
  eventsAddr?: string;
}

export class Manager {
  readonly client: KubeClient;
  readonly metrics: Metrics;
  readonly events: EventRecorder;
  readonly log: Logger;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller<KubeObject>[] = [];
  private readonly runnables: LeaderRunnable[] = [];
  private readonly alwaysRunnables: LeaderRunnable[] = [];
  private readonly servers: Listening[] = [];
  private elector: LeaderElector | undefined;
  private leading = false;
  private started = false;
  private stopping: Promise<void> | undefined;
  private lostLeadershipHandler: (() => void) | undefined;
  metricsPort: number | undefined;
  healthPort: number | undefined;

  constructor(readonly opts: ManagerOptions) {
    this.client = new KubeClient(opts.kubeConfig);
    this.metrics = new Metrics({ processMetrics: opts.processMetrics });
    this.client.onRequest(this.metrics.countRequest);
    this.log = opts.logger;
    const component = opts.component ?? 'mooring';
    const forwarder = opts.eventsAddr
      ? new EventForwarder({
          url: opts.eventsAddr,
          reportingController: component,
          logger: opts.logger.child({ component: 'events' }),
        })
      : undefined;
    this.events = new EventRecorder(this.client, component, opts.logger, forwarder);
  }

  /** One shared informer per kind (and selector), created on first use. */
  informerFor<T extends KubeObject>(
    rt: ResourceType,
    opts: { labelSelector?: string; primary?: boolean } = {},
  ): Informer<T> {
    const selector = opts.labelSelector ?? (opts.primary ? this.opts.watchLabelSelector : undefined);
    const key = `${rt.group}/${rt.version}/${rt.plural}?${selector ?? ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer<KubeObject>(this.client, {
        resource: rt,
        namespace: rt.namespaced ? this.opts.namespace : undefined,
        labelSelector: selector,
        resyncMs: this.opts.resyncMs ?? 10 * 60_000,
        logger: this.log,
        onError: () => this.metrics.watchErrors.inc({ kind: rt.kind }),
      });
      this.informers.set(key, inf);
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Registers a controller for a primary kind; its informer honours the sharding selector. */
  addController<T extends KubeObject>(
    rt: ResourceType,
    opts: Omit<ControllerOptions<T>, 'informer' | 'logger' | 'metrics' | 'kind'>,
  ): Controller<T> {
    const informer = this.informerFor<T>(rt, { primary: true });
    const c = new Controller<T>({
      ...opts,
      kind: rt.kind,
      concurrency: opts.concurrency ?? this.opts.concurrency,
      informer,
      logger: this.log,
      metrics: this.metrics,
    });
    this.controllers.push(c as unknown as Controller<KubeObject>);
    if (this.leading) c.start();
    return c;
  }

  addLeaderRunnable(r: LeaderRunnable): void {
    this.runnables.push(r);
  }

  /** Runs on every replica from start to stop (e.g. the webhook receiver: any replica may accept). */
  addRunnable(r: LeaderRunnable): void {
    this.alwaysRunnables.push(r);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Called when leadership is lost; the CLI exits, as controller-runtime does. */
  onLostLeadership(handler: () => void): void {
    this.lostLeadershipHandler = handler;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.opts.metricsAddr) {
      const s = await listen(this.opts.metricsAddr, async (req, res) => {
        if (req.url?.split('?')[0] !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        const body = await this.metrics.registry.metrics();
        res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(body);
      });
      this.metricsPort = s.port;
      this.servers.push(s);
    }
    if (this.opts.healthAddr) {
      const s = await listen(this.opts.healthAddr, (req, res) => {
        const path = req.url?.split('?')[0];
        if (path === '/healthz') res.writeHead(200).end('ok');
        else if (path === '/readyz') {
          const ready = [...this.informers.values()].every((i) => i.hasSynced);
          res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'informers not synced');
        } else res.writeHead(404).end();
      });
      this.healthPort = s.port;
      this.servers.push(s);
    }
    for (const inf of this.informers.values()) inf.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    this.log.info('caches synced', { informers: this.informers.size });
    for (const r of this.alwaysRunnables) await r.start();

    if (this.opts.leaderElection) {
      const name = this.opts.leaderElection.name;
      this.metrics.leader.set({ name }, 0);
      this.elector = new LeaderElector(this.client, this.opts.leaderElection, this.log, {
        onStartedLeading: () => {
          this.metrics.leader.set({ name }, 1);
          void this.startLeading();
        },
        onStoppedLeading: () => {
          this.metrics.leader.set({ name }, 0);
          void this.stopLeading().then(() => this.lostLeadershipHandler?.());
        },
      });
      this.elector.start();
    } else {
      await this.startLeading();
    }
  }

  private async startLeading(): Promise<void> {
    if (this.leading) return;
    this.leading = true;
    for (const r of this.runnables) {
      await r
        .start()
        .catch((err) => this.log.error(`failed to start ${r.name}`, { error: errorMessage(err) }));
    }
    for (const c of this.controllers) c.start();
    this.log.info('controllers started', { controllers: this.controllers.map((c) => c.name).join(',') });
  }

  private async stopLeading(): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    const deadline = this.opts.gracefulShutdownMs ?? 30_000;
    await Promise.all(this.controllers.map((c) => c.stop(deadline)));
    for (const r of this.runnables) await r.stop().catch(() => undefined);
  }

  /** Graceful stop: drain reconciles, stop leader-only work, release the lease, stop watches. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.stopLeading();
      await this.elector?.stop();
      for (const r of this.alwaysRunnables) await r.stop().catch(() => undefined);
      await this.events.close();
      await Promise.all([...this.informers.values()].map((i) => i.stop()));
      await Promise.all(this.servers.map((s) => s.close()));
      this.client.close();
      this.log.info('manager stopped');
    })();
    return this.stopping;
  }
}
