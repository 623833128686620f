// kustomize's default output order ("legacy"): kinds in a fixed order, then by id.
import type { Gvk, ResId, Resource } from './resource.js';

export const defaultOrderFirst = [
  'Namespace',
  'ResourceQuota',
  'StorageClass',
  'CustomResourceDefinition',
  'ServiceAccount',
  'PodSecurityPolicy',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'ConfigMap',
  'Secret',
  'Endpoints',
  'Service',
  'LimitRange',
  'PriorityClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Deployment',
  'StatefulSet',
  'CronJob',
  'PodDisruptionBudget',
];

export const defaultOrderLast = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

function gvkString(g: Gvk): string {
  return `${g.group || '~G'}_${g.version || '~V'}_${g.kind || '~K'}`;
}

function idString(id: ResId): string {
  return `${gvkString(id)}|${id.namespace || '~X'}|${id.name || '~N'}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortLegacy(
  resources: Resource[],
  orderFirst: string[] = defaultOrderFirst,
  orderLast: string[] = defaultOrderLast,
): Resource[] {
  const rank = new Map<string, number>();
  for (const [i, k] of orderFirst.entries()) rank.set(k, -orderFirst.length + i);
  for (const [i, k] of orderLast.entries()) rank.set(k, 1 + i);
  const keyed = resources.map((r) => {
    const id = r.id;
    return {
      r,
      kind: id.kind,
      group: id.group,
      rank: rank.get(id.kind) ?? 0,
      gvk: gvkString(id),
      id: idString(id),
    };
  });
  keyed.sort((a, b) => {
    if (a.gvk !== b.gvk) {
      if (a.rank !== b.rank) return a.rank - b.rank;
      if (a.kind === 'Namespace' && b.kind === 'Namespace' && (a.group === '' || b.group === '')) {
        return cmp(b.gvk, a.gvk);
      }
      return cmp(a.gvk, b.gvk);
    }
    return cmp(a.id, b.id);
  });
  return keyed.map((k) => k.r);
}
