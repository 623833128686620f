// The steady-state cache: for each object, the digest of the manifest last reconciled and a
// fingerprint of the live object it left behind. When both still match, the object cannot have
// drifted, so it needs no GET and no dry-run: an unchanged set costs one metadata-only LIST per
// kind and namespace. Keep one cache per applied set (per Kustomization), in memory; losing it
// (restart) costs one full dry-run pass.
import { createHash } from 'node:crypto';
import type { Manifest, ObjectRef } from '../kube/dynamic.js';
import type { ObjectMeta } from '../kube/resource.js';
import { inventoryId } from './inventory.js';
import {
  type FieldManagerMatch,
  type ManagedFieldsEntry,
  STALE_ANNOTATIONS,
  STALE_LABELS,
} from './metadata.js';

/**
 * Kinds whose `metadata.generation` moves on every change outside metadata and status, so a
 * controller writing their status (Deployment, Job, …) does not invalidate the cache. Other kinds
 * are fingerprinted by resourceVersion, which moves on any write. Data, not logic: add kinds here.
 */
export const GENERATION_TRACKED_KINDS: ReadonlySet<string> = new Set([
  'apps/Deployment',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'apps/ReplicaSet',
  'batch/Job',
  'batch/CronJob',
  'policy/PodDisruptionBudget',
  'autoscaling/HorizontalPodAutoscaler',
  'networking.k8s.io/Ingress',
  'apiextensions.k8s.io/CustomResourceDefinition',
]);

export interface CachedObject {
  /** sha256 of the desired manifest (with owner labels) that was reconciled. */
  digest: string;
  /** {@link liveFingerprint} of the live object after it was reconciled. */
  fingerprint: string;
  /** What a repeat would report: an unchanged object stays unchanged, a skipped one skipped. */
  action: 'unchanged' | 'skipped';
  recordedAt: number;
}

export interface ApplyCacheOptions {
  /** Entries older than this are verified again with a dry-run (default: never expire). */
  maxAgeMs?: number;
}

export class ApplyCache {
  private readonly entries = new Map<string, CachedObject>();
  private readonly maxAgeMs: number;

  constructor(opts: ApplyCacheOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? Number.POSITIVE_INFINITY;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The entry for an object when it was recorded for this exact manifest and has not expired. */
  lookup(ref: ObjectRef, digest: string, now = Date.now()): CachedObject | undefined {
    const e = this.entries.get(inventoryId(ref));
    if (!e || e.digest !== digest || now - e.recordedAt > this.maxAgeMs) return undefined;
    return e;
  }

  record(ref: ObjectRef, entry: Omit<CachedObject, 'recordedAt'>, now = Date.now()): void {
    this.entries.set(inventoryId(ref), { ...entry, recordedAt: now });
  }

  forget(ref: ObjectRef): void {
    this.entries.delete(inventoryId(ref));
  }

  clear(): void {
    this.entries.clear();
  }
}

export function manifestDigest(obj: Manifest): string {
  return createHash('sha256').update(JSON.stringify(obj)).digest('hex');
}

export interface FingerprintContext {
  /** The desired manifest's metadata: only the label/annotation keys it sets can drift. */
  desired: ObjectMeta;
  /** Managers whose entries we take over; their presence means work to do. Empty for `ssa: Merge`. */
  takeover: FieldManagerMatch[];
}

/**
 * What must stay the same for a live object to still match what we reconciled. For
 * generation-tracked kinds: uid, generation, and the metadata our manifest sets (label and
 * annotation values for its keys, finalizers/ownerReferences when it sets them), plus whether
 * anything is left to take over from kubectl. For other kinds: uid and resourceVersion.
 * Labels and annotations the manifest does not set cannot drift (server-side apply keeps them).
 */
export function liveFingerprint(
  ref: Pick<ObjectRef, 'group' | 'kind'>,
  live: ObjectMeta,
  ctx: FingerprintContext,
): string {
  if (!GENERATION_TRACKED_KINDS.has(`${ref.group}/${ref.kind}`) || typeof live.generation !== 'number')
    return `${live.uid}/rv:${live.resourceVersion}`;
  const pick = (m: Record<string, string> | undefined, keys: Record<string, string> | undefined) =>
    Object.keys(keys ?? {})
      .sort()
      .map((k) => [k, m?.[k] ?? null]);
  const meta = {
    l: pick(live.labels, ctx.desired.labels),
    a: pick(live.annotations, ctx.desired.annotations),
    f: ctx.desired.finalizers ? (live.finalizers ?? []) : null,
    o: ctx.desired.ownerReferences ? (live.ownerReferences ?? []) : null,
    d: live.deletionTimestamp ?? null,
    t: needsTakeover(live, ctx.takeover),
  };
  const h = createHash('sha256').update(JSON.stringify(meta)).digest('hex').slice(0, 16);
  return `${live.uid}/g:${live.generation}/${h}`;
}

/** True when kubectl (or another taken-over workflow) left annotations or managed fields behind. */
export function needsTakeover(live: ObjectMeta, managers: FieldManagerMatch[]): boolean {
  if (managers.length === 0) return false;
  if (STALE_ANNOTATIONS.some((k) => live.annotations?.[k] !== undefined)) return true;
  if (STALE_LABELS.some((k) => live.labels?.[k] !== undefined)) return true;
  const entries = (live.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some(
    (e) =>
      !e.subresource && managers.some((m) => e.manager?.startsWith(m.name) && e.operation === m.operation),
  );
}
