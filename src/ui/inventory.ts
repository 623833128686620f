// Live health of one Kustomization's inventory while a page shows it: one informer per kind and
// namespace of the inventory, narrowed to the objects carrying the Kustomization's owner labels,
// and kstatus health (src/apply/health.ts) computed from the cached objects. Objects that lost the
// labels are read directly; what the user may not read shows as Unknown with the API's message.
import { OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from '../api/meta.js';
import { computeHealth } from '../apply/health.js';
import { entryRef } from '../apply/inventory.js';
import type { KubeClient } from '../kube/client.js';
import type { RESTMapper } from '../kube/discovery.js';
import { DynamicClient, type Manifest, type ObjectRef } from '../kube/dynamic.js';
import { Informer } from '../runtime/informer.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { InventoryObject } from './api.js';

interface Watch {
  informer?: Informer<Manifest>;
  error?: string;
}

const groupKey = (ref: ObjectRef) => `${ref.group}/${ref.version}/${ref.kind}/${ref.namespace}`;

export class InventoryWatch {
  private readonly watches = new Map<string, Watch>();
  private readonly dynamic: DynamicClient;
  private readonly selector: string;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly mapper: RESTMapper,
    owner: { namespace: string; name: string },
    private readonly logger: Logger,
    private readonly onChange: () => void,
  ) {
    this.dynamic = new DynamicClient(client, mapper);
    this.selector = `${OWNER_NAME_LABEL}=${owner.name},${OWNER_NAMESPACE_LABEL}=${owner.namespace}`;
  }

  /** Starts the informers the inventory needs; stops those it no longer needs. */
  async update(entries: Array<{ id: string; v: string }>): Promise<void> {
    const wanted = new Map<string, ObjectRef>();
    for (const e of entries) {
      const ref = entryRef(e);
      if (ref) wanted.set(groupKey(ref), ref);
    }
    for (const [key, w] of this.watches) {
      if (!wanted.has(key)) {
        this.watches.delete(key);
        void w.informer?.stop();
      }
    }
    for (const [key, ref] of wanted) {
      if (this.watches.has(key) || this.stopped) continue;
      const w: Watch = {};
      this.watches.set(key, w);
      try {
        const resource = await this.mapper.find(ref);
        if (!resource) {
          w.error = `no API serves ${ref.kind} in ${ref.group ? `${ref.group}/` : ''}${ref.version}`;
          continue;
        }
        if (this.stopped || this.watches.get(key) !== w) continue;
        w.informer = new Informer<Manifest>(this.client, {
          resource,
          namespace: resource.namespaced ? ref.namespace : undefined,
          labelSelector: this.selector,
          logger: this.logger,
          onError: (err) => {
            w.error = errorMessage(err);
            this.onChange();
          },
        });
        w.informer.on(() => {
          w.error = undefined;
          this.onChange();
        });
        w.informer.start();
      } catch (err) {
        w.error = errorMessage(err);
      }
    }
  }

  /** Each entry with its health now. */
  async objects(entries: Array<{ id: string; v: string }>): Promise<InventoryObject[]> {
    return Promise.all(
      entries.map(async (e): Promise<InventoryObject> => {
        const ref = entryRef(e);
        if (!ref)
          return {
            apiVersion: e.v,
            kind: '?',
            namespace: '',
            name: e.id,
            health: 'Unknown',
            message: 'malformed inventory entry',
          };
        const base = {
          apiVersion: ref.group ? `${ref.group}/${ref.version}` : ref.version,
          kind: ref.kind,
          namespace: ref.namespace,
          name: ref.name,
        };
        // The informer's cache once it has listed; a direct read before that, and for objects
        // that lost the owner labels.
        const informer = this.watches.get(groupKey(ref))?.informer;
        const key = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
        let obj = informer?.hasSynced ? informer.get(key) : undefined;
        if (!obj) {
          try {
            obj = await this.dynamic.get(ref);
          } catch (err) {
            return { ...base, health: 'Unknown', message: errorMessage(err) };
          }
        }
        const h = computeHealth(obj);
        return { ...base, health: h.status, message: h.message };
      }),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.watches.values()];
    this.watches.clear();
    await Promise.all(all.map((w) => w.informer?.stop()));
  }
}
