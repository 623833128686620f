// Pure: a layered layout of sources → Kustomizations → dependsOn, small enough to draw as SVG.
// Column 0 holds the sources; a Kustomization sits one column right of the deepest of its
// dependencies (dependency cycles are cut where they close), rows ordered by namespace/name.
import type { Graph, GraphEdge, GraphNode, Row } from './api.js';
import { rowKey } from './model.js';

export const NODE_WIDTH = 220;
export const NODE_HEIGHT = 40;
const COLUMN_GAP = 80;
const ROW_GAP = 16;
const MARGIN = 16;

export function layoutGraph(rows: readonly Row[]): Graph {
  const byKey = new Map<string, Row>();
  for (const r of rows) byKey.set(rowKey(r), r);
  const edges: GraphEdge[] = [];
  const missing = new Map<string, GraphNode>();
  const need = (kind: 'GitRepository' | 'Kustomization', namespace: string, name: string): string => {
    const id = rowKey({ kind, namespace, name });
    if (!byKey.has(id) && !missing.has(id))
      missing.set(id, { id, kind, namespace, name, status: 'Unknown', x: 0, y: 0, missing: true });
    return id;
  };
  for (const r of rows) {
    if (r.kind !== 'Kustomization') continue;
    const to = rowKey(r);
    if (r.source && r.source.kind === 'GitRepository')
      edges.push({ from: need('GitRepository', r.source.namespace, r.source.name), to, type: 'source' });
    for (const d of r.dependsOn ?? [])
      edges.push({ from: need('Kustomization', d.namespace, d.name), to, type: 'dependsOn' });
  }

  const deps = new Map<string, string[]>();
  for (const e of edges) if (e.type === 'dependsOn') deps.set(e.to, [...(deps.get(e.to) ?? []), e.from]);
  const column = new Map<string, number>();
  const visiting = new Set<string>();
  const columnOf = (id: string): number => {
    const known = column.get(id);
    if (known !== undefined) return known;
    if (id.startsWith('GitRepository/')) return 0;
    if (visiting.has(id)) return 1; // a cycle: cut here
    visiting.add(id);
    let c = 1;
    for (const d of deps.get(id) ?? []) c = Math.max(c, columnOf(d) + 1);
    visiting.delete(id);
    column.set(id, c);
    return c;
  };

  const all: GraphNode[] = [
    ...rows.map((r) => ({
      id: rowKey(r),
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      status: r.status,
      x: 0,
      y: 0,
    })),
    ...missing.values(),
  ];
  const columns: GraphNode[][] = [];
  for (const n of all) {
    const c = columnOf(n.id);
    const list = columns[c] ?? [];
    list.push(n);
    columns[c] = list;
  }
  let height = 0;
  columns.forEach((nodes, c) => {
    nodes.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    nodes.forEach((n, i) => {
      n.x = MARGIN + c * (NODE_WIDTH + COLUMN_GAP);
      n.y = MARGIN + i * (NODE_HEIGHT + ROW_GAP);
      height = Math.max(height, n.y + NODE_HEIGHT + MARGIN);
    });
  });
  const width = MARGIN * 2 + Math.max(1, columns.length) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP;
  return { nodes: all, edges, width, height: Math.max(height, NODE_HEIGHT + 2 * MARGIN) };
}
