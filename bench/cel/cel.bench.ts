// CEL health checks over 1,000 custom resources: compile Flux's SealedSecret example
// (healthCheckExprs) once, then evaluate it against each object, as one health-check poll does.
// No reference tool in the same run: cel-go (Flux) is not installable here (no Go module proxy
// for it, no Debian package); the figure is absolute. Run: node .build/bench/cel/cel.bench.js
import type { Manifest } from '../../src/kube/dynamic.js';
import { healthExpressions } from '../../src/kustomization/healthexprs.js';

const N = Number(process.env.BENCH_N ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);

const objects: Manifest[] = Array.from({ length: N }, (_, i) => ({
  apiVersion: 'bitnami.com/v1alpha1',
  kind: 'SealedSecret',
  metadata: { name: `s${i}`, namespace: 'apps', generation: 3 },
  spec: { encryptedData: { password: 'AgB...' } },
  status: {
    observedGeneration: 3,
    conditions: [
      { type: 'Synced', status: i % 10 === 0 ? 'False' : 'True', reason: 'Synced', message: 'ok' },
      { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' },
    ],
  },
})) as unknown as Manifest[];

const checks = [
  {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    failed: "status.conditions.filter(e, e.type == 'Synced').all(e, e.status == 'False')",
    current: "status.conditions.filter(e, e.type == 'Synced').all(e, e.status == 'True')",
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const compile: number[] = [];
const evaluate: number[] = [];
let current = 0;
for (let r = 0; r < RUNS; r++) {
  const t0 = process.hrtime.bigint();
  const statusOf = healthExpressions(checks)!;
  const t1 = process.hrtime.bigint();
  current = 0;
  for (const o of objects) if (statusOf(o)?.status === 'Current') current++;
  const t2 = process.hrtime.bigint();
  compile.push(Number(t1 - t0) / 1e6);
  evaluate.push(Number(t2 - t1) / 1e6);
}
console.log(`CEL health check (@marcbachmann/cel-js), ${N} SealedSecrets, median of ${RUNS} runs`);
console.log('| step | median | per object |');
console.log('|---|---|---|');
console.log(`| compile (2 expressions) | ${median(compile).toFixed(2)} ms | — |`);
console.log(
  `| evaluate ${N} objects | ${median(evaluate).toFixed(2)} ms | ${((median(evaluate) / N) * 1000).toFixed(1)} µs |`,
);
console.log(`(${current} Current, ${N - current} Failed)`);
