// What `mooring diff` found, as data, and its three renderings: a unified diff for a terminal
// (coloured only on a TTY), Markdown sized for a pull-request comment, and JSON with stable
// field names (docs/cli.md). Pure.
import { driftedPaths } from '../apply/diff.js';
import type { Manifest } from '../kube/dynamic.js';
import { maskSecrets, renderForDiff } from './diffrender.js';
import { unifiedDiff } from './unidiff.js';

export type ObjectAction = 'created' | 'changed' | 'deleted' | 'orphaned';

export interface ObjectChange {
  /** `Kind/namespace/name` (`Kind/name` for cluster-scoped objects). */
  subject: string;
  action: ObjectAction;
  /** Field paths that differ (changed objects); names only. */
  fields: string[];
  /** Unified diff of the two renderings, Secret values masked ('' for deleted objects). */
  diff: string;
}

export type KustomizationStatus = 'changed' | 'unchanged' | 'skipped' | 'error';

export interface KustomizationDiff {
  namespace: string;
  name: string;
  /** Offline: the file in the repository that defines the Kustomization. */
  file?: string;
  /** spec.path (of the newer side). */
  path: string;
  status: KustomizationStatus;
  /** Why it was skipped, or the error. */
  reason?: string;
  /** Objects the build renders (newer side). */
  objectCount: number;
  /** postBuild variables that could not be resolved offline (left as `${VAR}`). */
  unresolvedVariables?: string[];
  objects: ObjectChange[];
}

export interface DiffReport {
  mode: 'cluster' | 'offline';
  from?: string;
  to?: string;
  kustomizations: KustomizationDiff[];
}

/** One object's change: the rendered diff, Secrets masked, and the changed field paths. */
export function objectChange(
  subject: string,
  action: ObjectAction,
  before: Manifest | undefined,
  after: Manifest | undefined,
  labels: { from: string; to: string },
): ObjectChange {
  const [b, a] = maskSecrets(before, after);
  const fields = action === 'changed' && b && a ? driftedPaths(b, a) : [];
  const diff =
    action === 'deleted' || action === 'orphaned'
      ? ''
      : unifiedDiff(renderForDiff(b), renderForDiff(a), {
          from: b ? labels.from : '/dev/null',
          to: labels.to,
        });
  return { subject, action, fields, diff };
}

export interface Totals {
  created: number;
  changed: number;
  deleted: number;
  orphaned: number;
  skipped: number;
  errors: number;
}

export function totals(report: DiffReport): Totals {
  const t: Totals = { created: 0, changed: 0, deleted: 0, orphaned: 0, skipped: 0, errors: 0 };
  for (const k of report.kustomizations) {
    if (k.status === 'skipped') t.skipped++;
    if (k.status === 'error') t.errors++;
    for (const o of k.objects) t[o.action]++;
  }
  return t;
}

/** 0 nothing changes, 1 something changes, 2 an error (also when other Kustomizations changed). */
export function exitCode(report: DiffReport): number {
  if (report.kustomizations.some((k) => k.status === 'error')) return 2;
  return report.kustomizations.some((k) => k.objects.length > 0) ? 1 : 0;
}

const id = (k: KustomizationDiff) => `${k.namespace}/${k.name}${k.file ? ` (${k.file})` : ''}`;

// ---- JSON -------------------------------------------------------------------------------------

export function toJson(report: DiffReport): string {
  const t = totals(report);
  return `${JSON.stringify(
    {
      mode: report.mode,
      ...(report.from !== undefined ? { from: report.from } : {}),
      ...(report.to !== undefined ? { to: report.to } : {}),
      changed: exitCode(report) === 1 || t.created + t.changed + t.deleted + t.orphaned > 0,
      summary: t,
      kustomizations: report.kustomizations.map((k) => ({
        namespace: k.namespace,
        name: k.name,
        ...(k.file !== undefined ? { file: k.file } : {}),
        path: k.path,
        status: k.status,
        ...(k.reason !== undefined ? { reason: k.reason } : {}),
        objectCount: k.objectCount,
        ...(k.unresolvedVariables?.length ? { unresolvedVariables: k.unresolvedVariables } : {}),
        objects: k.objects,
      })),
    },
    null,
    2,
  )}\n`;
}

// ---- Terminal ---------------------------------------------------------------------------------

const COLORS = { red: '\x1b[31m', green: '\x1b[32m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' };

function colorDiff(diff: string): string {
  return diff
    .split('\n')
    .map((l) => {
      if (l.startsWith('+++') || l.startsWith('---')) return `${COLORS.bold}${l}${COLORS.reset}`;
      if (l.startsWith('@@')) return `${COLORS.cyan}${l}${COLORS.reset}`;
      if (l.startsWith('+')) return `${COLORS.green}${l}${COLORS.reset}`;
      if (l.startsWith('-')) return `${COLORS.red}${l}${COLORS.reset}`;
      return l;
    })
    .join('\n');
}

export function toText(report: DiffReport, opts: { color: boolean }): string {
  const out: string[] = [];
  for (const k of report.kustomizations) {
    if (k.status === 'skipped') {
      out.push(`- Kustomization ${id(k)} skipped: ${k.reason}`);
      continue;
    }
    if (k.status === 'error') {
      out.push(`✗ Kustomization ${id(k)}: ${k.reason}`);
      continue;
    }
    if (report.kustomizations.length > 1 || report.mode === 'offline')
      out.push(
        `${opts.color ? COLORS.bold : ''}● Kustomization ${id(k)} (${k.path})${opts.color ? COLORS.reset : ''}`,
      );
    if (k.unresolvedVariables?.length)
      out.push(
        `  note: left unresolved offline (substituteFrom): ${k.unresolvedVariables.map((v) => `\${${v}}`).join(', ')}`,
      );
    for (const o of k.objects) {
      const what =
        o.action === 'changed'
          ? 'drifted'
          : o.action === 'orphaned'
            ? 'removed from Git, left in the cluster (spec.prune is false)'
            : o.action;
      out.push(`► ${o.subject} ${what}`);
      if (o.diff) out.push((opts.color ? colorDiff(o.diff) : o.diff).trimEnd());
    }
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** The one-line verdict for stderr. */
export function verdict(report: DiffReport): string {
  const t = totals(report);
  const changes = t.created + t.changed + t.deleted + t.orphaned;
  const kust = report.kustomizations.filter((k) => k.status !== 'skipped').length;
  if (t.errors) return `✗ ${t.errors} Kustomization${t.errors === 1 ? '' : 's'} could not be diffed`;
  if (changes)
    return `✗ ${changes} object${changes === 1 ? '' : 's'} would change (${t.created} created, ${t.changed} changed, ${t.deleted} deleted${t.orphaned ? `, ${t.orphaned} orphaned` : ''}) in ${kust} Kustomization${kust === 1 ? '' : 's'}`;
  const objects = report.kustomizations.reduce((n, k) => n + k.objectCount, 0);
  return `✔ no changes: the ${objects} objects of ${kust} Kustomization${kust === 1 ? '' : 's'} match`;
}

// ---- Markdown ---------------------------------------------------------------------------------

export const MARKDOWN_LIMIT = 60_000;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A fence longer than any run of backticks in the text, so Git content cannot close it. */
function fence(text: string): string {
  let longest = 0;
  let run = 0;
  for (const ch of text) {
    run = ch === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function toMarkdown(report: DiffReport, limit = MARKDOWN_LIMIT): string {
  const t = totals(report);
  const title =
    report.mode === 'offline'
      ? `Mooring diff \`${report.from}\` → \`${report.to}\``
      : 'Mooring diff against the cluster';
  const head: string[] = [`### ${title}`, ''];
  const changes = t.created + t.changed + t.deleted + t.orphaned;
  head.push(
    changes === 0
      ? 'No changes.'
      : `**${changes}** object${changes === 1 ? '' : 's'} change: ${t.created} created, ${t.changed} changed, ${t.deleted} deleted${t.orphaned ? `, ${t.orphaned} orphaned (prune off)` : ''}.`,
    '',
  );
  const rows = report.kustomizations.filter((k) => k.status !== 'unchanged');
  if (rows.length > 0) {
    head.push(
      '| Kustomization | Path | Created | Changed | Deleted | Status |',
      '|---|---|---:|---:|---:|---|',
    );
    for (const k of rows) {
      const n = (a: ObjectAction) => k.objects.filter((o) => o.action === a).length;
      const status = k.status === 'changed' ? 'changes' : `${k.status}${k.reason ? `: ${k.reason}` : ''}`;
      head.push(
        `| \`${id(k)}\` | \`${cell(k.path)}\` | ${n('created')} | ${n('changed')} | ${n('deleted') + n('orphaned')} | ${cell(status)} |`,
      );
    }
    head.push('');
  }
  const unresolved = report.kustomizations.filter((k) => k.unresolvedVariables?.length);
  if (unresolved.length)
    head.push(
      `> Variables from \`postBuild.substituteFrom\` cannot be read without a cluster and are shown unresolved: ${unresolved
        .map((k) => `\`${id(k)}\` (${k.unresolvedVariables!.map((v) => `\${${v}}`).join(', ')})`)
        .join('; ')}.`,
      '',
    );
  let text = head.join('\n');
  const blocks: string[] = [];
  for (const k of report.kustomizations)
    for (const o of k.objects) {
      const fields = o.fields.length
        ? ` — ${o.fields.slice(0, 5).join(', ')}${o.fields.length > 5 ? ', …' : ''}`
        : '';
      const summary = `<summary><code>${escapeHtml(o.subject)}</code> ${o.action}${escapeHtml(fields)} (${escapeHtml(id(k))})</summary>`;
      const body = o.diff ? `\n\n${fence(o.diff)}diff\n${o.diff.trimEnd()}\n${fence(o.diff)}\n` : '\n';
      blocks.push(`<details>${summary}${body}</details>\n`);
    }
  const note = (omitted: number) =>
    `\n> ${omitted} more object diff${omitted === 1 ? '' : 's'} omitted to stay under ${limit.toLocaleString('en-US')} characters; run \`mooring diff\` locally for all of them.\n`;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    // Keep room for the note.
    if (text.length + block.length + 200 > limit) {
      text += note(blocks.length - i);
      break;
    }
    text += block;
  }
  return text;
}
