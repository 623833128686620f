// View 5: sync now (with source), suspend and resume, with the user's own rights. The answer to
// the request is shown at once (the API's error verbatim when refused); progress follows from
// the live stream until the controller has handled the request.
import { useState } from 'preact/hooks';
import type { ActionProgress, ActionRequest, Row } from '../api.js';

export async function postAction(req: ActionRequest): Promise<ActionProgress> {
  const res = await fetch('/api/actions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(req),
  });
  const body = (await res.json()) as ActionProgress | { error: string };
  if (!res.ok || 'error' in body) throw new Error('error' in body ? body.error : `HTTP ${res.status}`);
  return body;
}

export function Actions({ row, progress }: { row: Row; progress: Map<string, ActionProgress> }) {
  const [current, setCurrent] = useState<{
    id?: string;
    label: string;
    error?: string;
    first?: ActionProgress;
  }>();
  const run = async (label: string, req: ActionRequest) => {
    setCurrent({ label });
    try {
      const first = await postAction(req);
      setCurrent({ id: first.id, label, first });
    } catch (err) {
      setCurrent({ label, error: (err as Error).message });
    }
  };
  const target = { kind: row.kind, namespace: row.namespace, name: row.name };
  const live = current?.id ? (progress.get(current.id) ?? current.first) : undefined;
  const busy = current !== undefined && !current.error && (!live || live.state === 'running');
  return (
    <div class="actions">
      <fieldset class="action-buttons">
        <legend class="visually-hidden">
          Actions on {row.kind} {row.namespace}/{row.name}
        </legend>
        <button
          type="button"
          disabled={busy || row.suspended}
          onClick={() => run('Sync', { action: 'sync', ...target })}
        >
          ↻ Sync now
        </button>
        {row.kind === 'Kustomization' && (
          <button
            type="button"
            disabled={busy || row.suspended}
            onClick={() => run('Sync with source', { action: 'sync', ...target, withSource: true })}
          >
            ⇊ Sync with source
          </button>
        )}
        {row.suspended ? (
          <button
            type="button"
            disabled={busy}
            onClick={() => run('Resume', { action: 'resume', ...target })}
          >
            ▶ Resume
          </button>
        ) : (
          <button
            type="button"
            disabled={busy}
            onClick={() => run('Suspend', { action: 'suspend', ...target })}
          >
            ‖ Suspend
          </button>
        )}
      </fieldset>
      <div class="progress" aria-live="polite" data-testid="action-progress">
        {current?.error && (
          <p role="alert" class="action-error" data-state="refused">
            <span aria-hidden="true">✖ </span>
            {current.label} refused: {current.error}
          </p>
        )}
        {current && !current.error && !live && <p data-state="sending">{current.label}: sending…</p>}
        {live && (
          <p data-state={live.state} class={`action-${live.state}`}>
            <span aria-hidden="true">
              {live.state === 'running' ? '↻ ' : live.state === 'succeeded' ? '✔ ' : '✖ '}
            </span>
            {current?.label}:{' '}
            {live.state === 'running'
              ? 'in progress — '
              : live.state === 'succeeded'
                ? 'done — '
                : 'failed — '}
            {live.message}
          </p>
        )}
      </div>
    </div>
  );
}
