// `make demo`: a local control plane (kept in .demo/cluster between runs), the CRDs, and the
// controller in the foreground. Ctrl-C stops the controller; `make cluster-down` is not needed:
// the demo's control plane is stopped on exit too.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ClusterState, loadState, startCluster, stopCluster } from './cluster/cluster.js';
import { installCrds } from './helpers/crds.js';

const root = resolve('.demo');

async function main(): Promise<void> {
  mkdirSync(root, { recursive: true });
  const clusterDir = join(root, 'cluster');
  let state: ClusterState;
  if (existsSync(join(clusterDir, 'state.json'))) await stopCluster(loadState(clusterDir));
  console.log('starting a local control plane (etcd + kube-apiserver + controller-manager)…');
  state = await startCluster({ dir: clusterDir });
  await installCrds(state);
  console.log(`CRDs installed. Use the cluster with: export KUBECONFIG=${state.kubeconfig}`);

  const controller = spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'controller',
      '--kubeconfig',
      state.kubeconfig,
      '--storage-path',
      join(root, 'data'),
      '--storage-addr',
      '127.0.0.1:9090',
      '--storage-adv-addr',
      '127.0.0.1:9090',
      '--metrics-addr',
      '127.0.0.1:8080',
      '--health-addr',
      '127.0.0.1:9440',
      '--log-encoding',
      'console',
    ],
    { stdio: 'inherit' },
  );
  console.log('controller running; press Ctrl-C to stop the demo');
  const stop = async () => {
    controller.kill('SIGTERM');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await new Promise<void>((r) => controller.on('exit', () => r()));
  await stopCluster(state);
  console.log('demo stopped');
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
