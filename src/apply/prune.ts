// Garbage collection of objects that left the set (Flux manager_delete.go, flux-api.md §2.7):
// reverse apply order (webhooks first, Namespaces and CRDs last), background propagation, and
// only objects whose live labels still name us as owner and that are not marked `prune: disabled`.
import { formatRef, type ObjectRef } from '../kube/dynamic.js';
import { ApiError } from '../kube/errors.js';
import type { ApplyCache } from './cache.js';
import { ChangeSet } from './changeset.js';
import type { ApplyContext } from './context.js';
import { entryRef, type InventoryEntry } from './inventory.js';
import { isPruneDisabled, ownedBy } from './metadata.js';
import { sortForDelete } from './order.js';

export interface PruneOptions {
  /** Forget pruned objects in this cache too. */
  cache?: ApplyCache;
  signal?: AbortSignal;
}

export interface PruneFailure {
  entry: InventoryEntry;
  subject: string;
  message: string;
}

export interface PruneResult {
  /** `deleted` (including objects already gone) and `skipped` (with the reason in `note`). */
  changeSet: ChangeSet;
  /** Objects whose DELETE failed: keep them in the inventory and retry (kustomize-controller#1664). */
  failed: PruneFailure[];
}

export async function prune(
  m: ApplyContext,
  entries: readonly InventoryEntry[],
  opts: PruneOptions = {},
): Promise<PruneResult> {
  const changeSet = new ChangeSet();
  const failed: PruneFailure[] = [];
  const refs = entries.flatMap((entry) => {
    const ref = entryRef(entry);
    if (!ref) {
      failed.push({ entry, subject: entry.id, message: `malformed inventory id "${entry.id}"` });
      return [];
    }
    return [{ entry, ref }];
  });
  // One at a time, in order: a Namespace must not go before what lives in it is asked to go.
  for (const { entry, ref } of sortForDelete(refs, (r) => r.ref)) {
    opts.signal?.throwIfAborted();
    try {
      const outcome = await pruneOne(m, ref, opts.signal);
      changeSet.add(ref, outcome.action, outcome.note);
      if (outcome.action === 'deleted') opts.cache?.forget(ref);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failed.push({
        entry,
        subject: formatRef(ref),
        message: `${formatRef(ref)} delete failed: ${err.message}`,
      });
    }
  }
  return { changeSet, failed };
}

async function pruneOne(
  m: ApplyContext,
  ref: ObjectRef,
  signal?: AbortSignal,
): Promise<{ action: 'deleted' | 'skipped'; note?: string }> {
  // A kind nobody serves any more (its CRD was deleted) has no objects left to delete.
  if (!(await m.mapper.find(ref, signal))) return { action: 'deleted', note: 'kind no longer served' };
  const live = await m.dynamic.get(ref, signal);
  if (!live) return { action: 'deleted', note: 'already gone' };
  if (!ownedBy(live.metadata, m.ownerLabels))
    return { action: 'skipped', note: 'owner labels changed: not ours any more' };
  if (isPruneDisabled(live.metadata)) return { action: 'skipped', note: 'prune disabled' };
  await m.dynamic.delete(ref, { propagationPolicy: 'Background', signal });
  return { action: 'deleted' };
}
