// Pure: what the page shows of a GitRepository or Kustomization — one status word, the revision
// as branch + short sha, when it was applied — and the counts over a list of them.
import type { Counts, FluxKind, ObjectKey, Revision, Row, Status } from './api.js';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The fields of either kind that the overview reads. */
export interface FluxObjectLike {
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    creationTimestamp?: string;
  };
  spec?: {
    suspend?: boolean;
    url?: string;
    sourceRef?: { kind?: string; name?: string; namespace?: string };
    dependsOn?: Array<{ name?: string; namespace?: string }>;
  };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    lastAppliedRevision?: string;
    artifact?: { revision?: string; lastUpdateTime?: string };
    history?: Array<{ lastReconciled?: string; lastReconciledStatus?: string }>;
  };
}

const condition = (obj: FluxObjectLike, type: string) => obj.status?.conditions?.find((c) => c.type === type);

/**
 * Flux's revision forms: `main@sha1:<sha>`, `refs/tags/v1@sha1:<sha>`, `sha1:<sha>`, and the
 * pre-v1 `main/<sha>`. Split without regular expressions on the (Git-controlled) ref name.
 */
export function parseRevision(full: string | undefined): Revision | undefined {
  if (!full) return undefined;
  let ref = '';
  let digest = full;
  const at = full.lastIndexOf('@');
  if (at >= 0) {
    ref = full.slice(0, at);
    digest = full.slice(at + 1);
  } else if (!full.includes(':')) {
    const slash = full.lastIndexOf('/');
    if (slash >= 0) {
      ref = full.slice(0, slash);
      digest = full.slice(slash + 1);
    }
  }
  const colon = digest.indexOf(':');
  const sha = colon >= 0 ? digest.slice(colon + 1) : digest;
  for (const prefix of ['refs/heads/', 'refs/tags/'])
    if (ref.startsWith(prefix)) ref = ref.slice(prefix.length);
  return { ref, shortSha: sha.slice(0, 7), full };
}

/** One status word, in the order that matters most to a reader. */
export function statusOf(obj: FluxObjectLike): { status: Status; reason: string; message: string } {
  const ready = condition(obj, 'Ready');
  const stalled = condition(obj, 'Stalled');
  const reconciling = condition(obj, 'Reconciling');
  const reason = ready?.reason ?? '';
  const message = ready?.message ?? '';
  if (obj.spec?.suspend) return { status: 'Suspended', reason, message };
  if (stalled?.status === 'True')
    return { status: 'Stalled', reason: stalled.reason ?? '', message: stalled.message ?? message };
  // A failed attempt that is being retried (Reconciling True, ProgressingWithRetry) is a failure.
  if (ready?.status === 'False') return { status: 'Failed', reason, message };
  if (!obj.status?.conditions?.length)
    return { status: 'Unknown', reason, message: 'waiting for a controller to report a status' };
  const gen = obj.metadata.generation;
  const observed = obj.status?.observedGeneration;
  const stale = gen !== undefined && observed !== undefined && observed < gen;
  if (reconciling?.status === 'True' || stale)
    return { status: 'Reconciling', reason, message: reconciling?.message || message };
  if (ready?.status === 'True') return { status: 'Ready', reason, message };
  return { status: 'Unknown', reason, message };
}

export function rowOf(kind: FluxKind, obj: FluxObjectLike): Row {
  const namespace = obj.metadata.namespace ?? '';
  const { status, reason, message } = statusOf(obj);
  const row: Row = {
    kind,
    namespace,
    name: obj.metadata.name,
    status,
    reason,
    message,
    suspended: obj.spec?.suspend === true,
    created: obj.metadata.creationTimestamp,
  };
  if (kind === 'GitRepository') {
    row.revision = parseRevision(obj.status?.artifact?.revision);
    row.lastApplied = obj.status?.artifact?.lastUpdateTime;
    if (typeof obj.spec?.url === 'string') row.url = obj.spec.url;
  } else {
    row.revision = parseRevision(obj.status?.lastAppliedRevision);
    const ready = condition(obj, 'Ready');
    const applied = obj.status?.history?.find((h) => h.lastReconciledStatus === 'ReconciliationSucceeded');
    row.lastApplied =
      applied?.lastReconciled ?? (ready?.status === 'True' ? ready.lastTransitionTime : undefined);
    const ref = obj.spec?.sourceRef;
    if (ref?.name)
      row.source = {
        kind: ref.kind ?? 'GitRepository',
        namespace: ref.namespace || namespace,
        name: ref.name,
      };
    row.dependsOn = (obj.spec?.dependsOn ?? [])
      .filter((d): d is { name: string; namespace?: string } => typeof d.name === 'string')
      .map((d) => ({ namespace: d.namespace || namespace, name: d.name }));
  }
  return row;
}

/** `Kind/namespace/name`: the key of a row on the page and in stream deltas. */
export const rowKey = (r: { kind: string; namespace: string; name: string }): string =>
  `${r.kind}/${r.namespace}/${r.name}`;

export function countRows(rows: readonly Row[]): Counts {
  const c: Counts = { total: rows.length, ready: 0, failing: 0, reconciling: 0, suspended: 0, unknown: 0 };
  for (const r of rows) {
    if (r.status === 'Ready') c.ready++;
    else if (r.status === 'Failed' || r.status === 'Stalled') c.failing++;
    else if (r.status === 'Reconciling') c.reconciling++;
    else if (r.status === 'Suspended') c.suspended++;
    else c.unknown++;
  }
  return c;
}

export interface RowFilter {
  namespace?: string;
  status?: Status | 'Failing' | '';
  text?: string;
}

export function matchesFilter(r: Row, f: RowFilter): boolean {
  if (f.namespace && r.namespace !== f.namespace) return false;
  if (f.status) {
    if (f.status === 'Failing') {
      if (r.status !== 'Failed' && r.status !== 'Stalled') return false;
    } else if (r.status !== f.status) return false;
  }
  if (f.text) {
    const t = f.text.toLowerCase();
    const hay = `${r.kind} ${r.namespace}/${r.name} ${r.message} ${r.revision?.full ?? ''}`.toLowerCase();
    if (!hay.includes(t)) return false;
  }
  return true;
}

export const keyOf = (k: ObjectKey): string => `${k.namespace}/${k.name}`;
