// Push-to-cluster latency: time from `git push` (a commit landing in the served repository) to the
// object changed in the cluster, with the push webhook and with interval polling only.
// Starts its own control plane, Git server and `mooring controller`; prints a table.
//   node .build/bench/latency/latency.bench.js   (BENCH_RUNS=10 BENCH_INTERVAL=10s)
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { CoreTypes, objectPath } from '../../src/kube/resource.js';
import { signGitHub } from '../../src/webhook/signature.js';
import { startCluster, stopCluster } from '../../test/cluster/cluster.js';
import { startController } from '../../test/helpers/controller.js';
import { installCrds, kubectlOk } from '../../test/helpers/crds.js';
import { commitFiles, makeRepo, startGitHttpServer, tempDir } from '../../test/helpers/gitserver.js';
import { kubeConfigFor } from '../../test/helpers/kubeconfig.js';

const runs = Number(process.env.BENCH_RUNS ?? 10);
const interval = process.env.BENCH_INTERVAL ?? '10s';
const token = 'bench-token';
const cm = (v: number) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  v: "${v}"\n`;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const state = await startCluster({ log: () => undefined });
  const kc = kubeConfigFor(state);
  const client = new KubeClient(kc);
  const root = tempDir('mooring-latency-');
  const git = await startGitHttpServer({ root });
  const results: Array<{ mode: string; times: number[] }> = [];
  try {
    await installCrds(state);
    for (const mode of ['webhook', 'interval'] as const) {
      const ns = `latency-${mode}`;
      await kubectlOk(state, ['create', 'namespace', ns]);
      const repo = await makeRepo(join(root, `${mode}.git`), {
        commits: [{ files: { 'deploy/cm.yaml': cm(0) }, message: 'v0' }],
      });
      const controller = await startController({ kubeconfig: state.kubeconfig, namespace: ns });
      await kubectlOk(state, [
        '-n',
        ns,
        'create',
        'secret',
        'generic',
        'hook',
        `--from-literal=token=${token}`,
      ]);
      await kubectlOk(
        state,
        ['-n', ns, 'apply', '-f', '-'],
        `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  annotations:
    mooring.dev/webhook-secret: hook
spec:
  interval: ${mode === 'webhook' ? '1h' : interval}
  url: ${git.url(`${mode}.git`)}
  ref: {branch: main}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 1h
  path: ./deploy
  prune: true
  targetNamespace: ${ns}
  sourceRef: {kind: GitRepository, name: app}
`,
      );
      const value = async () =>
        (await client.getOptional<{ data?: { v?: string } }>(objectPath(CoreTypes.configMap, ns, 'app')))
          ?.data?.v;
      const waitFor = async (v: string, timeoutMs: number) => {
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
          if ((await value()) === v) return;
          await new Promise((r) => setTimeout(r, 20));
        }
        throw new Error(`${mode}: value ${v} not applied within ${timeoutMs} ms`);
      };
      await waitFor('0', 60_000);
      const times: number[] = [];
      for (let i = 1; i <= (mode === 'webhook' ? runs : Math.max(3, Math.ceil(runs / 2))); i++) {
        await commitFiles(repo, { 'deploy/cm.yaml': cm(i) }, `v${i}`);
        const pushed = Date.now();
        if (mode === 'webhook') {
          const body = JSON.stringify({ ref: 'refs/heads/main' });
          const res = await fetch(`http://127.0.0.1:${controller.webhookPort}/hook/${ns}/app`, {
            method: 'POST',
            headers: { 'X-Hub-Signature-256': signGitHub(body, token), 'X-GitHub-Event': 'push' },
            body,
          });
          if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
        }
        await waitFor(String(i), 120_000);
        times.push(Date.now() - pushed);
        // Keep the webhook's per-object rate limit (1 s) out of the measurement.
        if (mode === 'webhook') await new Promise((r) => setTimeout(r, 1100));
      }
      results.push({ mode, times });
      await controller.stop();
    }
  } finally {
    await git.stop();
    client.close();
    await stopCluster(state);
  }
  console.log('\npush → object changed in the cluster (ms)');
  console.log('| mode | runs | median | p95 | min | max |');
  console.log('|---|---|---|---|---|---|');
  for (const r of results) {
    const label =
      r.mode === 'webhook'
        ? 'push webhook (GitHub signature)'
        : `interval polling (GitRepository interval ${interval})`;
    console.log(
      `| ${label} | ${r.times.length} | ${quantile(r.times, 0.5)} | ${quantile(r.times, 0.95)} | ${Math.min(...r.times)} | ${Math.max(...r.times)} |`,
    );
  }
}

main().catch((err: unknown) => {
  console.error(`latency bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
