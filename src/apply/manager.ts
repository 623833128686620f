// The resource manager: holds its collaborators (client, mapper, owner labels, field manager,
// concurrency) and exposes the verbs, each implemented in its own file (apply.ts, diff.ts,
// prune.ts, wait.ts) against the ApplyContext it provides (context.ts). It knows nothing about
// Kustomizations (style.md, fluxcd/pkg ssa).
import { KUSTOMIZE_FIELD_MANAGER, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from '../api/meta.js';
import type { KubeClient } from '../kube/client.js';
import { RESTMapper } from '../kube/discovery.js';
import { DynamicClient, type Manifest, type ObjectRef } from '../kube/dynamic.js';
import { type ApplyOptions, type ApplyResult, applyAll } from './apply.js';
import type { ApplyContext } from './context.js';
import { type DiffOptions, type DiffResult, diffAll } from './diff.js';
import type { InventoryEntry } from './inventory.js';
import { defaultTakeoverManagers, type FieldManagerMatch } from './metadata.js';
import { type PruneOptions, type PruneResult, prune } from './prune.js';
import { type WaitOptions, type WaitResult, waitForSet } from './wait.js';

export interface ResourceManagerOptions {
  client: KubeClient;
  /** Shared across managers of the same cluster identity to share discovery; created if absent. */
  mapper?: RESTMapper;
  /** Labels put on every applied object and required on every pruned one. */
  ownerLabels?: Record<string, string>;
  /** Server-side apply field manager; Flux's `kustomize-controller` by default. */
  fieldManager?: string;
  /** Parallel requests while diffing and writing (Flux's --concurrent-ssa, default 4 there). */
  concurrency?: number;
  /** Workflows whose fields are taken over (Flux: kubectl, before-first-apply, own pre-SSA updates). */
  takeoverManagers?: FieldManagerMatch[];
}

/** Flux's owner labels for a Kustomization `namespace/name`. */
export function ownerLabelsFor(name: string, namespace: string): Record<string, string> {
  return { [OWNER_NAME_LABEL]: name, [OWNER_NAMESPACE_LABEL]: namespace };
}

export class ResourceManager implements ApplyContext {
  readonly client: KubeClient;
  readonly mapper: RESTMapper;
  readonly dynamic: DynamicClient;
  readonly ownerLabels: Readonly<Record<string, string>>;
  readonly fieldManager: string;
  readonly concurrency: number;
  readonly takeoverManagers: readonly FieldManagerMatch[];

  constructor(opts: ResourceManagerOptions) {
    this.client = opts.client;
    this.mapper = opts.mapper ?? new RESTMapper(opts.client);
    this.dynamic = new DynamicClient(opts.client, this.mapper);
    this.ownerLabels = { ...opts.ownerLabels };
    this.fieldManager = opts.fieldManager ?? KUSTOMIZE_FIELD_MANAGER;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.takeoverManagers = opts.takeoverManagers ?? defaultTakeoverManagers(this.fieldManager);
  }

  /** Staged server-side apply with validation first and drift detection; see apply.ts. */
  applyAll(objects: readonly Manifest[], opts: ApplyOptions = {}): Promise<ApplyResult> {
    return applyAll(this, objects, opts);
  }

  /** What an apply would do, without writing: see diff.ts. */
  diff(objects: readonly Manifest[], opts: DiffOptions = {}): Promise<DiffResult> {
    return diffAll(this, objects, opts);
  }

  /** Deletes stale inventory entries in reverse apply order, when still ours: see prune.ts. */
  prune(entries: readonly InventoryEntry[], opts: PruneOptions = {}): Promise<PruneResult> {
    return prune(this, entries, opts);
  }

  /** Polls objects until all are healthy (kstatus Current), one fails, or time runs out: see wait.ts. */
  waitForSet(refs: readonly ObjectRef[], opts: WaitOptions): Promise<WaitResult> {
    return waitForSet(this, refs, opts);
  }
}
