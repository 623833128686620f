// Benchmarks `mooring build` against `kubectl kustomize` on a generated overlay of ~2,000
// objects (see generate.ts). Prints a table: median wall time of each (several runs, same
// machine, same input), the in-process build time, peak RSS, and whether the outputs match.
//
//   npx tsc -p tsconfig.json && npx tsc -p tsconfig.build.json
//   node .build/bench/kustomize/bench.js [--runs 5] [--n 500] [--kubectl kubectl]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

function main(): void {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      n: { type: 'string', default: '500' },
      kubectl: { type: 'string', default: 'kubectl' },
    },
  });
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), 'kz-bench-'));
  try {
    generateTree(dir, Number(values.n));
    const target = join(dir, 'overlays/prod');
    const cli = resolve('dist/cli/main.js');
    const mooring: Run[] = [];
    const kubectl: Run[] = [];
    // Interleave the runs so both see the same machine state.
    for (let i = 0; i < runs; i++) {
      mooring.push(timed([process.execPath, cli, 'build', target, '--root', dir]));
      kubectl.push(timed([values.kubectl!, 'kustomize', target]));
    }
    const inProcess: number[] = [];
    let objects = 0;
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      const res = buildDirectory(target, dir);
      toYaml(res);
      inProcess.push(Number(process.hrtime.bigint() - start) / 1e6);
      objects = res.length;
    }
    const identical = mooring[0]!.stdout === kubectl[0]!.stdout;
    const mWall = median(mooring.map((r) => r.wallMs));
    const kWall = median(kubectl.map((r) => r.wallMs));
    const rows = [
      ['', 'mooring build', 'kubectl kustomize'],
      ['median wall time (ms)', mWall.toFixed(0), kWall.toFixed(0)],
      [
        'runs (ms)',
        mooring.map((r) => r.wallMs.toFixed(0)).join(' '),
        kubectl.map((r) => r.wallMs.toFixed(0)).join(' '),
      ],
      [
        'peak RSS (MiB)',
        (median(mooring.map((r) => r.rssKiB)) / 1024).toFixed(0),
        (median(kubectl.map((r) => r.rssKiB)) / 1024).toFixed(0),
      ],
      ['in-process build + YAML (ms, median)', median(inProcess).toFixed(0), '-'],
    ];
    const w = [38, 22, 22];
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(w[i]!)).join(' '));
    console.log(
      `objects: ${objects}; speed-up (wall): ${(kWall / mWall).toFixed(1)}x; outputs identical: ${identical}`,
    );
    if (!identical) {
      const a = mooring[0]!.stdout.split('\n');
      const b = kubectl[0]!.stdout.split('\n');
      const i = a.findIndex((l, j) => l !== b[j]);
      console.log(`first difference at line ${i + 1}:\n  mooring: ${a[i]}\n  kubectl: ${b[i]}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
