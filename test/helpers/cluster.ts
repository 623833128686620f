// Test access to the real control plane: one per test run (started by test/run.ts), or one per
// file when a file is run on its own. Namespaces give each test its own space.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { type ClusterState, loadState, startCluster, stopCluster } from '../cluster/cluster.js';

let shared: Promise<ClusterState> | undefined;
let ownCluster: Promise<ClusterState> | undefined;
const namespaces: Array<{ core: CoreV1Api; name: string }> = [];

// Registered when this module is imported (at the top of a test file), so it runs once after the
// whole file rather than after whichever test or hook happened to ask for the cluster.
after(async () => {
  await Promise.all(
    namespaces.map(({ core, name }) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
  if (ownCluster) await stopCluster(await ownCluster);
});

export function useCluster(): Promise<ClusterState> {
  if (!shared) {
    const dir = process.env.MOORING_TEST_CLUSTER;
    if (dir) {
      shared = Promise.resolve(loadState(dir));
    } else {
      shared = startCluster();
      ownCluster = shared;
    }
  }
  return shared;
}

export { kubeConfigFor } from './kubeconfig.js';

/** Creates a fresh namespace, deleted when the test file ends. */
export async function testNamespace(kc: KubeConfig, prefix = 't'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  namespaces.push({ core, name });
  return name;
}

export { eventually } from './wait.js';
