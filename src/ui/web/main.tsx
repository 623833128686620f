// The page: one live stream of the overview (Server-Sent Events: a snapshot, then deltas and
// action progress), a hash router over the five views, and nothing loaded from anywhere else.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ActionProgress, Overview as OverviewData, OverviewDelta, Row } from '../api.js';
import { type RowFilter, rowKey } from '../model.js';
import { DetailView } from './detail.js';
import { DriftView } from './diff.js';
import { GraphView } from './graph.js';
import { Overview } from './overview.js';

type Route =
  | { view: 'overview' }
  | { view: 'graph' }
  | { view: 'detail'; kind: 'Kustomization' | 'GitRepository'; namespace: string; name: string }
  | { view: 'drift'; namespace: string; name: string };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'graph') return { view: 'graph' };
  if ((parts[0] === 'ks' || parts[0] === 'source') && parts[1] && parts[2]) {
    if (parts[0] === 'ks' && parts[3] === 'diff')
      return { view: 'drift', namespace: parts[1], name: parts[2] };
    return {
      view: 'detail',
      kind: parts[0] === 'ks' ? 'Kustomization' : 'GitRepository',
      namespace: parts[1],
      name: parts[2],
    };
  }
  return { view: 'overview' };
}

function useLive() {
  const [rows, setRows] = useState<Map<string, Row>>(new Map());
  const [scope, setScope] = useState<string>();
  const [connected, setConnected] = useState(false);
  const [progress, setProgress] = useState<Map<string, ActionProgress>>(new Map());
  useEffect(() => {
    const es = new EventSource('/api/stream');
    es.onopen = () => setConnected(true);
    es.onerror = () => setConnected(false);
    es.addEventListener('overview', (e) => {
      performance.mark('mooring:snapshot-received');
      const o = JSON.parse((e as MessageEvent<string>).data) as OverviewData;
      setScope(o.scope);
      setRows(new Map(o.rows.map((r) => [rowKey(r), r])));
      setConnected(true);
    });
    es.addEventListener('delta', (e) => {
      const d = JSON.parse((e as MessageEvent<string>).data) as OverviewDelta;
      setRows((prev) => {
        const next = new Map(prev);
        for (const k of d.deletes) next.delete(k);
        for (const r of d.upserts) next.set(rowKey(r), r);
        return next;
      });
    });
    es.addEventListener('action', (e) => {
      const p = JSON.parse((e as MessageEvent<string>).data) as ActionProgress;
      setProgress((prev) => new Map(prev).set(p.id, p));
    });
    return () => es.close();
  }, []);
  const sorted = useMemo(() => {
    const order = (r: Row) => (r.kind === 'GitRepository' ? 0 : 1);
    return [...rows.values()].sort(
      (a, b) => order(a) - order(b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name),
    );
  }, [rows]);
  return { rows: sorted, scope, connected, progress, loaded: scope !== undefined };
}

function App() {
  const [route, setRoute] = useState(parseRoute(location.hash));
  const [filter, setFilter] = useState<RowFilter>({});
  const [, tick] = useState(0);
  const live = useLive();
  useEffect(() => {
    // For the page-load benchmark (bench/ui): when the first data was on screen.
    if (live.loaded && performance.getEntriesByName('mooring:rendered').length === 0)
      performance.mark('mooring:rendered');
  }, [live.loaded]);
  useEffect(() => {
    const onHash = () => {
      setRoute(parseRoute(location.hash));
      document.getElementById('main')?.focus();
    };
    window.addEventListener('hashchange', onHash);
    const timer = setInterval(() => tick((n) => n + 1), 15_000);
    return () => {
      window.removeEventListener('hashchange', onHash);
      clearInterval(timer);
    };
  }, []);
  return (
    <>
      <button type="button" class="skip" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <header>
        <h1>
          <span aria-hidden="true">⚓ </span>Mooring
        </h1>
        <nav aria-label="Views">
          <a href="#/" aria-current={route.view === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href="#/graph" aria-current={route.view === 'graph' ? 'page' : undefined}>
            Graph
          </a>
        </nav>
        <p class="scope">
          {live.scope === undefined ? '' : live.scope ? `Namespace ${live.scope}` : 'All namespaces'}
        </p>
        <p class={live.connected ? 'conn live' : 'conn offline'} role="status" data-testid="connection">
          <span aria-hidden="true">{live.connected ? '● ' : '○ '}</span>
          {live.connected ? 'Live' : 'Reconnecting…'}
        </p>
      </header>
      <main id="main" tabIndex={-1}>
        {!live.loaded ? (
          <p aria-busy="true">Loading…</p>
        ) : route.view === 'overview' ? (
          <Overview rows={live.rows} filter={filter} setFilter={setFilter} />
        ) : route.view === 'graph' ? (
          <GraphView rows={live.rows} filter={filter} setFilter={setFilter} />
        ) : route.view === 'detail' ? (
          <DetailView
            key={`${route.kind}/${route.namespace}/${route.name}`}
            kind={route.kind}
            namespace={route.namespace}
            name={route.name}
            progress={live.progress}
          />
        ) : (
          <DriftView namespace={route.namespace} name={route.name} />
        )}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
