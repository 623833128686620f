// Per-object controls read from labels or annotations, owner labels, and the metadata cleanup
// that takes objects over from kubectl (flux-api.md §2.6).
import {
  DISABLED_VALUE,
  ENABLED_VALUE,
  FORCE_ANNOTATION,
  PRUNE_ANNOTATION,
  RECONCILE_ANNOTATION,
  SSA_ANNOTATION,
  SSA_IF_NOT_PRESENT,
  SSA_IGNORE,
  SSA_MERGE,
} from '../api/meta.js';
import type { Manifest } from '../kube/dynamic.js';
import type { ObjectMeta } from '../kube/resource.js';

/** True when a label or an annotation `key` has `value` (case-insensitive), as Flux's AnyInMetadata. */
export function hasMetadata(
  meta: Pick<ObjectMeta, 'labels' | 'annotations'> | undefined,
  key: string,
  value: string,
): boolean {
  const v = value.toLowerCase();
  return meta?.labels?.[key]?.toLowerCase() === v || meta?.annotations?.[key]?.toLowerCase() === v;
}

export type SsaPolicy = 'Override' | 'Merge' | 'IfNotPresent' | 'Ignore';

export function ssaPolicy(meta: ObjectMeta | undefined): SsaPolicy {
  if (hasMetadata(meta, SSA_ANNOTATION, SSA_IGNORE)) return 'Ignore';
  if (hasMetadata(meta, SSA_ANNOTATION, SSA_IF_NOT_PRESENT)) return 'IfNotPresent';
  if (hasMetadata(meta, SSA_ANNOTATION, SSA_MERGE)) return 'Merge';
  return 'Override';
}

/** Objects Flux leaves alone entirely: `reconcile: disabled` or `ssa: Ignore` on desired or live. */
export function isExcluded(meta: ObjectMeta | undefined): boolean {
  return (
    hasMetadata(meta, RECONCILE_ANNOTATION, DISABLED_VALUE) || hasMetadata(meta, SSA_ANNOTATION, SSA_IGNORE)
  );
}

export function isForceEnabled(meta: ObjectMeta | undefined): boolean {
  return hasMetadata(meta, FORCE_ANNOTATION, ENABLED_VALUE);
}

/** Prune is refused for `prune: disabled`, and for objects excluded from reconciliation. */
export function isPruneDisabled(meta: ObjectMeta | undefined): boolean {
  return hasMetadata(meta, PRUNE_ANNOTATION, DISABLED_VALUE) || isExcluded(meta);
}

/** A copy of the object carrying the owner labels (the caller's manifest is never mutated). */
export function withOwnerLabels(obj: Manifest, owner: Record<string, string>): Manifest {
  if (Object.keys(owner).length === 0) return obj;
  return { ...obj, metadata: { ...obj.metadata, labels: { ...obj.metadata.labels, ...owner } } };
}

/** True when every owner label is present on the live object with our value. */
export function ownedBy(meta: ObjectMeta | undefined, owner: Record<string, string>): boolean {
  return Object.entries(owner).every(([k, v]) => meta?.labels?.[k] === v);
}

export function ownerSelector(owner: Record<string, string>): string | undefined {
  const parts = Object.entries(owner).map(([k, v]) => `${k}=${v}`);
  return parts.length ? parts.join(',') : undefined;
}

/** CRDs built with a placeholder caBundle (`Cg==` is "\n") would fight the cert injector forever. */
export function stripPlaceholderCABundle(obj: Manifest): Manifest {
  if (obj.kind !== 'CustomResourceDefinition') return obj;
  const spec = obj.spec as
    | { conversion?: { webhook?: { clientConfig?: { caBundle?: string } } } }
    | undefined;
  const cc = spec?.conversion?.webhook?.clientConfig;
  if (cc?.caBundle === undefined || (cc.caBundle !== '' && cc.caBundle !== 'Cg==')) return obj;
  const copy = structuredClone(obj);
  const copied = copy.spec as { conversion: { webhook: { clientConfig: { caBundle?: string } } } };
  delete copied.conversion.webhook.clientConfig.caBundle;
  return copy;
}

// ---- Taking objects over from kubectl -----------------------------------------------------------

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  subresource?: string;
}

/** A workflow whose fields Flux takes over: managers whose name starts with `name`, for `operation`. */
export interface FieldManagerMatch {
  name: string;
  operation: 'Apply' | 'Update';
}

/** Flux's defaults: `kubectl apply` (both kinds), kubectl's pre-SSA `before-first-apply`, and our own pre-SSA updates. */
export function defaultTakeoverManagers(fieldManager: string): FieldManagerMatch[] {
  return [
    { name: 'kubectl', operation: 'Apply' },
    { name: 'kubectl', operation: 'Update' },
    { name: 'before-first-apply', operation: 'Update' },
    { name: fieldManager, operation: 'Update' },
  ];
}

/** Annotations and labels left by kubectl client-side apply and by Flux v1, removed on takeover. */
export const STALE_ANNOTATIONS = [
  'kubectl.kubernetes.io/last-applied-configuration',
  'kustomize.toolkit.fluxcd.io/checksum',
  'fluxcd.io/sync-checksum',
];
export const STALE_LABELS = ['fluxcd.io/sync-gc-mark'];

type JsonPatchOp =
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: ManagedFieldsEntry[] };

const pointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');

/** Deep union of two fieldsV1 sets (objects whose leaves are `{}`). */
export function mergeFieldSets(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      prev && typeof prev === 'object' && v && typeof v === 'object'
        ? mergeFieldSets(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/**
 * The JSON patch that takes the live object over: stale annotations/labels removed, and every
 * managedFields entry of a matching manager re-attributed to `fieldManager` as Apply, so fields
 * they set and our manifest no longer has are removed by our next apply. Entries that end up with
 * the same manager, operation and apiVersion are merged. Empty when there is nothing to do.
 */
export function takeoverPatch(
  live: Manifest,
  fieldManager: string,
  managers: FieldManagerMatch[],
): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const key of STALE_ANNOTATIONS)
    if (live.metadata.annotations?.[key] !== undefined)
      ops.push({ op: 'remove', path: `/metadata/annotations/${pointer(key)}` });
  for (const key of STALE_LABELS)
    if (live.metadata.labels?.[key] !== undefined)
      ops.push({ op: 'remove', path: `/metadata/labels/${pointer(key)}` });

  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  const matches = (e: ManagedFieldsEntry): boolean =>
    !e.subresource && managers.some((m) => e.manager?.startsWith(m.name) && e.operation === m.operation);
  if (!entries.some(matches)) return ops;
  const merged: ManagedFieldsEntry[] = [];
  for (const entry of entries) {
    const e = matches(entry) ? { ...entry, manager: fieldManager, operation: 'Apply' } : { ...entry };
    const ours = e.manager === fieldManager && e.operation === 'Apply' && !e.subresource;
    const same = ours
      ? merged.find(
          (o) =>
            o.manager === fieldManager &&
            o.operation === 'Apply' &&
            !o.subresource &&
            o.apiVersion === e.apiVersion,
        )
      : undefined;
    if (same) {
      same.fieldsV1 = mergeFieldSets(same.fieldsV1 ?? {}, e.fieldsV1 ?? {});
      if ((e.time ?? '') > (same.time ?? '')) same.time = e.time;
    } else merged.push(e);
  }
  ops.push({ op: 'replace', path: '/metadata/managedFields', value: merged });
  return ops;
}
