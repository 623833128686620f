// View 2: sources → Kustomizations → dependsOn as SVG; each node is a link (keyboard reachable),
// coloured by status and labelled with the status word and icon.
import { useMemo } from 'preact/hooks';
import type { Row } from '../api.js';
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from '../graph.js';
import { matchesFilter, type RowFilter } from '../model.js';
import { hrefOf } from './common.js';
import { Filters } from './overview.js';

const ICON: Record<string, string> = {
  Ready: '✔',
  Failed: '✖',
  Stalled: '⛔',
  Reconciling: '↻',
  Suspended: '‖',
  Unknown: '?',
};

export function GraphView({
  rows,
  filter,
  setFilter,
}: {
  rows: Row[];
  filter: RowFilter;
  setFilter: (f: RowFilter) => void;
}) {
  const graph = useMemo(() => layoutGraph(rows.filter((r) => matchesFilter(r, filter))), [rows, filter]);
  const pos = new Map(graph.nodes.map((n) => [n.id, n]));
  return (
    <section aria-labelledby="graph-title">
      <h2 id="graph-title">Graph</h2>
      <p class="hint">
        Sources on the left, then Kustomizations; a solid line is a source, a dashed line a dependsOn.
      </p>
      <Filters rows={rows} filter={filter} setFilter={setFilter} />
      <div class="graph-wrap">
        <svg
          class="graph"
          width={graph.width}
          height={graph.height}
          viewBox={`0 0 ${graph.width} ${graph.height}`}
          aria-labelledby="graph-svg-title"
        >
          <title id="graph-svg-title">Dependency graph of {graph.nodes.length} objects</title>
          <defs>
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="10"
              refY="5"
              markerWidth="8"
              markerHeight="8"
              orient="auto"
            >
              <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
            </marker>
          </defs>
          {graph.edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            const x1 = a.x + NODE_WIDTH;
            const y1 = a.y + NODE_HEIGHT / 2;
            const x2 = b.x;
            const y2 = b.y + NODE_HEIGHT / 2;
            const mid = (x1 + x2) / 2;
            return (
              <path
                key={`${e.from}->${e.to}`}
                class={`edge edge-${e.type}`}
                d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`}
                marker-end="url(#arrow)"
              />
            );
          })}
          {graph.nodes.map((n) => {
            const label = `${n.kind} ${n.namespace}/${n.name}: ${n.missing ? 'not visible' : n.status}`;
            const body = (
              <g
                class={`node status-${n.status.toLowerCase()}${n.missing ? ' missing' : ''}`}
                data-node={n.id}
              >
                <rect x={n.x} y={n.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
                <text x={n.x + 10} y={n.y + 16} class="node-name">
                  {n.kind === 'GitRepository' ? '⎇ ' : ''}
                  {n.name.length > 26 ? `${n.name.slice(0, 25)}…` : n.name}
                </text>
                <text x={n.x + 10} y={n.y + 32} class="node-status">
                  {n.missing ? 'not visible' : `${ICON[n.status]} ${n.status}`} · {n.namespace}
                </text>
              </g>
            );
            return n.missing ? (
              <g key={n.id}>
                <title>{label}</title>
                {body}
              </g>
            ) : (
              <a key={n.id} href={hrefOf(n)} aria-label={label}>
                <title>{label}</title>
                {body}
              </a>
            );
          })}
        </svg>
      </div>
    </section>
  );
}
