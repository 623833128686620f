// Test access to the real control plane: one per test run (started by test/run.ts), or one per
// file when a file is run on its own. Namespaces give each test its own space.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeConfig } from '../../src/kube/kubeconfig.js';
import { type ClusterState, loadState, startCluster, stopCluster } from '../cluster/cluster.js';

let shared: Promise<ClusterState> | undefined;
let ownCluster: Promise<ClusterState> | undefined;
const namespaces: Array<{ client: KubeClient; name: string }> = [];

// Registered when this module is imported (at the top of a test file), so it runs once after the
// whole file rather than after whichever test or hook happened to ask for the cluster.
after(async () => {
  await Promise.all(
    namespaces.map(({ client, name }) =>
      client
        .delete(`/api/v1/namespaces/${name}`)
        .catch(() => undefined)
        .finally(() => client.close()),
    ),
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
  const client = new KubeClient(kc);
  await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  namespaces.push({ client, name });
  return name;
}

export { eventually } from './wait.js';
