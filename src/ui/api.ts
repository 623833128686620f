// The JSON the `mooring ui` server sends to the page: shared by the server (src/ui) and the
// browser code (src/ui/web), so both sides agree on one shape. Types only.

/** One word per object, shown as text and icon (never colour alone). */
export type Status = 'Ready' | 'Failed' | 'Reconciling' | 'Stalled' | 'Suspended' | 'Unknown';

export type FluxKind = 'GitRepository' | 'Kustomization';

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface Revision {
  /** Branch, tag or ref name without `refs/heads/`; empty when the revision names none. */
  ref: string;
  /** The first 7 characters of the commit sha. */
  shortSha: string;
  /** The revision as the API holds it, e.g. `main@sha1:6d3a…`. */
  full: string;
}

/** A GitRepository or Kustomization as the overview lists it. */
export interface Row {
  kind: FluxKind;
  namespace: string;
  name: string;
  status: Status;
  /** The Ready (or Stalled) condition's reason. */
  reason: string;
  message: string;
  suspended: boolean;
  /** Fetched (GitRepository) or applied (Kustomization) revision. */
  revision?: Revision;
  /** When the revision was fetched or applied (RFC 3339). */
  lastApplied?: string;
  created?: string;
  /** Kustomization only: its source and the Kustomizations it depends on. */
  source?: { kind: string; namespace: string; name: string };
  dependsOn?: ObjectKey[];
  /** GitRepository only: the URL. */
  url?: string;
}

export interface Counts {
  total: number;
  ready: number;
  failing: number;
  reconciling: number;
  suspended: number;
  unknown: number;
}

export interface Overview {
  /** What the server watches: one namespace, or '' for all namespaces. */
  scope: string;
  rows: Row[];
}

/** Changes since the last message on the stream: rows replaced or added, and keys removed. */
export interface OverviewDelta {
  upserts: Row[];
  deletes: string[];
}

export type HealthStatus = 'Current' | 'InProgress' | 'Failed' | 'Terminating' | 'NotFound' | 'Unknown';

export interface InventoryObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  health: HealthStatus;
  message: string;
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface EventView {
  type: string;
  reason: string;
  message: string;
  object: string;
  count: number;
  lastTimestamp: string;
}

export interface HistoryView {
  digest: string;
  revision: string;
  status: string;
  firstReconciled: string;
  lastReconciled: string;
  duration: string;
  total: number;
}

export interface Detail {
  row: Row;
  conditions: ConditionView[];
  /** Kustomization: the inventory, with live health. */
  inventory: InventoryObject[];
  events: EventView[];
  history: HistoryView[];
  /** Kustomization: path, prune, interval; GitRepository: url, ref. */
  spec: Record<string, string>;
  /** Kustomization: its source's row when the server sees it. */
  sourceRow?: Row;
  /** GitRepository: the Kustomizations that use it. */
  consumers?: ObjectKey[];
}

export type DriftChange = 'created' | 'drifted' | 'deleted' | 'failed';

export interface DriftItem {
  subject: string;
  change: DriftChange;
  /** Unified diff of the live and merged objects (Secret values masked). */
  diff?: string;
  error?: string;
}

export interface Drift {
  revision: string;
  total: number;
  items: DriftItem[];
}

export type ActionVerb = 'sync' | 'suspend' | 'resume';

export interface ActionRequest {
  action: ActionVerb;
  kind: FluxKind;
  namespace: string;
  name: string;
  withSource?: boolean;
}

export interface ActionProgress {
  id: string;
  state: 'running' | 'succeeded' | 'failed';
  message: string;
}

export interface GraphNode {
  id: string;
  kind: FluxKind;
  namespace: string;
  name: string;
  status: Status;
  x: number;
  y: number;
  /** Referenced but not visible (another namespace or not found). */
  missing?: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  type: 'source' | 'dependsOn';
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}
