// Benchmarks `mooring build` against `kubectl kustomize` on a generated overlay of ~2,000
// objects (see generate.ts). Prints a table: median wall time of each (several runs, same
// machine, same input), the in-process build time, peak RSS, and whether the outputs match.
// Then the controller's path: K builds of the same overlay at once, on the controller's thread
// (`--build-workers 0`, as before build processes) and in build processes, with the wall time
// and the event-loop delay the controller's thread sees meanwhile.
//
//   npx tsc -p tsconfig.json && npx tsc -p tsconfig.build.json
//   node .build/bench/kustomize/buildprocs.bench.js [--runs 5] [--n 500] [--kubectl kubectl] [--parallel 4]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Kustomization } from '../../src/api/kustomization.js';
import { BuildPool } from '../../src/kustomization/buildpool.js';
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

/** K builds at once through `pool`: wall time, and the main thread's event-loop delay p99 / max. */
async function controllerBuilds(pool: BuildPool, root: string, k: number) {
  const ks = {
    metadata: { name: 'bench', namespace: 'default' },
    spec: { path: './overlays/prod' },
  } as unknown as Kustomization;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const start = process.hrtime.bigint();
  // Awaited one tick apart, as a controller's workers would start them.
  const builds = [];
  for (let i = 0; i < k; i++) {
    builds.push(pool.build({ root, ks }));
    await new Promise((r) => setImmediate(r));
  }
  const results = await Promise.all(builds);
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  delay.disable();
  return {
    wallMs,
    p99Ms: delay.percentile(99) / 1e6,
    maxMs: delay.max / 1e6,
    objects: results[0]!.manifests.length,
  };
}

async function controllerPath(root: string, runs: number, k: number): Promise<void> {
  const inThread = new BuildPool({ workers: 0 });
  const processes = new BuildPool({ workers: availableParallelism() });
  try {
    await controllerBuilds(processes, root, k); // start the processes (each loads node and the engine)
    const a: Awaited<ReturnType<typeof controllerBuilds>>[] = [];
    const b: typeof a = [];
    for (let i = 0; i < runs; i++) {
      a.push(await controllerBuilds(inThread, root, k));
      b.push(await controllerBuilds(processes, root, k));
    }
    const row = (name: string, xs: typeof a) =>
      `${name.padEnd(38)} ${median(xs.map((x) => x.wallMs))
        .toFixed(0)
        .padEnd(16)} ${median(xs.map((x) => x.p99Ms))
        .toFixed(0)
        .padEnd(16)} ${median(xs.map((x) => x.maxMs)).toFixed(0)}`;
    console.log(
      `\ncontroller path: ${k} builds of the overlay (${a[0]!.objects} objects each) at once, median of ${runs}`,
    );
    console.log(`${''.padEnd(38)} ${'wall (ms)'.padEnd(16)} ${'loop p99 (ms)'.padEnd(16)} loop max (ms)`);
    console.log(row("on the controller's thread", a));
    console.log(row(`${availableParallelism()} build processes`, b));
    console.log(
      `speed-up (wall): ${(median(a.map((x) => x.wallMs)) / median(b.map((x) => x.wallMs))).toFixed(2)}x; event-loop max: ${median(a.map((x) => x.maxMs)).toFixed(0)} → ${median(b.map((x) => x.maxMs)).toFixed(0)} ms`,
    );
  } finally {
    await processes.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '5' },
      n: { type: 'string', default: '500' },
      kubectl: { type: 'string', default: 'kubectl' },
      parallel: { type: 'string', default: '4' },
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
    await controllerPath(dir, runs, Number(values.parallel));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`kustomize bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
