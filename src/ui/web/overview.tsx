// View 1: every GitRepository and Kustomization, counts on top, filters by namespace, status, text.
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Row, Status } from '../api.js';
import { countRows, matchesFilter, type RowFilter } from '../model.js';
import { hrefOf, RevisionText, StatusBadge, Time } from './common.js';

const PAGE_SIZE = 100;

const STATUSES: Array<Status | 'Failing'> = [
  'Ready',
  'Failing',
  'Reconciling',
  'Suspended',
  'Failed',
  'Stalled',
  'Unknown',
];

export function Filters({
  rows,
  filter,
  setFilter,
}: {
  rows: Row[];
  filter: RowFilter;
  setFilter: (f: RowFilter) => void;
}) {
  const namespaces = useMemo(() => [...new Set(rows.map((r) => r.namespace))].sort(), [rows]);
  return (
    <form class="filters" aria-label="Filter objects" onSubmit={(e) => e.preventDefault()}>
      <label>
        Namespace
        <select
          value={filter.namespace ?? ''}
          onChange={(e) => setFilter({ ...filter, namespace: (e.target as HTMLSelectElement).value })}
        >
          <option value="">All</option>
          {namespaces.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label>
        Status
        <select
          value={filter.status ?? ''}
          onChange={(e) =>
            setFilter({ ...filter, status: (e.target as HTMLSelectElement).value as RowFilter['status'] })
          }
        >
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === 'Failing' ? 'Failing (Failed or Stalled)' : s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Search
        <input
          type="search"
          value={filter.text ?? ''}
          placeholder="name, message, revision"
          onInput={(e) => setFilter({ ...filter, text: (e.target as HTMLInputElement).value })}
        />
      </label>
    </form>
  );
}

function Counts({
  rows,
  filter,
  setFilter,
}: {
  rows: Row[];
  filter: RowFilter;
  setFilter: (f: RowFilter) => void;
}) {
  const c = countRows(rows);
  const items: Array<[string, number, RowFilter['status']]> = [
    ['Total', c.total, ''],
    ['Ready', c.ready, 'Ready'],
    ['Failing', c.failing, 'Failing'],
    ['In progress', c.reconciling, 'Reconciling'],
    ['Suspended', c.suspended, 'Suspended'],
  ];
  return (
    <ul class="counts" aria-label="Counts">
      {items.map(([label, n, status]) => (
        <li key={label}>
          <button
            type="button"
            class={filter.status === status ? 'count active' : 'count'}
            aria-pressed={filter.status === status}
            onClick={() => setFilter({ ...filter, status })}
          >
            <span class="n" data-count={label}>
              {n}
            </span>
            <span class="label">{label}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

export function Overview({
  rows,
  filter,
  setFilter,
}: {
  rows: Row[];
  filter: RowFilter;
  setFilter: (f: RowFilter) => void;
}) {
  const matching = useMemo(() => rows.filter((r) => matchesFilter(r, filter)), [rows, filter]);
  // Pages of rows keep the first render and every update cheap with thousands of objects.
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  useEffect(() => setPage(0), [filter]);
  const current = Math.min(page, pages - 1);
  const shown = matching.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  return (
    <section aria-labelledby="overview-title">
      <h2 id="overview-title">Overview</h2>
      <Counts rows={rows} filter={filter} setFilter={setFilter} />
      <Filters rows={rows} filter={filter} setFilter={setFilter} />
      <table class="objects">
        <caption>
          {matching.length} of {rows.length} sources and Kustomizations
          {pages > 1 ? `, rows ${current * PAGE_SIZE + 1}–${current * PAGE_SIZE + shown.length}` : ''}
        </caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Kind</th>
            <th scope="col">Namespace</th>
            <th scope="col">Name</th>
            <th scope="col">Revision</th>
            <th scope="col">Last applied</th>
            <th scope="col">Age</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => (
            <tr key={`${r.kind}/${r.namespace}/${r.name}`} data-key={`${r.kind}/${r.namespace}/${r.name}`}>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>{r.kind}</td>
              <td>{r.namespace}</td>
              <th scope="row">
                <a href={hrefOf(r)} aria-label={`${r.kind} ${r.namespace}/${r.name}: ${r.status}`}>
                  {r.name}
                </a>
              </th>
              <td>
                <RevisionText row={r} />
              </td>
              <td>
                <Time time={r.lastApplied} />
              </td>
              <td>
                <Time time={r.created} />
              </td>
              <td class="message">{r.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages of rows">
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>
            ← Previous
          </button>
          <span>
            Page {current + 1} of {pages}
          </span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next →
          </button>
        </nav>
      )}
    </section>
  );
}
