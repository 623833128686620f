// View 4: drift — what a sync would change right now (the server-side dry-run diff `mooring diff`
// computes, Secret values masked), per object, unified or side by side.
import { useEffect, useState } from 'preact/hooks';
import type { Drift, DriftItem } from '../api.js';

type Line = { kind: ' ' | '-' | '+' | '@'; text: string };

function parseUnified(diff: string): Line[] {
  return diff
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('--- ') && !l.startsWith('+++ '))
    .map((l) =>
      l.startsWith('@@') ? { kind: '@', text: l } : { kind: l[0] as Line['kind'], text: l.slice(1) },
    );
}

function Unified({ lines }: { lines: Line[] }) {
  return (
    <pre class="diff unified">
      {lines.map((l, i) => (
        <span
          key={i}
          class={`line ${l.kind === '+' ? 'add' : l.kind === '-' ? 'del' : l.kind === '@' ? 'hunk' : 'ctx'}`}
        >
          {l.kind === '@' ? l.text : `${l.kind}${l.text}`}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

/** Pairs each run of removed lines with the run of added lines after it. */
function SideBySide({ lines }: { lines: Line[] }) {
  const rows: Array<[Line | undefined, Line | undefined]> = [];
  for (let i = 0; i < lines.length; ) {
    const l = lines[i]!;
    if (l.kind === ' ' || l.kind === '@') {
      rows.push([l, l]);
      i++;
      continue;
    }
    const del: Line[] = [];
    const add: Line[] = [];
    while (i < lines.length && lines[i]!.kind === '-') del.push(lines[i++]!);
    while (i < lines.length && lines[i]!.kind === '+') add.push(lines[i++]!);
    for (let k = 0; k < Math.max(del.length, add.length); k++) rows.push([del[k], add[k]]);
  }
  const cell = (l: Line | undefined) => (
    <td
      class={!l ? 'empty' : l.kind === '-' ? 'del' : l.kind === '+' ? 'add' : l.kind === '@' ? 'hunk' : 'ctx'}
    >
      <pre>{l ? (l.kind === '-' || l.kind === '+' ? `${l.kind} ${l.text}` : l.text) : ''}</pre>
    </td>
  );
  return (
    <table class="diff side-by-side">
      <thead>
        <tr>
          <th scope="col">Live (cluster)</th>
          <th scope="col">After sync</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([a, b], i) => (
          <tr key={i}>
            {cell(a)}
            {cell(b)}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const CHANGE_ICON: Record<DriftItem['change'], string> = {
  created: '＋',
  drifted: '≠',
  deleted: '－',
  failed: '✖',
};

export function DriftView({ namespace, name }: { namespace: string; name: string }) {
  const [drift, setDrift] = useState<Drift>();
  const [error, setError] = useState<string>();
  const [mode, setMode] = useState<'unified' | 'split'>('unified');
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    setDrift(undefined);
    setError(undefined);
    const abort = new AbortController();
    fetch(`/api/kustomizations/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/drift`, {
      signal: abort.signal,
    })
      .then(async (res) => {
        const body = (await res.json()) as Drift | { error: string };
        if ('error' in body) setError(body.error);
        else setDrift(body);
      })
      .catch((err: Error) => {
        if (!abort.signal.aborted) setError(err.message);
      });
    return () => abort.abort();
  }, [namespace, name, nonce]);
  return (
    <section aria-labelledby="drift-title">
      <h2 id="drift-title">
        Drift of Kustomization {namespace}/{name}
      </h2>
      <p>
        <a href={`#/ks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`}>
          ← Back to the Kustomization
        </a>{' '}
        <button type="button" onClick={() => setNonce(nonce + 1)}>
          ↻ Compute again
        </button>
      </p>
      <fieldset class="mode">
        <legend>Diff layout</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'unified'} onChange={() => setMode('unified')} />{' '}
          Unified
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'split'} onChange={() => setMode('split')} /> Side
          by side
        </label>
      </fieldset>
      {error && <p role="alert">{error}</p>}
      {!drift && !error && <p aria-busy="true">Computing a server-side dry-run of every object…</p>}
      {drift && (
        <>
          <p data-testid="drift-summary">
            {drift.items.length === 0
              ? `In sync: the ${drift.total} objects of ${drift.revision} match the cluster.`
              : `${drift.items.length} of ${drift.total} objects would change when ${drift.revision} is applied.`}
          </p>
          {drift.items.map((it) => (
            <article key={it.subject} class="drift-item" data-subject={it.subject}>
              <h3>
                <span aria-hidden="true">{CHANGE_ICON[it.change]} </span>
                {it.subject} <span class={`badge change-${it.change}`}>{it.change}</span>
              </h3>
              {it.error && <p class="action-error">{it.error}</p>}
              {it.change === 'deleted' && <p>Would be deleted by prune (no longer in the source).</p>}
              {it.diff === undefined && (it.change === 'created' || it.change === 'drifted') && (
                <p>An immutable field changed: the object would be deleted and created again.</p>
              )}
              {it.diff !== undefined &&
                (mode === 'unified' ? (
                  <Unified lines={parseUnified(it.diff)} />
                ) : (
                  <SideBySide lines={parseUnified(it.diff)} />
                ))}
            </article>
          ))}
        </>
      )}
    </section>
  );
}
