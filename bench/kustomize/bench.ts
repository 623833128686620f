// Benchmarks `mooring build` against `kubectl kustomize` on a generated overlay of ~2,000
// objects (see generate.ts) and on the largest real trees of the real-world corpus
// (../shared/kustomize-realworld: kube-prometheus, kueue's config/default, argo-workflows'
// cluster install). For each tree it prints the median wall time of both tools (runs interleaved,
// same machine, same input), the ratio, the peak RSS of both, the in-process build time, and
// whether the outputs are byte-identical.
//
//   npx tsc -p tsconfig.json && npx tsc -p tsconfig.build.json
//   node .build/bench/kustomize/bench.js [--runs 5] [--n 500] [--kubectl kubectl]
//        [--realworld ../shared/kustomize-realworld] [--only SUBSTRING]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDirectory, toYaml } from '../../src/kustomize/build.js';
import { generateTree } from './generate.js';

interface Run {
  wallMs: number;
  rssKiB: number;
  stdout: string;
}

interface Case {
  name: string;
  dir: string;
  root: string;
}

/** The real trees measured, relative to the corpus's repos/ (root: the repository). */
const realTrees: { name: string; repo: string; path: string }[] = [
  { name: 'kube-prometheus', repo: 'prometheus-operator+kube-prometheus', path: '' },
  { name: 'kueue config/default', repo: 'kubernetes-sigs+kueue', path: 'config/default' },
  {
    name: 'argo-workflows cluster-install',
    repo: 'argoproj+argo-workflows',
    path: 'manifests/cluster-install',
  },
];

function timed(cmd: string[]): Run {
  // /usr/bin/time reports the peak RSS of the child; wall time is measured here.
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  return { wallMs, rssKiB: Number(lines[lines.length - 1]), stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Row {
  name: string;
  objects: number;
  outputMiB: number;
  mooringMs: number;
  kubectlMs: number;
  mooringRssMiB: number;
  kubectlRssMiB: number;
  inProcessMs: number;
  identical: boolean;
  firstDifference?: string;
}

function measure(c: Case, runs: number, kubectl: string): Row {
  const cli = resolve('dist/cli/main.js');
  const mooring: Run[] = [];
  const reference: Run[] = [];
  // Interleave the runs so both see the same machine state.
  for (let i = 0; i < runs; i++) {
    mooring.push(timed([process.execPath, cli, 'build', c.dir, '--root', c.root]));
    reference.push(timed([kubectl, 'kustomize', c.dir]));
  }
  const inProcess: number[] = [];
  let objects = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const res = buildDirectory(c.dir, c.root);
    toYaml(res);
    inProcess.push(Number(process.hrtime.bigint() - start) / 1e6);
    objects = res.length;
  }
  const a = mooring[0]!.stdout;
  const b = reference[0]!.stdout;
  const row: Row = {
    name: c.name,
    objects,
    outputMiB: Buffer.byteLength(b) / 2 ** 20,
    mooringMs: median(mooring.map((r) => r.wallMs)),
    kubectlMs: median(reference.map((r) => r.wallMs)),
    mooringRssMiB: median(mooring.map((r) => r.rssKiB)) / 1024,
    kubectlRssMiB: median(reference.map((r) => r.rssKiB)) / 1024,
    inProcessMs: median(inProcess),
    identical: a === b,
  };
  if (!row.identical) {
    const al = a.split('\n');
    const bl = b.split('\n');
    const i = al.findIndex((l, j) => l !== bl[j]);
    row.firstDifference = `line ${i + 1}: mooring ${JSON.stringify(al[i])}, kubectl ${JSON.stringify(bl[i])}`;
  }
  return row;
}

function printTable(rows: Row[], runs: number): void {
  const header = [
    'tree',
    'objects',
    'output MiB',
    'mooring ms',
    'kubectl ms',
    'speed-up',
    'mooring RSS MiB',
    'kubectl RSS MiB',
    'in-process ms',
    'identical',
  ];
  const body = rows.map((r) => [
    r.name,
    String(r.objects),
    r.outputMiB.toFixed(1),
    r.mooringMs.toFixed(0),
    r.kubectlMs.toFixed(0),
    `${(r.kubectlMs / r.mooringMs).toFixed(1)}x`,
    r.mooringRssMiB.toFixed(0),
    r.kubectlRssMiB.toFixed(0),
    r.inProcessMs.toFixed(0),
    r.identical ? 'yes' : 'NO',
  ]);
  console.log(`medians of ${runs} interleaved runs; speed-up = kubectl wall / mooring wall`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const b of body) console.log(`| ${b.join(' | ')} |`);
  for (const r of rows)
    if (r.firstDifference) console.log(`${r.name}: first difference at ${r.firstDifference}`);
}

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      n: { type: 'string', default: '500' },
      kubectl: { type: 'string', default: 'kubectl' },
      realworld: { type: 'string', default: '../shared/kustomize-realworld' },
      only: { type: 'string', default: '' },
    },
  });
  const runs = Number(values.runs);
  const only = values.only!;
  const dir = mkdtempSync(join(tmpdir(), 'kz-bench-'));
  try {
    const cases: Case[] = [];
    const n = Number(values.n);
    generateTree(dir, n);
    cases.push({ name: `synthetic overlay (n=${n})`, dir: join(dir, 'overlays/prod'), root: dir });
    const repos = join(resolve(values.realworld!), 'repos');
    if (existsSync(repos)) {
      for (const t of realTrees) {
        const root = join(repos, t.repo);
        cases.push({ name: t.name, dir: join(root, t.path), root });
      }
    } else {
      console.log(`(real-world corpus not found at ${repos}: only the synthetic overlay is measured)`);
    }
    const rows = cases.filter((c) => c.name.includes(only)).map((c) => measure(c, runs, values.kubectl!));
    printTable(rows, runs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
