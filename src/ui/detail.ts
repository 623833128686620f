// Pure: the detail page of a Kustomization or GitRepository from what the store holds — its
// conditions, status.history, spec highlights, the recent Events of it and of its objects.
import type {
  ConditionView,
  Detail,
  EventView,
  FluxKind,
  HistoryView,
  InventoryObject,
  ObjectKey,
  Row,
} from './api.js';
import { rowOf } from './model.js';
import type { EventObject, FluxObject } from './store.js';

const MAX_EVENTS = 40;

interface FullStatus {
  conditions?: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }>;
  history?: Array<{
    digest?: string;
    firstReconciled?: string;
    lastReconciled?: string;
    lastReconciledDuration?: string;
    lastReconciledStatus?: string;
    totalReconciliations?: number;
    metadata?: Record<string, string>;
  }>;
}

export interface DetailInput {
  kind: FluxKind;
  obj: FluxObject;
  inventory: InventoryObject[];
  events: readonly EventObject[];
  sourceRow?: Row;
  consumers?: ObjectKey[];
}

const eventTime = (e: EventObject): string => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';

/** Events whose object is `kind/namespace/name` or one of the inventory, newest first. */
export function eventsFor(
  events: readonly EventObject[],
  kind: FluxKind,
  namespace: string,
  name: string,
  inventory: readonly InventoryObject[],
): EventView[] {
  const wanted = new Set([`${kind}/${namespace}/${name}`]);
  for (const o of inventory) wanted.add(`${o.kind}/${o.namespace}/${o.name}`);
  return events
    .filter((e) => {
      const io = e.involvedObject;
      return io && wanted.has(`${io.kind ?? ''}/${io.namespace ?? ''}/${io.name ?? ''}`);
    })
    .sort((a, b) => eventTime(b).localeCompare(eventTime(a)))
    .slice(0, MAX_EVENTS)
    .map((e) => ({
      type: e.type ?? '',
      reason: e.reason ?? '',
      message: e.message ?? '',
      object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`,
      count: e.count ?? 1,
      lastTimestamp: eventTime(e),
    }));
}

function specOf(kind: FluxKind, obj: FluxObject): Record<string, string> {
  const spec = (obj.spec ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  const keys =
    kind === 'Kustomization'
      ? ['path', 'interval', 'prune', 'wait', 'timeout', 'targetNamespace', 'force', 'serviceAccountName']
      : ['url', 'interval', 'timeout'];
  for (const k of keys) {
    const v = spec[k];
    if (v !== undefined && v !== null && typeof v !== 'object') out[k] = String(v);
  }
  if (kind === 'GitRepository' && spec.ref && typeof spec.ref === 'object') {
    for (const [k, v] of Object.entries(spec.ref as Record<string, unknown>))
      if (typeof v === 'string') out[`ref.${k}`] = v;
  }
  return out;
}

export function buildDetail(input: DetailInput): Detail {
  const { kind, obj } = input;
  const status = (obj.status ?? {}) as FullStatus;
  const row = rowOf(kind, obj);
  const conditions: ConditionView[] = (status.conditions ?? []).map((c) => ({
    type: c.type,
    status: c.status,
    reason: c.reason ?? '',
    message: c.message ?? '',
    lastTransitionTime: c.lastTransitionTime ?? '',
  }));
  const history: HistoryView[] = (status.history ?? []).map((h) => ({
    digest: h.digest ?? '',
    revision: h.metadata?.revision ?? '',
    status: h.lastReconciledStatus ?? '',
    firstReconciled: h.firstReconciled ?? '',
    lastReconciled: h.lastReconciled ?? '',
    duration: h.lastReconciledDuration ?? '',
    total: h.totalReconciliations ?? 0,
  }));
  const detail: Detail = {
    row,
    conditions,
    inventory: input.inventory,
    events: eventsFor(input.events, kind, row.namespace, row.name, input.inventory),
    history,
    spec: specOf(kind, obj),
  };
  if (input.sourceRow) detail.sourceRow = input.sourceRow;
  if (input.consumers) detail.consumers = input.consumers;
  return detail;
}
