// Artifact extraction: src/kustomization/extract.ts (hand-written tar reader) against the same
// checks and writes on the `tar` package's parser (bench/fetch/tarpackage.ts) and GNU
// `tar -xzf` in the same run, on two generated artifacts: 3,000 small manifests in 300
// directories, and a kube-prometheus-sized one (90 files, 8 MiB, CRDs up to 1.5 MiB).
// Run: node .build/bench/fetch/extract.bench.js   (BENCH_RUNS, default 9)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, extractArchive } from '../../src/kustomization/extract.js';
import { extractWithTarPackage } from './tarpackage.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const limits = {
  maxBytes: DEFAULT_MAX_BYTES,
  maxEntries: DEFAULT_MAX_ENTRIES,
  maxFileBytes: DEFAULT_MAX_BYTES,
};
const work = mkdtempSync(join(tmpdir(), 'mooring-bench-extract-'));

function manifest(i: number, lines: number): string {
  const out = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', `  name: cm-${i}`, 'data:'];
  for (let l = 0; l < lines; l++)
    out.push(`  key-${l}: "value ${i}-${l} ${(i * 7919 + l * 104729).toString(36)}"`);
  return `${out.join('\n')}\n`;
}

/** Writes the files into a fresh tree and packs it with GNU tar + gzip; returns the archive path. */
function artifact(name: string, files: Array<[string, string]>): string {
  const tree = join(work, `${name}-src`);
  for (const [path, text] of files) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
  const file = join(work, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', tree, '.']);
  rmSync(tree, { recursive: true });
  return file;
}

const small = artifact(
  'small-files',
  Array.from({ length: 3000 }, (_, i) => [`apps/app-${i % 300}/cm-${i}.yaml`, manifest(i, 20)]),
);
const large = artifact(
  'kube-prometheus',
  Array.from({ length: 90 }, (_, i) => [
    `manifests/${i < 10 ? 'setup/' : ''}m-${i}.yaml`,
    manifest(i, i < 10 ? [30_000, 20_000, 5_000, 3_000, 1_000][i % 5]! : 400),
  ]),
);

let n = 0;
async function time(fn: (dest: string) => Promise<unknown> | unknown): Promise<number> {
  const dest = join(work, `out-${n++}`);
  const t0 = process.hrtime.bigint();
  await fn(dest);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  rmSync(dest, { recursive: true, force: true });
  return ms;
}

const tools: Array<[string, (file: string, dest: string) => Promise<unknown> | unknown]> = [
  ['tar package', (file, dest) => extractWithTarPackage(file, dest, limits)],
  ['hand-written', (file, dest) => extractArchive(file, dest, limits)],
  [
    'GNU tar -xzf',
    (file, dest) => {
      mkdirSync(dest);
      execFileSync('tar', ['-xzf', file, '-C', dest]);
    },
  ],
];

console.log(`| artifact | tool | median ms (${RUNS} runs) | vs hand-written |`);
console.log('|---|---|---|---|');
for (const [label, file] of [
  ['3,000 files, 300 dirs', small],
  ['kube-prometheus-sized, 90 files', large],
] as const) {
  const results = new Map<string, number[]>(tools.map(([t]) => [t, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const [tool, fn] of tools) results.get(tool)!.push(await time((dest) => fn(file, dest)));
  }
  const reference = median(results.get('hand-written')!);
  const size = `${(statSync(file).size / 1024).toFixed(0)} KiB gz`;
  for (const [tool] of tools) {
    const m = median(results.get(tool)!);
    console.log(`| ${label} (${size}) | ${tool} | ${m.toFixed(1)} | ${(m / reference).toFixed(2)}× |`);
  }
}
rmSync(work, { recursive: true, force: true });
