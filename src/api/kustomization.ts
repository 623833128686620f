// Kustomization kustomize.toolkit.fluxcd.io/v1 — types and pure helpers (crds/ holds the schema).
import { type Duration, parseDuration } from './duration.js';
import type {
  Condition,
  Digest,
  LocalObjectReference,
  NamespacedObjectKindReference,
  ObjectMeta,
  ReconcileRequestStatus,
  Revision,
  SecretKeyReference,
} from './meta.js';

export const KUSTOMIZATION_GROUP = 'kustomize.toolkit.fluxcd.io';
export const KUSTOMIZATION_VERSION = 'v1';
export const KUSTOMIZATION_API_VERSION = `${KUSTOMIZATION_GROUP}/${KUSTOMIZATION_VERSION}`;
export const KUSTOMIZATION_KIND = 'Kustomization';
export const KUSTOMIZATION_LIST_KIND = 'KustomizationList';
export const KUSTOMIZATION_PLURAL = 'kustomizations';

/** Flux truncates condition messages to this length. */
export const MAX_CONDITION_MESSAGE_LENGTH = 20_000;
/** Lower bound of the computed timeout (Flux's GetTimeout). */
export const MIN_TIMEOUT_MS = 30_000;
/** At most this many snapshots are kept in status.history. */
export const MAX_HISTORY_SNAPSHOTS = 5;

export const DeletionPolicy = {
  MirrorPrune: 'MirrorPrune',
  Delete: 'Delete',
  WaitForTermination: 'WaitForTermination',
  Orphan: 'Orphan',
} as const;
export type DeletionPolicy = (typeof DeletionPolicy)[keyof typeof DeletionPolicy];

export type SourceKind = 'OCIRepository' | 'GitRepository' | 'Bucket' | 'ExternalArtifact';

export interface CrossNamespaceSourceReference {
  apiVersion?: string;
  kind: SourceKind;
  name: string;
  namespace?: string;
}

export interface DependencyReference {
  name: string;
  namespace?: string;
  /** CEL over `self` and `dep`. */
  readyExpr?: string;
}

export interface CustomHealthCheck {
  apiVersion: string;
  kind?: string;
  current: string;
  inProgress?: string;
  failed?: string;
}

/** kustomize target selector. */
export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface Patch {
  /** Strategic merge patch or JSON6902 operations, as YAML or JSON. */
  patch: string;
  target?: Selector;
}

export interface Image {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export interface CommonMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface SubstituteReference {
  kind: 'Secret' | 'ConfigMap';
  name: string;
  optional?: boolean;
}

export interface PostBuild {
  substituteStrategy?: 'WithVariables' | 'Always';
  substitute?: Record<string, string>;
  substituteFrom?: SubstituteReference[];
}

export interface Decryption {
  provider: 'sops';
  secretRef?: LocalObjectReference;
  serviceAccountName?: string;
}

/** Exactly one of secretRef and configMapRef (enforced by the controller, not the CRD). */
export interface KubeConfigReference {
  secretRef?: SecretKeyReference;
  configMapRef?: LocalObjectReference;
}

export interface IgnoreRule {
  /** JSON pointers (RFC 6901). */
  paths: string[];
  target?: Selector;
}

export type BuildMetadataOption = 'originAnnotations' | 'transformerAnnotations';

export interface KustomizationSpec {
  sourceRef: CrossNamespaceSourceReference;
  path?: string;
  interval: Duration;
  retryInterval?: Duration;
  timeout?: Duration;
  prune: boolean;
  deletionPolicy?: DeletionPolicy;
  force?: boolean;
  wait?: boolean;
  suspend?: boolean;
  serviceAccountName?: string;
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  commonMetadata?: CommonMetadata;
  dependsOn?: DependencyReference[];
  healthChecks?: NamespacedObjectKindReference[];
  healthCheckExprs?: CustomHealthCheck[];
  patches?: Patch[];
  images?: Image[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  buildMetadata?: BuildMetadataOption[];
  postBuild?: PostBuild;
  decryption?: Decryption;
  kubeConfig?: KubeConfigReference;
  ignore?: IgnoreRule[];
}

/** One applied object: id `<namespace>_<name>_<group>_<kind>`, v = its API version. */
export interface ResourceRef {
  id: string;
  v: string;
}

export interface ResourceInventory {
  entries: ResourceRef[];
}

export interface Snapshot {
  digest: Digest;
  firstReconciled: string;
  lastReconciled: string;
  lastReconciledDuration: string;
  lastReconciledStatus: string;
  totalReconciliations: number;
  metadata?: Record<string, string>;
}

export interface KustomizationStatus extends ReconcileRequestStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastAppliedRevision?: Revision;
  lastAppliedOriginRevision?: string;
  lastAttemptedRevision?: Revision;
  inventory?: ResourceInventory;
  history?: Snapshot[];
}

export interface Kustomization {
  apiVersion: typeof KUSTOMIZATION_API_VERSION;
  kind: typeof KUSTOMIZATION_KIND;
  metadata: ObjectMeta;
  spec: KustomizationSpec;
  status?: KustomizationStatus;
}

/** Requeue delay after a successful reconcile, before jitter (ms). */
export function getRequeueAfter(ks: Pick<Kustomization, 'spec'>): number {
  return parseDuration(ks.spec.interval);
}

/** Delay before retrying a failed reconcile (ms): retryInterval, else interval. */
export function getRetryInterval(ks: Pick<Kustomization, 'spec'>): number {
  return ks.spec.retryInterval ? parseDuration(ks.spec.retryInterval) : getRequeueAfter(ks);
}

/** Apply/health timeout (ms), as Flux computes it: spec.timeout, else interval − 30s; never below 30s. */
export function getTimeout(ks: Pick<Kustomization, 'spec'>): number {
  const ms = ks.spec.timeout ? parseDuration(ks.spec.timeout) : getRequeueAfter(ks) - 30_000;
  return Math.max(ms, MIN_TIMEOUT_MS);
}

/** spec.deletionPolicy, MirrorPrune when empty. */
export function getDeletionPolicy(ks: Pick<Kustomization, 'spec'>): DeletionPolicy {
  return ks.spec.deletionPolicy || DeletionPolicy.MirrorPrune;
}

/** Whether deleting the Kustomization deletes the objects it applied. */
export function deletesOnFinalize(ks: Pick<Kustomization, 'spec'>): boolean {
  switch (getDeletionPolicy(ks)) {
    case DeletionPolicy.MirrorPrune:
      return ks.spec.prune;
    case DeletionPolicy.Delete:
    case DeletionPolicy.WaitForTermination:
      return true;
    case DeletionPolicy.Orphan:
      return false;
  }
}

/** The source's namespace: sourceRef.namespace, else the Kustomization's own. */
export function sourceNamespace(ks: Pick<Kustomization, 'spec' | 'metadata'>): string {
  return ks.spec.sourceRef.namespace || ks.metadata.namespace || 'default';
}

/** dependsOn entries with their namespace filled in. */
export function dependencies(
  ks: Pick<Kustomization, 'spec' | 'metadata'>,
): Required<Omit<DependencyReference, 'readyExpr'>>[] {
  return (ks.spec.dependsOn ?? []).map((d) => ({
    name: d.name,
    namespace: d.namespace || ks.metadata.namespace || 'default',
  }));
}

/** The identity of an applied object as stored in the inventory. */
export interface ObjectIdentity {
  namespace: string;
  name: string;
  group: string;
  kind: string;
}

/** cli-utils ObjMetadata string: `<ns>_<name>_<group>_<kind>`, `:` in names transcoded to `__`. */
export function formatInventoryId(obj: ObjectIdentity): string {
  return `${obj.namespace}_${obj.name.replaceAll(':', '__')}_${obj.group}_${obj.kind}`;
}

/** Inverse of formatInventoryId; throws on a malformed id. */
export function parseInventoryId(id: string): ObjectIdentity {
  const first = id.indexOf('_');
  const last = id.lastIndexOf('_');
  const rest = id.slice(first + 1, last);
  const groupSep = rest.lastIndexOf('_');
  if (first < 0 || last <= first || groupSep < 0)
    throw new Error(`invalid inventory id ${JSON.stringify(id)}`);
  const obj = {
    namespace: id.slice(0, first),
    name: rest.slice(0, groupSep).replaceAll('__', ':'),
    group: rest.slice(groupSep + 1),
    kind: id.slice(last + 1),
  };
  if (!obj.name || !obj.kind) throw new Error(`invalid inventory id ${JSON.stringify(id)}`);
  return obj;
}

/** The Kustomization resource, for the kube client, informers and controllers (a `ResourceType`). */
export const KustomizationType = {
  group: KUSTOMIZATION_GROUP,
  version: KUSTOMIZATION_VERSION,
  kind: KUSTOMIZATION_KIND,
  plural: KUSTOMIZATION_PLURAL,
  namespaced: true,
} as const;
