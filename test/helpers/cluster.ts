// Test access to the real control plane: one per test run (started by test/run.ts), or one per
// file when a file is run on its own. Namespaces give each test its own space.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type ClusterState, loadState, startCluster, stopCluster } from '../cluster/cluster.js';

let shared: Promise<ClusterState> | undefined;
const namespaces: Array<{ core: CoreV1Api; name: string }> = [];

// Registered when this module is imported (at the top of a test file), so it runs once after the
// whole file rather than after whichever test happened to create the namespace.
after(async () => {
  await Promise.all(
    namespaces.map(({ core, name }) => core.deleteNamespace({ name }).catch(() => undefined)),
  );
});

export function useCluster(): Promise<ClusterState> {
  if (!shared) {
    const dir = process.env.MOORING_TEST_CLUSTER;
    if (dir) {
      shared = Promise.resolve(loadState(dir));
    } else {
      shared = startCluster();
      const started = shared;
      after(async () => stopCluster(await started));
    }
  }
  return shared;
}

export function kubeConfigFor(state: ClusterState): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  return kc;
}

/** Creates a fresh namespace, deleted when the test file ends. */
export async function testNamespace(kc: KubeConfig, prefix = 't'): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name } } });
  namespaces.push({ core, name });
  return name;
}

export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`,
  );
}
