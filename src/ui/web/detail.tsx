// View 3: one Kustomization or GitRepository, live: conditions, inventory as a tree with kstatus
// health per object, recent Events, status.history, the source and its revision.
import { useEffect, useState } from 'preact/hooks';
import type { ActionProgress, Detail, FluxKind, InventoryObject } from '../api.js';
import { Actions } from './actions.js';
import { HealthBadge, hrefOf, RevisionText, StatusBadge, Time } from './common.js';

function useDetail(kind: FluxKind, namespace: string, name: string) {
  const [detail, setDetail] = useState<Detail>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    setDetail(undefined);
    setError(undefined);
    const plural = kind === 'Kustomization' ? 'kustomizations' : 'gitrepositories';
    const es = new EventSource(
      `/api/${plural}/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/stream`,
    );
    es.addEventListener('detail', (e) => {
      setDetail(JSON.parse((e as MessageEvent<string>).data) as Detail);
      setError(undefined);
    });
    es.addEventListener('failure', (e) =>
      setError((JSON.parse((e as MessageEvent<string>).data) as { error: string }).error),
    );
    return () => es.close();
  }, [kind, namespace, name]);
  return { detail, error };
}

function InventoryTree({ objects }: { objects: InventoryObject[] }) {
  if (objects.length === 0) return <p class="muted">No objects applied yet.</p>;
  const byNs = new Map<string, Map<string, InventoryObject[]>>();
  for (const o of objects) {
    const ns = o.namespace || '(cluster-scoped)';
    const kinds = byNs.get(ns) ?? new Map<string, InventoryObject[]>();
    byNs.set(ns, kinds);
    kinds.set(o.kind, [...(kinds.get(o.kind) ?? []), o]);
  }
  return (
    <ul class="tree" aria-label="Inventory by namespace and kind">
      {[...byNs].map(([ns, kinds]) => (
        <li key={ns}>
          <span class="tree-ns">{ns}</span>
          <ul>
            {[...kinds].map(([kind, items]) => (
              <li key={kind}>
                <span class="tree-kind">
                  {kind} ({items.length})
                </span>
                <ul>
                  {items.map((o) => (
                    <li key={o.name} class="tree-object" data-object={`${o.kind}/${o.namespace}/${o.name}`}>
                      <HealthBadge health={o.health} /> <span class="obj-name">{o.name}</span>{' '}
                      <span class="muted">{o.message}</span>
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

export function DetailView({
  kind,
  namespace,
  name,
  progress,
}: {
  kind: FluxKind;
  namespace: string;
  name: string;
  progress: Map<string, ActionProgress>;
}) {
  const { detail, error } = useDetail(kind, namespace, name);
  if (error) return <p role="alert">{error}</p>;
  if (!detail)
    return (
      <p aria-busy="true">
        Loading {kind} {namespace}/{name}…
      </p>
    );
  const r = detail.row;
  return (
    <section aria-labelledby="detail-title" class="detail">
      <h2 id="detail-title">
        {kind} {namespace}/{name} <StatusBadge status={r.status} />
      </h2>
      <dl class="facts">
        <dt>Revision</dt>
        <dd data-testid="revision">
          <RevisionText row={r} />
        </dd>
        <dt>Last applied</dt>
        <dd>
          <Time time={r.lastApplied} />
        </dd>
        <dt>Message</dt>
        <dd>{r.message || '—'}</dd>
        {detail.sourceRow && (
          <>
            <dt>Source</dt>
            <dd>
              <a href={hrefOf(detail.sourceRow)}>
                GitRepository {detail.sourceRow.namespace}/{detail.sourceRow.name}
              </a>{' '}
              <StatusBadge status={detail.sourceRow.status} /> <RevisionText row={detail.sourceRow} />
            </dd>
          </>
        )}
        {Object.entries(detail.spec).map(([k, v]) => (
          <>
            <dt key={`k-${k}`}>{k}</dt>
            <dd key={`v-${k}`}>{v}</dd>
          </>
        ))}
      </dl>
      <Actions row={r} progress={progress} />
      {kind === 'Kustomization' && (
        <p>
          <a
            class="button-link"
            href={`#/ks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/diff`}
          >
            Show drift: what a sync would change now
          </a>
        </p>
      )}
      <h3>Conditions</h3>
      <table>
        <caption class="visually-hidden">Conditions</caption>
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Status</th>
            <th scope="col">Reason</th>
            <th scope="col">Message</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {detail.conditions.map((c) => (
            <tr key={c.type}>
              <th scope="row">{c.type}</th>
              <td>{c.status}</td>
              <td>{c.reason}</td>
              <td class="message">{c.message}</td>
              <td>
                <Time time={c.lastTransitionTime} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {kind === 'Kustomization' && (
        <>
          <h3>Inventory ({detail.inventory.length} objects)</h3>
          <InventoryTree objects={detail.inventory} />
        </>
      )}
      {detail.consumers && (
        <>
          <h3>Used by</h3>
          <ul>
            {detail.consumers.map((c) => (
              <li key={`${c.namespace}/${c.name}`}>
                <a href={hrefOf({ kind: 'Kustomization', ...c })}>
                  Kustomization {c.namespace}/{c.name}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Recent events</h3>
      {detail.events.length === 0 ? (
        <p class="muted">No events.</p>
      ) : (
        <table>
          <caption class="visually-hidden">Recent events</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Reason</th>
              <th scope="col">Object</th>
              <th scope="col">Message</th>
              <th scope="col">Count</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {detail.events.map((e, i) => (
              <tr key={i}>
                <td>
                  {e.type === 'Warning' ? (
                    <span class="badge status-failed">
                      <span aria-hidden="true">⚠ </span>Warning
                    </span>
                  ) : (
                    e.type
                  )}
                </td>
                <td>{e.reason}</td>
                <td>{e.object}</td>
                <td class="message">{e.message}</td>
                <td>{e.count}</td>
                <td>
                  <Time time={e.lastTimestamp} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {kind === 'Kustomization' && (
        <>
          <h3>History</h3>
          {detail.history.length === 0 ? (
            <p class="muted">No history yet.</p>
          ) : (
            <table>
              <caption class="visually-hidden">Reconciliation history</caption>
              <thead>
                <tr>
                  <th scope="col">Revision</th>
                  <th scope="col">Result</th>
                  <th scope="col">Reconciliations</th>
                  <th scope="col">First</th>
                  <th scope="col">Last</th>
                  <th scope="col">Duration</th>
                </tr>
              </thead>
              <tbody>
                {detail.history.map((h) => (
                  <tr key={h.digest}>
                    <td>
                      <code>{h.revision || h.digest.slice(0, 19)}</code>
                    </td>
                    <td>{h.status}</td>
                    <td>{h.total}</td>
                    <td>
                      <Time time={h.firstReconciled} />
                    </td>
                    <td>
                      <Time time={h.lastReconciled} />
                    </td>
                    <td>{h.duration}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
