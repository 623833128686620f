import { ContentType, type KubeClient } from '../kube/client.js';
import { objectPath, type ResourceType } from '../kube/resource.js';
import type { Metrics } from './metrics.js';

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

interface StatusCarrier {
  metadata: { name: string; namespace?: string };
  status?: { conditions?: Array<{ type: string; status: 'True' | 'False' | 'Unknown' }> };
}

/**
 * The end of every reconcile: the status is written only when it differs from what the reconcile
 * started from (steady state writes nothing), and the Ready gauge and Flux's duration histogram
 * are recorded.
 */
export async function recordReconcile(
  client: KubeClient,
  metrics: Metrics,
  rt: ResourceType,
  obj: StatusCarrier,
  originalStatus: string,
  startedMs: number,
): Promise<void> {
  const { name, namespace } = obj.metadata;
  if (JSON.stringify(obj.status ?? {}) !== originalStatus) {
    await patchStatus(client, rt, namespace, name, obj.status ?? {});
  }
  const ready = obj.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  metrics.setReady(rt.kind, namespace ?? '', name, ready);
  metrics.gotkReconcileDuration.observe(
    { kind: rt.kind, name, namespace: namespace ?? '' },
    (Date.now() - startedMs) / 1000,
  );
}
