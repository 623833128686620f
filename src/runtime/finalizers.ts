// Finalizers added and removed with JSON patches guarded by a `test` of the current list, so a
// concurrent change by someone else makes the patch fail (and the reconcile retry) instead of
// silently overwriting their finalizer.
import { ContentType, type KubeClient } from '../kube/client.js';
import { type KubeObject, objectPath, type ResourceType } from '../kube/resource.js';

export async function addFinalizer(
  client: KubeClient,
  rt: ResourceType,
  obj: KubeObject,
  finalizer: string,
): Promise<void> {
  const current = obj.metadata.finalizers;
  if (current?.includes(finalizer)) return;
  const ops = current
    ? [
        { op: 'test', path: '/metadata/finalizers', value: current },
        { op: 'add', path: '/metadata/finalizers/-', value: finalizer },
      ]
    : [{ op: 'add', path: '/metadata/finalizers', value: [finalizer] }];
  const updated = await client.patch<KubeObject>(
    objectPath(rt, obj.metadata.namespace, obj.metadata.name),
    ops,
    ContentType.jsonPatch,
  );
  obj.metadata.finalizers = updated.metadata.finalizers;
  obj.metadata.resourceVersion = updated.metadata.resourceVersion;
}

export async function removeFinalizer(
  client: KubeClient,
  rt: ResourceType,
  obj: KubeObject,
  finalizer: string,
): Promise<void> {
  const current = obj.metadata.finalizers ?? [];
  const i = current.indexOf(finalizer);
  if (i < 0) return;
  await client.patch(
    objectPath(rt, obj.metadata.namespace, obj.metadata.name),
    [
      { op: 'test', path: '/metadata/finalizers', value: current },
      { op: 'remove', path: `/metadata/finalizers/${i}` },
    ],
    ContentType.jsonPatch,
  );
}
