// The order Flux applies kinds in (ssa/sort.go ReconcileOrder, flux-api.md §2.6) and the staging
// of a set: cluster definitions first, then `*Class` kinds, then everything else.
import type { ObjectRef } from '../kube/dynamic.js';

/** Kinds applied first, in this order; unlisted kinds follow (alphabetically), then {@link LAST_KINDS}. */
export const FIRST_KINDS = [
  'CustomResourceDefinition',
  'Namespace',
  'ClusterRole',
  'ClusterClass',
  'RuntimeClass',
  'PriorityClass',
  'StorageClass',
  'VolumeSnapshotClass',
  'IngressClass',
  'GatewayClass',
  'ClusterRoleBinding',
  'ResourceQuota',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'Secret',
  'Service',
  'LimitRange',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
] as const;

/** Applied last (and so pruned first): admission webhooks must not block the objects above. */
export const LAST_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'] as const;

const firstRank = new Map<string, number>(FIRST_KINDS.map((k, i) => [k, i]));
const lastRank = new Map<string, number>(LAST_KINDS.map((k, i) => [k, i]));

type Sortable = Pick<ObjectRef, 'kind' | 'namespace' | 'name'>;

/** Compares two objects in apply order: kind rank, then kind name (for unlisted kinds), namespace, name. */
export function compareApplyOrder(a: Sortable, b: Sortable): number {
  const rank = (k: string): number => {
    const f = firstRank.get(k);
    if (f !== undefined) return f;
    const l = lastRank.get(k);
    return l !== undefined ? FIRST_KINDS.length + 1 + l : FIRST_KINDS.length;
  };
  return (
    rank(a.kind) - rank(b.kind) || cmp(a.kind, b.kind) || cmp(a.namespace, b.namespace) || cmp(a.name, b.name)
  );
}

/** The reverse of apply order: used for deletion (webhooks first, Namespaces and CRDs last). */
export function compareDeleteOrder(a: Sortable, b: Sortable): number {
  return compareApplyOrder(b, a);
}

const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);

export function sortForApply<T>(items: T[], ref: (item: T) => Sortable): T[] {
  return [...items].sort((a, b) => compareApplyOrder(ref(a), ref(b)));
}

export function sortForDelete<T>(items: T[], ref: (item: T) => Sortable): T[] {
  return [...items].sort((a, b) => compareDeleteOrder(ref(a), ref(b)));
}

/** Stages of {@link applyAll}; each is applied (and its definitions awaited) before the next. */
export type Stage = 'definitions' | 'classes' | 'resources';

export const STAGES: readonly Stage[] = ['definitions', 'classes', 'resources'];

/**
 * CRDs, Namespaces and ClusterRoles define what later objects need (their kind, their namespace,
 * the permissions a RoleBinding grants); `*Class` kinds are referenced by later objects
 * (StorageClass, IngressClass, …). Everything else comes after.
 */
export function stageOf(ref: Pick<ObjectRef, 'group' | 'kind'>): Stage {
  if (
    (ref.kind === 'CustomResourceDefinition' && ref.group === 'apiextensions.k8s.io') ||
    (ref.kind === 'Namespace' && ref.group === '') ||
    (ref.kind === 'ClusterRole' && ref.group === 'rbac.authorization.k8s.io')
  )
    return 'definitions';
  if (ref.kind.endsWith('Class')) return 'classes';
  return 'resources';
}
