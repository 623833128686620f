// Manifests and a per-file setup for the apply engine tests on the real apiserver.
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../../src/kube/client.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import type { KubeConfig } from '../../src/kube/kubeconfig.js';
import { RequestStats } from '../../src/kube/requeststats.js';
import type { ClusterState } from '../cluster/cluster.js';
import { kubeConfigFor, useCluster } from '../helpers/cluster.js';

export interface Env {
  state: ClusterState;
  kc: KubeConfig;
  client: KubeClient;
  /** Every request `client` makes, by verb. */
  requests: RequestStats;
}

export async function setup(): Promise<Env> {
  const state = await useCluster();
  const kc = kubeConfigFor(state);
  const client = new KubeClient(kc);
  return { state, kc, client, requests: new RequestStats(client) };
}

export const suffix = (): string => randomBytes(3).toString('hex');

export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string> = { a: '1' },
): Manifest {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

export function serviceAccount(namespace: string, name: string): Manifest {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } };
}

export function service(namespace: string, name: string, port = 80): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port, targetPort: 8080 }] },
  };
}

export function deployment(
  namespace: string,
  name: string,
  opts: { replicas?: number; image?: string } = {},
): Manifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: opts.replicas ?? 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: opts.image ?? 'nginx:1.25' }] },
      },
    },
  };
}

/** A namespaced CRD `<plural>.<group>` with a Ready-condition status subresource and a typed spec. */
export function crd(group: string, kind: string): Manifest {
  const plural = `${kind.toLowerCase()}s`;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { size: { type: 'integer', minimum: 0 } } },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

export function customResource(
  group: string,
  kind: string,
  namespace: string,
  name: string,
  size = 1,
): Manifest {
  return { apiVersion: `${group}/v1`, kind, metadata: { name, namespace }, spec: { size } };
}
