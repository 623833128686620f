// Hostile patterns from Git content against the engine's matchers: a patch target `name: (a+)+b`
// against a ConfigMap named `aaa…`, a known_hosts wildcard pattern with many stars, and an envsubst
// glob (`${V##*a*a…b}`). Each case runs in its own process (CPU time measured there) with a cap,
// so a build from before the fix (catastrophic backtracking) can be measured side by side:
//
//   npx tsc -p tsconfig.json
//   node .build/bench/redos/redos.bench.js [--n 25,35] [--cap 1200] [--before /path/to/old/.build/src]
//
// `--before` points at the compiled `src` of an older build (e.g. `git worktree add` of the old
// commit, `npx tsc -p tsconfig.json` there); the table then shows both and the ratio.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface Case {
  name: string;
  /** ES module source run in a child; `SRC` is the file URL of the compiled src directory. */
  script: (src: string, n: number) => string;
}

const cases: Case[] = [
  {
    name: 'patch target name: (a+)+b vs ConfigMap a×N',
    script: (src, n) => `
      const { Resource } = await import('${src}/kustomize/resource.js');
      const { matchesSelector } = await import('${src}/kustomize/selector.js');
      const r = new Resource({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a'.repeat(${n}) } });
      const t = process.cpuUsage();
      const hit = matchesSelector(r, { name: '(a+)+b' });
      const u = process.cpuUsage(t);
      console.log(JSON.stringify({ ms: (u.user + u.system) / 1000, result: hit }));`,
  },
  {
    name: 'known_hosts pattern (*a)×10 then b vs host a×N',
    script: (src, n) => `
      const { hostMatches } = await import('${src}/source/git/knownhosts.js');
      const t = process.cpuUsage();
      const hit = hostMatches('${'*a'.repeat(10)}b', 'a'.repeat(${n}));
      const u = process.cpuUsage(t);
      console.log(JSON.stringify({ ms: (u.user + u.system) / 1000, result: hit }));`,
  },
  {
    name: 'envsubst V##(*a)×8 b with V = a×N',
    script: (src, n) => `
      const { envsubst } = await import('${src}/kustomization/substitute.js');
      const t = process.cpuUsage();
      const out = envsubst('\${V##${'*a'.repeat(8)}b}', () => 'a'.repeat(${n}));
      const u = process.cpuUsage(t);
      console.log(JSON.stringify({ ms: (u.user + u.system) / 1000, result: out.length }));`,
  },
];

interface Measured {
  ms?: number;
  result?: unknown;
  error?: string;
}

function measure(c: Case, src: string, n: number, capS: number): Measured {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', c.script(src, n)], {
    encoding: 'utf8',
    timeout: capS * 1000,
    killSignal: 'SIGKILL',
  });
  if (r.error || r.signal) return { error: `> ${capS} s (stopped)` };
  if (r.status !== 0) return { error: r.stderr.trim().split('\n').pop() ?? `exit ${r.status}` };
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

function show(m: Measured): string {
  if (m.error) return m.error;
  return m.ms! >= 1000 ? `${(m.ms! / 1000).toFixed(1)} s` : `${m.ms!.toFixed(2)} ms`;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '25,35' },
      cap: { type: 'string', default: '1200' },
      before: { type: 'string' },
    },
  });
  const here = fileURLToPath(new URL('../../src', import.meta.url));
  const now = pathToFileURL(here).href;
  const before = values.before ? pathToFileURL(resolve(values.before)).href : undefined;
  const ns = values.n!.split(',').map(Number);
  const cap = Number(values.cap);
  const header = [
    'case',
    'N',
    ...(before ? ['before (CPU)'] : []),
    'now (CPU)',
    ...(before ? ['ratio'] : []),
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const c of cases) {
    for (const n of ns) {
      const cur = measure(c, now, n, cap);
      const cells = [c.name, String(n)];
      if (before) {
        const old = measure(c, before, n, cap);
        const ratio =
          old.ms !== undefined && cur.ms !== undefined
            ? `${(old.ms / Math.max(cur.ms, 0.001)).toFixed(0)}×`
            : '–';
        cells.push(show(old), show(cur), ratio);
        if (old.result !== undefined && cur.result !== undefined && old.result !== cur.result) {
          cells[cells.length - 1] += ` (results differ: ${String(old.result)} vs ${String(cur.result)})`;
        }
      } else cells.push(show(cur));
      console.log(`| ${cells.join(' | ')} |`);
    }
  }
}

main();
