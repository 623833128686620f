// Pieces shared by the Mooring (Flux-compatible) API kinds: object metadata, conditions,
// references, artifacts, and the names Flux uses so that migrating between the two is seamless.

/** Finalizer put on GitRepository and Kustomization objects (same as Flux). */
export const FINALIZER = 'finalizers.fluxcd.io';

/** Manual sync: any new value triggers a reconcile; the handled value is copied to the status. */
export const RECONCILE_REQUESTED_AT_ANNOTATION = 'reconcile.fluxcd.io/requestedAt';

/** Per-object apply/prune controls read from labels or annotations of applied objects. */
export const SSA_ANNOTATION = 'kustomize.toolkit.fluxcd.io/ssa';
export const PRUNE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/prune';
export const FORCE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/force';
export const RECONCILE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/reconcile';
export const SUBSTITUTE_ANNOTATION = 'kustomize.toolkit.fluxcd.io/substitute';

/** Values of the per-object controls above; matched case-insensitively, as Flux does. */
export const ENABLED_VALUE = 'enabled';
export const DISABLED_VALUE = 'disabled';
export const SSA_MERGE = 'Merge';
export const SSA_IF_NOT_PRESENT = 'IfNotPresent';
export const SSA_IGNORE = 'Ignore';
export const SSA_OVERRIDE = 'Override';

/** Owner labels put on every object a Kustomization applies. */
export const OWNER_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';
export const OWNER_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';

/** Field manager for objects applied by the kustomization controller (Flux's name). */
export const KUSTOMIZE_FIELD_MANAGER = 'kustomize-controller';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition, as stored in `status.conditions`. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** The metadata.generation the condition was computed from. */
  observedGeneration?: number;
  /** RFC 3339, seconds precision; changes only when `status` changes. */
  lastTransitionTime: string;
  /** CamelCase, `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`. */
  reason: string;
  message: string;
}

/** The part of metav1.ObjectMeta the controllers read and write. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

export interface LocalObjectReference {
  name: string;
}

export interface NamespacedObjectReference {
  name: string;
  namespace?: string;
}

export interface NamespacedObjectKindReference {
  apiVersion?: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface SecretKeyReference {
  name: string;
  key?: string;
}

/** `<algorithm>:<checksum>`, e.g. `sha256:…`. */
export type Digest = string;
/** e.g. `main@sha1:<40 hex>`, `v1.2.3@sha1:<hex>`, `sha1:<hex>`. */
export type Revision = string;

/** The output of a source reconciliation, served over HTTP by the source controller. */
export interface Artifact {
  digest: Digest;
  lastUpdateTime: string;
  path: string;
  revision: Revision;
  size?: number;
  url: string;
  metadata?: Record<string, string>;
}

/** `^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`, the CRD pattern for Artifact.digest. */
export const DIGEST_PATTERN = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Inline part of both statuses: the last handled `reconcile.fluxcd.io/requestedAt` value. */
export interface ReconcileRequestStatus {
  lastHandledReconcileAt?: string;
}

/** The requestedAt annotation value, when one is set. */
export function reconcileRequestedAt(meta: Pick<ObjectMeta, 'annotations'>): string | undefined {
  return meta.annotations?.[RECONCILE_REQUESTED_AT_ANNOTATION];
}

/** True when a manual sync was requested and not yet handled. */
export function reconcileRequested(obj: {
  metadata: Pick<ObjectMeta, 'annotations'>;
  status?: ReconcileRequestStatus;
}): boolean {
  const requested = reconcileRequestedAt(obj.metadata);
  return requested !== undefined && requested !== obj.status?.lastHandledReconcileAt;
}
