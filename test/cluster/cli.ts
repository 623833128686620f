// `make cluster-up` / `make cluster-down`: a control plane for people, kept in .cluster/.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadState, startCluster, stopCluster } from './cluster.js';

const [verb, dirArg] = process.argv.slice(2);
const dir = resolve(dirArg ?? '.cluster');

async function main(): Promise<void> {
  if (verb === 'up') {
    if (existsSync(join(dir, 'state.json'))) {
      console.log(`a cluster is already recorded in ${dir}; run 'make cluster-down' first`);
      process.exitCode = 1;
      return;
    }
    const state = await startCluster({ dir });
    console.log(`export KUBECONFIG=${state.kubeconfig}`);
  } else if (verb === 'down') {
    if (!existsSync(join(dir, 'state.json'))) {
      console.log(`no cluster recorded in ${dir}`);
      return;
    }
    await stopCluster(loadState(dir));
    console.log('cluster stopped');
  } else {
    console.error('usage: cli.js up|down [DIR]');
    process.exitCode = 2;
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${(err as Error).message}`);
  process.exitCode = 1;
});
