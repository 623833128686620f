// Runs the compiled test files with node:test against one real control plane for the whole run.
// Each test file gets the cluster through MOORING_TEST_CLUSTER and isolates itself in namespaces.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type ClusterState, loadState, startCluster, stopCluster } from './cluster/cluster.js';

/** No single test may run longer than this: a hung fixture fails its test instead of the run. */
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 600_000);

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const filters = args.filter((a) => !a.startsWith('--'));
  const root = join(process.cwd(), '.build', 'test');
  let files = findTests(root);
  if (filters.length) files = files.filter((f) => filters.some((flt) => relative(root, f).includes(flt)));
  // Files named *.int.test.ts need the real environment (control plane, Git servers, npm); the
  // rest are pure unit tests.
  if (unitOnly) files = files.filter((f) => !f.endsWith('.int.test.js'));
  const needsCluster = files.some((f) => f.endsWith('.int.test.js'));

  // MOORING_TEST_CLUSTER=DIR reuses a control plane that is already running (`make cluster-up`):
  // it is neither started nor stopped here.
  const reuse = process.env.MOORING_TEST_CLUSTER;
  let cluster: ClusterState | undefined;
  if (needsCluster) cluster = reuse ? loadState(reuse) : await startCluster();
  let code = 1;
  try {
    code = await new Promise<number>((resolveCode) => {
      const child = spawn(
        process.execPath,
        [
          '--test',
          '--test-reporter=spec',
          `--test-timeout=${TEST_TIMEOUT_MS}`,
          `--test-concurrency=${process.env.TEST_CONCURRENCY ?? '2'}`,
          ...files,
        ],
        {
          stdio: 'inherit',
          env: { ...process.env, ...(cluster ? { MOORING_TEST_CLUSTER: cluster.dir } : {}) },
        },
      );
      child.on('exit', (c, sig) => resolveCode(c ?? (sig ? 1 : 0)));
    });
  } finally {
    if (cluster && !reuse) await stopCluster(cluster);
  }
  process.exitCode = code;
}

main().catch((err: unknown) => {
  console.error(`test run failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
