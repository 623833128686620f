// kstatus-correct condition helpers (after fluxcd/pkg runtime/conditions), pure and client-free.
//
// Rules kept here so that `flux reconcile`, `kubectl wait` and kstatus read our objects right:
// - every condition carries the object's metadata.generation as observedGeneration;
// - lastTransitionTime changes only when the condition's status changes (reason and message
//   may change in place), as metav1 conventions require;
// - Reconciling and Stalled are "abnormal-true": present only while True, never both at once;
// - conditions are sorted Stalled, Reconciling, Ready, then by type, like Flux (kubectl output).
import type { Condition, ConditionStatus } from './meta.js';

export const ConditionType = {
  Ready: 'Ready',
  Reconciling: 'Reconciling',
  Stalled: 'Stalled',
  Healthy: 'Healthy',
  ArtifactInStorage: 'ArtifactInStorage',
  ArtifactOutdated: 'ArtifactOutdated',
  FetchFailed: 'FetchFailed',
  BuildFailed: 'BuildFailed',
  StorageOperationFailed: 'StorageOperationFailed',
  IncludeUnavailable: 'IncludeUnavailable',
  SourceVerified: 'SourceVerified',
} as const;

/** Reasons shared by both kinds (fluxcd/pkg apis/meta). */
export const Reason = {
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Progressing: 'Progressing',
  ProgressingWithRetry: 'ProgressingWithRetry',
  DependencyNotReady: 'DependencyNotReady',
  ReconciliationSucceeded: 'ReconciliationSucceeded',
  ReconciliationFailed: 'ReconciliationFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  InvalidCELExpression: 'InvalidCELExpression',
  FeatureGateDisabled: 'FeatureGateDisabled',
  AccessDenied: 'AccessDenied',
} as const;

/** GitRepository reasons (source-controller api/v1, flux-api.md §1.3). */
export const GitRepositoryReason = {
  Succeeded: Reason.Succeeded,
  Failed: Reason.Failed,
  Progressing: Reason.Progressing,
  ProgressingWithRetry: Reason.ProgressingWithRetry,
  GitOperationSucceeded: 'GitOperationSucceeded',
  GitOperationFailed: 'GitOperationFailed',
  AuthenticationFailed: 'AuthenticationFailed',
  URLInvalid: 'URLInvalid',
  VerificationError: 'VerificationError',
  /** spec.verify failures, as source-controller. */
  InvalidCommitSignature: 'InvalidCommitSignature',
  InvalidTagSignature: 'InvalidTagSignature',
  InvalidGitObject: 'InvalidGitObject',
  InvalidVerificationMode: 'InvalidVerificationMode',
  /** A field this build cannot honour (the message names it): Stalled. */
  UnsupportedConfiguration: 'UnsupportedConfiguration',
  DirectoryCreationFailed: 'DirectoryCreationFailed',
  StatOperationFailed: 'StatOperationFailed',
  ReadOperationFailed: 'ReadOperationFailed',
  AcquireLockFailed: 'AcquireLockFailed',
  InvalidPath: 'InvalidPath',
  ArchiveOperationFailed: 'ArchiveOperationFailed',
  SymlinkUpdateFailed: 'SymlinkUpdateFailed',
  ArtifactUpToDate: 'ArtifactUpToDate',
  CacheOperationFailed: 'CacheOperationFailed',
  PatchOperationFailed: 'PatchOperationFailed',
  InvalidSTSConfiguration: 'InvalidSTSConfiguration',
  InvalidProviderConfiguration: 'InvalidProviderConfiguration',
  SourceIgnoreError: 'SourceIgnoreError',
  /** ArtifactOutdated=True reason. */
  NewRevision: 'NewRevision',
  /** Event reasons. */
  NewArtifact: 'NewArtifact',
  GarbageCollectionSucceeded: 'GarbageCollectionSucceeded',
  GarbageCollectionFailed: 'GarbageCollectionFailed',
} as const;

/** Kustomization reasons (kustomize-controller api/v1, flux-api.md §2.3). */
export const KustomizationReason = {
  ReconciliationSucceeded: Reason.ReconciliationSucceeded,
  ReconciliationFailed: Reason.ReconciliationFailed,
  Progressing: Reason.Progressing,
  ProgressingWithRetry: Reason.ProgressingWithRetry,
  Succeeded: Reason.Succeeded,
  ArtifactFailed: 'ArtifactFailed',
  BuildFailed: 'BuildFailed',
  PruneFailed: 'PruneFailed',
  HealthCheckFailed: Reason.HealthCheckFailed,
  HealthCheckCanceled: 'HealthCheckCanceled',
  DependencyNotReady: Reason.DependencyNotReady,
  InvalidCELExpression: Reason.InvalidCELExpression,
  FeatureGateDisabled: Reason.FeatureGateDisabled,
  AccessDenied: Reason.AccessDenied,
  DirectoryCreationFailed: 'DirectoryCreationFailed',
} as const;

/** Anything with a generation and a status holding conditions (GitRepository, Kustomization…). */
export interface ObjectWithConditions {
  metadata: { generation?: number };
  status?: { conditions?: Condition[] };
}

/** Options for deterministic tests; `now` defaults to the wall clock. */
export interface SetOptions {
  now?: Date;
}

/** metav1.Time serialization: RFC 3339 in UTC with whole seconds. */
export function conditionTime(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ORDER: Record<string, number> = {
  [ConditionType.Stalled]: 0,
  [ConditionType.Reconciling]: 1,
  [ConditionType.Ready]: 2,
};

function compareConditions(a: Condition, b: Condition): number {
  const wa = ORDER[a.type];
  const wb = ORDER[b.type];
  if (wa !== undefined && wb !== undefined) return wa - wb;
  if (wa !== undefined) return -1;
  if (wb !== undefined) return 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

/** A condition without a time yet; set/mark fill in lastTransitionTime and observedGeneration. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'> & {
  lastTransitionTime?: string;
};

/**
 * Returns `conditions` with `input` set (pure). lastTransitionTime is kept from the existing
 * condition of the same type unless the status changed; observedGeneration is always `generation`.
 */
export function withCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  opts: SetOptions = {},
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const existing = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    existing && existing.status === input.status
      ? existing.lastTransitionTime
      : (input.lastTransitionTime ?? conditionTime(opts.now));
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime,
    reason: input.reason,
    message: input.message,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list.sort(compareConditions);
}

/** Returns `conditions` without the condition of type `type` (pure). */
export function withoutCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

export function getCondition(obj: ObjectWithConditions, type: string): Condition | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

export function hasCondition(obj: ObjectWithConditions, type: string): boolean {
  return getCondition(obj, type) !== undefined;
}

export function isTrue(obj: ObjectWithConditions, type: string): boolean {
  return getCondition(obj, type)?.status === 'True';
}

export function isFalse(obj: ObjectWithConditions, type: string): boolean {
  return getCondition(obj, type)?.status === 'False';
}

/** True when the condition is Unknown or absent. */
export function isUnknown(obj: ObjectWithConditions, type: string): boolean {
  const c = getCondition(obj, type);
  return c === undefined || c.status === 'Unknown';
}

export function isReady(obj: ObjectWithConditions): boolean {
  return isTrue(obj, ConditionType.Ready);
}

/** Sets a condition on the object in place (see withCondition for the transition-time rule). */
export function setCondition(obj: ObjectWithConditions, input: ConditionInput, opts: SetOptions = {}): void {
  obj.status ??= {};
  obj.status.conditions = withCondition(obj.status.conditions, input, obj.metadata.generation, opts);
}

export function removeCondition(obj: ObjectWithConditions, type: string): void {
  if (!obj.status?.conditions) return;
  obj.status.conditions = withoutCondition(obj.status.conditions, type);
}

export function markTrue(
  obj: ObjectWithConditions,
  type: string,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  setCondition(obj, { type, status: 'True', reason, message }, opts);
}

export function markFalse(
  obj: ObjectWithConditions,
  type: string,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  setCondition(obj, { type, status: 'False', reason, message }, opts);
}

export function markUnknown(
  obj: ObjectWithConditions,
  type: string,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  setCondition(obj, { type, status: 'Unknown', reason, message }, opts);
}

/** Reconciling=True and no Stalled: called when a reconcile starts work. */
export function markReconciling(
  obj: ObjectWithConditions,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  removeCondition(obj, ConditionType.Stalled);
  markTrue(obj, ConditionType.Reconciling, reason, message, opts);
}

/** Stalled=True and no Reconciling: a terminal error that retrying will not fix. */
export function markStalled(
  obj: ObjectWithConditions,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  removeCondition(obj, ConditionType.Reconciling);
  markTrue(obj, ConditionType.Stalled, reason, message, opts);
}

/** Sets Ready to the given status. */
export function markReady(
  obj: ObjectWithConditions,
  status: ConditionStatus,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  setCondition(obj, { type: ConditionType.Ready, status, reason, message }, opts);
}

/**
 * Ends a successful reconcile the kstatus way: Ready=True, Reconciling and Stalled removed.
 * The caller also sets status.observedGeneration = metadata.generation.
 */
export function markReconciled(
  obj: ObjectWithConditions,
  reason: string,
  message: string,
  opts?: SetOptions,
): void {
  removeCondition(obj, ConditionType.Reconciling);
  removeCondition(obj, ConditionType.Stalled);
  markReady(obj, 'True', reason, message, opts);
}

/**
 * Flux's dependency readiness check: the current generation has been observed and Ready is True.
 */
export function isReadyAndObserved(
  obj: ObjectWithConditions & { status?: { observedGeneration?: number } },
): boolean {
  return isReady(obj) && obj.status?.observedGeneration === obj.metadata.generation;
}
