// Unified diffs of large objects: the `diff` npm package (Myers, what `mooring diff` uses) against
// GNU `diff -u` in the same run, on a 20,000-line YAML document with 1% of lines changed
// (scattered) and with 30% changed. Run: node .build/bench/diff/textdiff.bench.js
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unifiedDiff } from '../../src/cli/unidiff.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const LINES = Number(process.env.BENCH_LINES ?? 20_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function documents(changedEvery: number): [string, string] {
  const a: string[] = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: big', 'data:'];
  const b = [...a];
  for (let i = 0; i < LINES; i++) {
    a.push(`  key-${i}: "value ${i}"`);
    b.push(i % changedEvery === 1 ? `  key-${i}: "changed ${i}"` : `  key-${i}: "value ${i}"`);
  }
  return [`${a.join('\n')}\n`, `${b.join('\n')}\n`];
}

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'mooring-bench-diff-'));
try {
  console.log(
    `| case (${LINES} lines) | mooring diff (ms) | GNU diff -u (ms) | ratio | hunks mooring / GNU |`,
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const [label, every] of [
    ['1% changed', 100],
    ['30% changed', 3],
  ] as const) {
    const [before, after] = documents(every);
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    const ours: number[] = [];
    const gnu: number[] = [];
    let out = '';
    let ref = '';
    for (let r = 0; r < RUNS; r++) {
      ours.push(time(() => (out = unifiedDiff(before, after, { from: 'a', to: 'b' }))));
      gnu.push(
        time(() => {
          try {
            execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], { encoding: 'utf8' });
          } catch (err) {
            ref = (err as { stdout: string }).stdout;
          }
        }),
      );
    }
    const hunks = (s: string) => (s.match(/^@@/gm) ?? []).length;
    const m = median(ours);
    const g = median(gnu);
    console.log(
      `| ${label} | ${m.toFixed(1)} | ${g.toFixed(1)} | ${(m / g).toFixed(2)} | ${hunks(out)} / ${hunks(ref)} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
