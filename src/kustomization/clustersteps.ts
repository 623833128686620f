// A pass's steps against the cluster, through the Kustomization's ResourceManager: apply, prune,
// health checks, and the wait for deleted objects to go (deletion policy WaitForTermination). Each
// fails with a KustomizationStepError carrying Flux's Ready reason.
import {
  ConditionType,
  KustomizationReason,
  markFalse,
  markReconciling,
  markTrue,
  removeCondition,
} from '../api/conditions.js';
import { formatDuration } from '../api/duration.js';
import type { Kustomization } from '../api/kustomization.js';
import type { DriftedObject } from '../apply/apply.js';
import type { ApplyCache } from '../apply/cache.js';
import type { ChangeSet } from '../apply/changeset.js';
import { IgnoreRules } from '../apply/ignore.js';
import { type InventoryEntry, staleEntries } from '../apply/inventory.js';
import { delay } from '../apply/limit.js';
import type { ResourceManager } from '../apply/manager.js';
import type { Manifest, ObjectRef } from '../kube/dynamic.js';
import { isNoKindMatch } from '../kube/errors.js';
import { errorMessage } from '../runtime/logger.js';
import type { DriftMode } from './drift.js';
import type { StatusOf } from './healthexprs.js';
import { KustomizationStepError } from './outcome.js';

/**
 * On failure the inventory keeps tracking everything: the previous entries plus whatever this
 * attempt created before it failed, so nothing it made can be orphaned by a later prune.
 */
export async function applyManifests(
  manager: ResourceManager,
  manifests: Manifest[],
  obj: Kustomization,
  cache: ApplyCache,
  signal: AbortSignal,
  drift: { mode: DriftMode; sameBuild: boolean },
): Promise<{ changeSet: ChangeSet; drift: DriftedObject[] }> {
  let ignore: IgnoreRules | undefined;
  try {
    ignore = IgnoreRules.compile(obj.spec.ignore);
  } catch (err) {
    throw new KustomizationStepError('ReconciliationFailed', errorMessage(err), { stalled: true });
  }
  const result = await manager.applyAll(manifests, {
    force: obj.spec.force ?? false,
    cache,
    previousInventory: new Set((obj.status?.inventory?.entries ?? []).map((e) => e.id)),
    signal,
    ...(ignore ? { ignore } : {}),
    // Drift is a difference on an object whose manifest is the one applied last time: known
    // per object from the cache, or for the whole build from status.history (after a restart).
    drift: {
      reportOnly: drift.mode === 'report',
      unchangedManifest: (ref, digest) => drift.sameBuild || cache.lookup(ref, digest) !== undefined,
    },
  });
  if (result.error) {
    const inventory = mergeInventory(obj.status?.inventory?.entries ?? [], result.changeSet.toInventory());
    throw new KustomizationStepError('ReconciliationFailed', result.error.message, { inventory });
  }
  return { changeSet: result.changeSet, drift: result.drift };
}

/** Deletes what left Git; entries whose deletion failed stay in the inventory for the next try. */
export async function pruneStale(
  manager: ResourceManager,
  obj: Kustomization,
  inventory: InventoryEntry[],
  cache: ApplyCache,
  signal: AbortSignal,
): Promise<ChangeSet | undefined> {
  const stale = staleEntries(obj.status?.inventory?.entries ?? [], inventory);
  if (!obj.spec.prune || stale.length === 0) return undefined;
  const result = await manager.prune(stale, { cache, signal });
  if (result.failed.length) {
    const lines = result.failed.map((f) => `${f.subject}: ${f.message}`).join('\n');
    throw new KustomizationStepError('PruneFailed', `prune failed:\n${lines}`, {
      inventory: mergeInventory(
        inventory,
        result.failed.map((f) => f.entry),
      ),
    });
  }
  return result.changeSet;
}

/** Waits for `targets` (healthtargets.ts); none at all: no Healthy condition. */
export async function checkHealth(
  manager: ResourceManager,
  obj: Kustomization,
  targets: ObjectRef[] | undefined,
  timeoutMs: number,
  signal: AbortSignal,
  statusOf: StatusOf | undefined,
): Promise<string | undefined> {
  if (targets === undefined) {
    removeCondition(obj, ConditionType.Healthy);
    return undefined;
  }
  if (targets.length === 0) return undefined;
  markReconciling(
    obj,
    KustomizationReason.Progressing,
    `Running health checks with a timeout of ${formatDuration(timeoutMs)}`,
  );
  const started = Date.now();
  const result = await manager.waitForSet(targets, {
    timeoutMs,
    failFast: true,
    signal,
    intervalMs: 2_000,
    ...(statusOf ? { statusOf } : {}),
  });
  if (!result.ok) {
    markFalse(obj, ConditionType.Healthy, KustomizationReason.HealthCheckFailed, result.message);
    throw new KustomizationStepError('HealthCheckFailed', result.message);
  }
  const message = `Health check passed in ${formatDuration(Date.now() - started)}`;
  markTrue(obj, ConditionType.Healthy, 'Succeeded', message);
  return message;
}

/**
 * WaitForTermination: polls every 2s (as Flux does) until none of `refs` exists any more, or the
 * timeout passes; returns what still exists. (Not a health wait: a deleted object never becomes
 * Current.)
 */
export async function waitUntilGone(
  manager: ResourceManager,
  refs: ObjectRef[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ObjectRef[]> {
  const deadline = Date.now() + timeoutMs;
  let remaining = refs;
  for (;;) {
    const exists = await Promise.all(
      remaining.map((r) =>
        manager.dynamic.get(r, signal).then(
          (o) => o !== undefined,
          (err: unknown) => {
            if (isNoKindMatch(err)) return false;
            throw err;
          },
        ),
      ),
    );
    remaining = remaining.filter((_, i) => exists[i]);
    if (remaining.length === 0 || Date.now() + 2_000 > deadline) return remaining;
    await delay(2_000, signal);
  }
}

function mergeInventory(current: InventoryEntry[], extra: InventoryEntry[]): InventoryEntry[] {
  if (extra.length === 0) return current;
  const byId = new Map(current.map((e) => [e.id, e]));
  for (const e of extra) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
