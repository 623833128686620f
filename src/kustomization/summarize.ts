// The one place that turns a pass's outcome into status (conditions, revisions, inventory,
// history) and decides what else the pass says: its events, its log line, and when it runs again.
// No I/O: it writes obj.status in memory; the reconciler patches it and carries the verdict out.
import { randomUUID } from 'node:crypto';
import {
  ConditionType,
  getCondition,
  KustomizationReason,
  markReady,
  markReconciled,
  markReconciling,
  markStalled,
  removeCondition,
} from '../api/conditions.js';
import { formatDuration } from '../api/duration.js';
import {
  getRequeueAfter,
  getRetryInterval,
  type Kustomization,
  MAX_HISTORY_SNAPSHOTS,
  type Snapshot,
} from '../api/kustomization.js';
import { reconcileRequestedAt } from '../api/meta.js';
import type { LogFields } from '../runtime/logger.js';
import { type DriftNotice, driftNotice, recordDrift } from './drift.js';
import type { Applied, Failed, Outcome } from './outcome.js';

export interface PassEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  revision?: string;
  /** Event metadata besides the revision. */
  metadata?: Record<string, string>;
  /** Posted to the events address only, no Kubernetes Event (the per-pass heartbeat). */
  notifyOnly?: boolean;
}

export interface Verdict {
  /** In order. */
  events: PassEvent[];
  /** When to run again; undefined: not until something changes (stalled). */
  requeueAfterMs?: number;
  log: { level: 'info' | 'error'; message: string; fields: LogFields };
  /** After a full apply pass. */
  drift?: DriftNotice;
}

const TOKEN_ANNOTATION = 'kustomize.toolkit.fluxcd.io/token';
const COMMIT_STATUS_ANNOTATION = 'kustomize.toolkit.fluxcd.io/commit_status';

export interface PassFacts {
  tookMs: number;
  /** Makes this pass's success event unique (default: a random UUID). */
  token?: string;
  /** Report-only drift announced by an earlier pass (memo). */
  reportedDrift?: string;
  now?: Date;
}

export function summarize(obj: Kustomization, outcome: Outcome, pass: PassFacts): Verdict {
  obj.status ??= {};
  const requested = reconcileRequestedAt(obj.metadata);
  if (requested !== undefined) obj.status.lastHandledReconcileAt = requested;
  return outcome.kind === 'failed' ? failure(obj, outcome) : success(obj, outcome, pass);
}

/**
 * Flux's deferred status patch runs for a suspended object too: the sync request is recorded as
 * handled and, when Ready, the generation that set `suspend` counts as observed — otherwise
 * kstatus shows the object in progress forever and its dependents never see it ready.
 */
export function summarizeSuspended(obj: Kustomization): void {
  obj.status ??= {};
  const status = obj.status;
  const requested = reconcileRequestedAt(obj.metadata);
  if (requested !== undefined) status.lastHandledReconcileAt = requested;
  if (getCondition(obj, ConditionType.Ready)?.status === 'True') {
    removeCondition(obj, ConditionType.Reconciling);
    status.observedGeneration = obj.metadata.generation;
  }
}

/** Ready=False with the step's reason; an event unless quiet; retried unless stalled. */
function failure(obj: Kustomization, { error, revision }: Failed): Verdict {
  obj.status ??= {};
  const status = obj.status;
  if (revision) status.lastAttemptedRevision = revision;
  if (error.opts.inventory) status.inventory = { entries: error.opts.inventory };
  if (error.opts.stalled) {
    markStalled(obj, error.reason, error.message);
    status.observedGeneration = obj.metadata.generation;
  } else {
    markReconciling(obj, KustomizationReason.ProgressingWithRetry, error.message);
  }
  markReady(obj, 'False', error.reason, error.message);

  const retry = error.opts.retryAfterMs ?? getRetryInterval(obj);
  if (error.opts.quiet) {
    return {
      events: [],
      requeueAfterMs: retry,
      log: { level: 'info', message: error.message, fields: { reason: error.reason } },
    };
  }
  return {
    events: [
      {
        type: error.reason === 'DependencyNotReady' ? 'Normal' : 'Warning',
        reason: error.reason,
        message: error.message,
        ...(revision ? { revision } : {}),
      },
    ],
    ...(error.opts.stalled ? {} : { requeueAfterMs: retry }),
    log: {
      level: 'error',
      message: 'Reconciliation failed',
      fields: { error: error.message, reason: error.reason, revision },
    },
  };
}

/** Ready=True with the applied revision; drift and change-set events; the next run at the interval. */
function success(obj: Kustomization, outcome: Applied, pass: PassFacts): Verdict {
  const now = pass.now ?? new Date();
  obj.status ??= {};
  const status = obj.status;
  status.lastAppliedRevision = outcome.revision;
  status.lastAttemptedRevision = outcome.revision;
  status.inventory = { entries: outcome.inventory };
  status.observedGeneration = obj.metadata.generation;
  markReconciled(obj, KustomizationReason.ReconciliationSucceeded, `Applied revision: ${outcome.revision}`);
  if (outcome.drift) recordDrift(obj, outcome.drift.mode, outcome.drift.objects, now);
  status.history = recordHistory(status.history, outcome, pass.tookMs, now);

  const drift = outcome.drift && driftNotice(outcome.drift.mode, outcome.drift.objects, pass.reportedDrift);
  const events: PassEvent[] = [];
  if (drift?.event) events.push({ ...drift.event, revision: outcome.revision });
  if (outcome.changed) {
    events.push({
      type: 'Normal',
      reason: 'Progressing',
      message: outcome.changeSet.lines().join('\n'),
      revision: outcome.revision,
    });
  }
  const requeueAfterMs = getRequeueAfter(obj);
  // Flux's per-pass success event: notification-controller turns it into a Git commit status; the
  // token makes each pass unique. Flux also writes it as a Kubernetes Event on every pass; Mooring
  // only posts it, so that a steady pass writes nothing to the apiserver (status tells the same).
  events.push({
    notifyOnly: true,
    type: 'Normal',
    reason: KustomizationReason.ReconciliationSucceeded,
    message: `Reconciliation finished revision ${outcome.revision}, next run in ${formatDuration(requeueAfterMs)}`,
    revision: outcome.revision,
    metadata: { [COMMIT_STATUS_ANNOTATION]: 'update', [TOKEN_ANNOTATION]: pass.token ?? randomUUID() },
  });
  return {
    events,
    requeueAfterMs,
    log: {
      level: 'info',
      message: `Reconciliation finished in ${formatDuration(pass.tookMs)}, next run in ${formatDuration(requeueAfterMs)}`,
      fields: {
        revision: outcome.revision,
        output: outcome.changed ? outcome.changeSet.toMap() : undefined,
      },
    },
    ...(drift ? { drift } : {}),
  };
}

/** status.history: newest first, at most 5, one entry per (digest, status). */
function recordHistory(
  history: Snapshot[] | undefined,
  outcome: Applied,
  tookMs: number,
  now: Date,
): Snapshot[] {
  const at = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const list = [...(history ?? [])];
  const i = list.findIndex(
    (s) => s.digest === outcome.digest && s.lastReconciledStatus === 'ReconciliationSucceeded',
  );
  const prev = i >= 0 ? list.splice(i, 1)[0] : undefined;
  // A pass that changed nothing keeps its snapshot as it was, so that steady state writes no
  // status at all (Flux bumps lastReconciled/totalReconciliations on every pass).
  if (prev && !outcome.changed) return [prev, ...list].slice(0, MAX_HISTORY_SNAPSHOTS);
  const entry: Snapshot = {
    digest: outcome.digest,
    firstReconciled: prev?.firstReconciled ?? at,
    lastReconciled: at,
    lastReconciledDuration: formatDuration(tookMs),
    lastReconciledStatus: 'ReconciliationSucceeded',
    totalReconciliations: (prev?.totalReconciliations ?? 0) + 1,
    metadata: { revision: outcome.revision },
  };
  return [entry, ...list].slice(0, MAX_HISTORY_SNAPSHOTS);
}
