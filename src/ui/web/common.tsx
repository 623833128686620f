// Small pieces every view uses: status and health badges (icon + word, never colour alone),
// relative times, and links to objects.
import type { HealthStatus, Row, Status } from '../api.js';

const STATUS_ICON: Record<Status, string> = {
  Ready: '✔',
  Failed: '✖',
  Stalled: '⛔',
  Reconciling: '↻',
  Suspended: '‖',
  Unknown: '?',
};

const HEALTH_ICON: Record<HealthStatus, string> = {
  Current: '✔',
  InProgress: '↻',
  Failed: '✖',
  Terminating: '⌛',
  NotFound: '∅',
  Unknown: '?',
};

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span class={`badge status-${status.toLowerCase()}`} data-status={status}>
      <span aria-hidden="true" class="icon">
        {STATUS_ICON[status]}
      </span>
      {status}
    </span>
  );
}

export function HealthBadge({ health }: { health: HealthStatus }) {
  return (
    <span class={`badge health-${health.toLowerCase()}`} data-health={health}>
      <span aria-hidden="true" class="icon">
        {HEALTH_ICON[health]}
      </span>
      {health}
    </span>
  );
}

/** kubectl-style age: 45s, 12m, 3h, 4d. */
export function ago(time: string | undefined, now = Date.now()): string {
  if (!time) return '—';
  const t = Date.parse(time);
  if (Number.isNaN(t)) return '—';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

export function Time({ time }: { time: string | undefined }) {
  if (!time) return <span>—</span>;
  return (
    <time dateTime={time} title={time}>
      {ago(time)} ago
    </time>
  );
}

export const hrefOf = (r: { kind: string; namespace: string; name: string }): string =>
  `#/${r.kind === 'GitRepository' ? 'source' : 'ks'}/${encodeURIComponent(r.namespace)}/${encodeURIComponent(r.name)}`;

export function RevisionText({ row }: { row: Row }) {
  const r = row.revision;
  if (!r) return <span class="muted">—</span>;
  return (
    <span class="revision" title={r.full}>
      {r.ref ? `${r.ref}@` : ''}
      <code>{r.shortSha}</code>
    </span>
  );
}
