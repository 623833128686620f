// What the verbs (apply.ts, diff.ts, prune.ts, wait.ts) need from whoever runs them: the
// ResourceManager provides it in production, a unit test can hand them a fake. Only the calls
// the verbs make, so the verbs do not depend on the manager that composes them.
import type { RESTMapper } from '../kube/discovery.js';
import type { DynamicClient } from '../kube/dynamic.js';
import type { FieldManagerMatch } from './metadata.js';

/** The object calls the verbs make (typed reads, server-side apply, JSON patch, delete). */
export type ObjectClient = Pick<
  DynamicClient,
  'get' | 'getMetadata' | 'list' | 'apply' | 'applyReportingCreate' | 'jsonPatch' | 'delete'
>;

/** Kind discovery: whether a kind is served, and forgetting a group-version after a CRD change. */
export type KindMapper = Pick<RESTMapper, 'find' | 'invalidate'>;

export interface ApplyContext {
  readonly dynamic: ObjectClient;
  readonly mapper: KindMapper;
  /** Labels put on every applied object and required on every pruned one. */
  readonly ownerLabels: Readonly<Record<string, string>>;
  /** Server-side apply field manager. */
  readonly fieldManager: string;
  /** Parallel requests while diffing, writing and polling (at least 1). */
  readonly concurrency: number;
  /** Workflows whose fields are taken over (kubectl, before-first-apply, own pre-SSA updates). */
  readonly takeoverManagers: readonly FieldManagerMatch[];
}
