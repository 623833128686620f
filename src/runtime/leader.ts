// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a holder renews every
// retry period; others take over once they have seen no renewal for a whole lease duration
// (measured on their own clock, so clock skew between replicas does not matter).
import { hostname } from 'node:os';
import type { KubeClient } from '../kube/client.js';
import { isConflict, isNotFound } from '../kube/errors.js';
import { CoreTypes, collectionPath, objectPath } from '../kube/resource.js';
import { errorMessage, type Logger } from './logger.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** RFC 3339 with microseconds, the MicroTime format the apiserver expects. */
function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { holder?: string; renewTime?: string; at: number } = { at: 0 };
  private leading = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
    private readonly log: Logger,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
  ) {
    this.identity = opts.identity ?? `${hostname()}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
    this.leaseDurationMs = opts.leaseDurationMs ?? 35_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 30_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 5_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Stops campaigning; a leader releases the lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leading) {
      this.leading = false;
      await this.release().catch((err) =>
        this.log.error('releasing the lease failed', { error: errorMessage(err) }),
      );
    }
  }

  private path(): string {
    return objectPath(CoreTypes.lease, this.opts.namespace, this.opts.name);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let lastRenew = 0;
    while (!this.stopped) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.log.error('leader election request failed', { error: errorMessage(err), lease: this.opts.name });
      }
      if (this.stopped) break;
      if (ok) {
        lastRenew = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info('successfully acquired lease', { lease: `${this.opts.namespace}/${this.opts.name}` });
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading && Date.now() - lastRenew > this.renewDeadlineMs) {
        this.leading = false;
        this.log.error('leader election lost', { lease: `${this.opts.namespace}/${this.opts.name}` });
        this.callbacks.onStoppedLeading();
      }
      await this.sleep(this.retryPeriodMs);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.client.getOptional<Lease>(this.path());
    const spec = {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      renewTime: microTime(now),
    };
    if (!lease) {
      try {
        await this.client.post(collectionPath(CoreTypes.lease, this.opts.namespace), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const holder = lease.spec.holderIdentity;
    if (holder !== this.observed.holder || lease.spec.renewTime !== this.observed.renewTime) {
      this.observed = { holder, renewTime: lease.spec.renewTime, at: Date.now() };
    }
    const heldByOther = holder && holder !== this.identity;
    const duration = (lease.spec.leaseDurationSeconds ?? 0) * 1000;
    if (heldByOther && Date.now() < this.observed.at + duration) return false;
    const transition = holder !== this.identity;
    const updated: Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        ...spec,
        acquireTime: transition ? microTime(now) : lease.spec.acquireTime,
        leaseTransitions: (lease.spec.leaseTransitions ?? 0) + (transition && holder ? 1 : 0),
      },
    };
    try {
      await this.client.put(this.path(), updated);
      return true;
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = await this.client.getOptional<Lease>(this.path());
    if (!lease || lease.spec.holderIdentity !== this.identity) return;
    await this.client.put(this.path(), {
      ...lease,
      spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime() },
    });
  }
}
