// A tiny CRD for exercising the runtime with a test reconciler on the real apiserver.
import type { KubeClient } from '../../src/kube/client.js';
import { isAlreadyExists } from '../../src/kube/errors.js';
import {
  CoreTypes,
  collectionPath,
  type KubeObject,
  objectPath,
  type ResourceType,
} from '../../src/kube/resource.js';
import { eventually } from './cluster.js';

export const WidgetType: ResourceType = {
  group: 'test.mooring.dev',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
};

export interface Widget extends KubeObject {
  spec?: { size?: number };
  status?: Record<string, unknown>;
}

export async function installWidgetCrd(client: KubeClient): Promise<void> {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.test.mooring.dev' },
    spec: {
      group: 'test.mooring.dev',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
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
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
  try {
    await client.post(collectionPath(CoreTypes.crd), crd);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  await eventually('widget CRD established', async () => {
    const got = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
      objectPath(CoreTypes.crd, undefined, 'widgets.test.mooring.dev'),
    );
    return got.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  });
  // Discovery may lag the Established condition by a moment.
  await eventually('widgets served', async () => {
    await client.get(collectionPath(WidgetType));
    return true;
  });
}

export async function createWidget(
  client: KubeClient,
  namespace: string,
  name: string,
  size = 1,
): Promise<Widget> {
  return client.post<Widget>(collectionPath(WidgetType, namespace), {
    apiVersion: 'test.mooring.dev/v1',
    kind: 'Widget',
    metadata: { name, namespace },
    spec: { size },
  });
}
