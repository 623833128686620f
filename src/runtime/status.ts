import { ContentType, type KubeClient } from '../kube/client.js';
import { objectPath, type ResourceType } from '../kube/resource.js';

/**
 * Writes an object's status through the /status subresource with a JSON merge patch. Lists such as
 * conditions are replaced whole, so callers pass the complete computed status fields they own.
 */
export async function patchStatus<S extends object>(
  client: KubeClient,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
  status: S,
): Promise<void> {
  await client.patch(objectPath(rt, namespace, name, 'status'), { status }, ContentType.mergePatch);
}
