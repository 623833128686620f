// What the Kustomization reconciler remembers between passes, per Kustomization key. Memory only:
// after a restart the first pass of each Kustomization is a full one (build, dry-run, apply).
import { ApplyCache } from '../apply/cache.js';
import type { ChangeSet } from '../apply/changeset.js';
import type { BuildReads } from './buildinputs.js';

/** A Kustomization's last full, successful apply: what it applied and what its build read. */
export interface LastApply {
  /** The applied manifests' digest. */
  digest: string;
  changeSet: ChangeSet;
  /** When it finished (ms since the epoch). */
  at: number;
  reads: BuildReads;
  /** The substitution variables' digest. */
  varsDigest: string;
}

export class ReconcileMemo {
  private readonly lastApplies = new Map<string, LastApply>();
  private readonly caches = new Map<string, ApplyCache>();
  private readonly reportedDrifts = new Map<string, string>();

  lastApply(key: string): LastApply | undefined {
    return this.lastApplies.get(key);
  }

  recordApply(key: string, last: LastApply): void {
    this.lastApplies.set(key, last);
  }

  /** The steady-state apply cache of one Kustomization, created on first use. */
  applyCache(key: string): ApplyCache {
    let cache = this.caches.get(key);
    if (!cache) {
      cache = new ApplyCache();
      this.caches.set(key, cache);
    }
    return cache;
  }

  /** Report-only drift: what the last DriftDetected event announced (one event per change). */
  reportedDrift(key: string): string | undefined {
    return this.reportedDrifts.get(key);
  }

  setReportedDrift(key: string, drift: string | undefined): void {
    if (drift === undefined) this.reportedDrifts.delete(key);
    else this.reportedDrifts.set(key, drift);
  }

  /** The Kustomization is gone (or going): nothing of it is kept. */
  forget(key: string): void {
    this.lastApplies.delete(key);
    this.caches.delete(key);
    this.reportedDrifts.delete(key);
  }
}
