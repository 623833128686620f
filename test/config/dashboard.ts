// Reads the Grafana dashboard of config/monitoring and lists the metric names its queries use.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from the source tree (test/config) or the compiled one (.build/test/config). */
export const repoRoot = (() => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes('/.build/') ? resolve(here, '../../..') : resolve(here, '../..');
})();

export const dashboardFile = join(repoRoot, 'config/monitoring/mooring-dashboard.json');

interface Panel {
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL expression of every panel (rows included). */
export function dashboardExprs(file = dashboardFile): string[] {
  const dash = JSON.parse(readFileSync(file, 'utf8')) as { panels: Panel[] };
  const out: string[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
      walk(p.panels ?? []);
    }
  };
  walk(dash.panels);
  return out;
}

/**
 * Metric names: an identifier directly followed by a label matcher `{` (the dashboard writes every
 * selector with one, at least `{namespace="$namespace"}`), so functions, `by (…)` labels and
 * label names are never taken for metrics.
 */
export function dashboardMetricNames(file = dashboardFile): string[] {
  const names = new Set<string>();
  for (const expr of dashboardExprs(file)) {
    for (const m of expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) names.add(m[1]!);
  }
  return [...names].sort();
}
