// Get / list / server-side apply / delete of any kind, addressed by group-version-kind through the
// RESTMapper. Manifests go on the wire exactly as given (JSON.stringify of the caller's object): no
// typed serializer that drops unknown fields, no lower-cased URLs (dependencies.md §2).
import { ContentType, type KubeClient, type Query } from './client.js';
import { type GroupVersionKind, gvkOf, type RESTMapper } from './discovery.js';
import { isNotFound } from './errors.js';
import {
  collectionPath,
  type ObjectList,
  type ObjectMeta,
  objectPath,
  type ResourceType,
} from './resource.js';

/** A manifest as built or read: any kind, any fields. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Identifies one object: the inventory's view (group, kind, namespace, name) plus a version to reach it. */
export interface ObjectRef extends GroupVersionKind {
  namespace: string;
  name: string;
}

export function refOf(obj: Manifest): ObjectRef {
  return { ...gvkOf(obj), namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
}

/** Flux's way of naming an object in messages: `Kind/namespace/name`, or `Kind/name` when cluster-scoped. */
export function formatRef(ref: Pick<ObjectRef, 'kind' | 'namespace' | 'name'>): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

export interface ApplyRequest {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

/** Only metadata: a fraction of the bytes of the full objects (meta.k8s.io/v1, 1.15+). */
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;q=0.9';
const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;q=0.9';

export class DynamicClient {
  constructor(
    readonly client: KubeClient,
    readonly mapper: RESTMapper,
  ) {}

  async resourceFor(gvk: GroupVersionKind, signal?: AbortSignal): Promise<ResourceType> {
    return this.mapper.resolve(gvk, signal);
  }

  private async path(ref: ObjectRef, signal?: AbortSignal, subresource?: string): Promise<string> {
    const rt = await this.resourceFor(ref, signal);
    return objectPath(rt, ref.namespace || undefined, ref.name, subresource);
  }

  /** The live object, or undefined when it does not exist. */
  async get<T extends Manifest = Manifest>(ref: ObjectRef, signal?: AbortSignal): Promise<T | undefined> {
    return this.client.getOptional<T>(await this.path(ref, signal), { signal });
  }

  /** The live object's metadata only (PartialObjectMetadata), or undefined when it does not exist. */
  async getMetadata(ref: ObjectRef, signal?: AbortSignal): Promise<Manifest | undefined> {
    return this.client.getOptional<Manifest>(await this.path(ref, signal), {
      signal,
      accept: METADATA_ACCEPT,
    });
  }

  /** Lists a kind in a namespace (all namespaces when undefined), following `continue` tokens. */
  async list<T extends Manifest = Manifest>(
    gvk: GroupVersionKind,
    opts: { namespace?: string; labelSelector?: string; metadataOnly?: boolean; signal?: AbortSignal } = {},
  ): Promise<T[]> {
    const rt = await this.resourceFor(gvk, opts.signal);
    const path = collectionPath(rt, rt.namespaced ? opts.namespace : undefined);
    const items: T[] = [];
    let cont: string | undefined;
    do {
      const query: Query = { labelSelector: opts.labelSelector, limit: 500, continue: cont };
      const page = await this.client.get<ObjectList<T>>(path, {
        query,
        signal: opts.signal,
        accept: opts.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
      });
      items.push(...page.items);
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return items;
  }

  /** Server-side apply (PATCH application/apply-patch+yaml with a JSON body); answers the result. */
  async apply<T extends Manifest = Manifest>(obj: Manifest, req: ApplyRequest): Promise<T> {
    const path = await this.path(refOf(obj), req.signal);
    return this.client.patch<T>(path, obj, ContentType.apply, {
      query: {
        fieldManager: req.fieldManager,
        force: req.force ? true : undefined,
        dryRun: req.dryRun ? 'All' : undefined,
      },
      signal: req.signal,
    });
  }

  /** Server-side apply that also tells whether it created the object (HTTP 201) or updated it. */
  async applyReportingCreate<T extends Manifest = Manifest>(
    obj: Manifest,
    req: Omit<ApplyRequest, 'dryRun'>,
  ): Promise<{ object: T; created: boolean }> {
    const path = await this.path(refOf(obj), req.signal);
    const res = await this.client.requestWithStatus<T>('PATCH', path, {
      body: obj,
      contentType: ContentType.apply,
      query: { fieldManager: req.fieldManager, force: req.force ? true : undefined },
      signal: req.signal,
    });
    return { object: res.body, created: res.status === 201 };
  }

  /** RFC 6902 JSON patch (used to rewrite managedFields and drop stale annotations). */
  async jsonPatch<T extends Manifest = Manifest>(
    ref: ObjectRef,
    ops: unknown[],
    opts: { fieldManager?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.client.patch<T>(await this.path(ref, opts.signal), ops, ContentType.jsonPatch, {
      query: { fieldManager: opts.fieldManager },
      signal: opts.signal,
    });
  }

  /** Deletes an object; answers false when it was already gone. */
  async delete(
    ref: ObjectRef,
    opts: { propagationPolicy?: PropagationPolicy; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    try {
      await this.client.delete(await this.path(ref, opts.signal), {
        body: {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: opts.propagationPolicy ?? 'Background',
        },
        signal: opts.signal,
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}
