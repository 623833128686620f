// Horizontal scale: two controller processes, each with leader election and its own shard
// (`--watch-label-selector sharding.fluxcd.io/key=shardN`), own disjoint halves of the objects and
// hold distinct Leases.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KubeClient } from '../../src/kube/client.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import { commitFiles, makeRepo, startGitHttpServer, tempDir } from '../helpers/gitserver.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'shard');
const runId = ns.slice(-8);
const root = tempDir('mooring-shard-');
const git = await startGitHttpServer({ root });
const controllers: RunningController[] = [];
after(async () => {
  await Promise.all(controllers.map((c) => c.stop()));
  await git.stop();
  client.close();
});

test('two shards reconcile disjoint halves, each under its own Lease', async () => {
  const repo = await makeRepo(join(root, 'apps.git'));
  const files: Record<string, string> = {};
  for (let i = 0; i < 6; i++) {
    files[`apps/app-${i}/cm.yaml`] =
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${i}\ndata:\n  i: "${i}"\n`;
  }
  await commitFiles(repo, files, 'six apps');
  for (const shard of ['shard1', 'shard2']) {
    controllers.push(
      await startController({
        kubeconfig: state.kubeconfig,
        labelSelector: `sharding.fluxcd.io/key=${shard}-${runId}`,
        args: ['--enable-leader-election', '--leader-election-namespace', ns],
      }),
    );
  }
  const docs: string[] = [];
  for (const shard of ['shard1', 'shard2']) {
    docs.push(`apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: apps-${shard}
  labels: {sharding.fluxcd.io/key: ${shard}-${runId}}
spec: {interval: 10m, url: ${git.url('apps.git')}, ref: {branch: main}}
`);
  }
  for (let i = 0; i < 6; i++) {
    const shard = i % 2 === 0 ? 'shard1' : 'shard2';
    docs.push(`apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app-${i}
  labels: {sharding.fluxcd.io/key: ${shard}-${runId}}
spec:
  interval: 10m
  path: ./apps/app-${i}
  prune: true
  targetNamespace: ${ns}
  sourceRef: {kind: GitRepository, name: apps-${shard}}
`);
  }
  await kubectlOk(state, ['-n', ns, 'apply', '-f', '-'], docs.join('---\n'));
  await eventually(
    'all six applied',
    async () => {
      const list = await client.get<{ items: unknown[] }>(
        `/api/v1/namespaces/${ns}/configmaps?labelSelector=kustomize.toolkit.fluxcd.io/namespace=${ns}`,
      );
      return list.items.length === 6;
    },
    60_000,
  );

  // Each process reconciled only its own half.
  const [one, two] = controllers as [RunningController, RunningController];
  const names = (c: RunningController) =>
    new Set([...c.logs().matchAll(/"controller":"kustomization".*?"name":"(app-\d)"/g)].map((m) => m[1]));
  assert.deepEqual([...names(one)].sort(), ['app-0', 'app-2', 'app-4']);
  assert.deepEqual([...names(two)].sort(), ['app-1', 'app-3', 'app-5']);

  // Two Leases, one per shard, each held by one of the processes.
  const leases = await client.get<{
    items: { metadata: { name: string }; spec: { holderIdentity?: string } }[];
  }>(`/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`);
  const held = leases.items.filter((l) => l.metadata.name.startsWith('mooring-leader-election-'));
  assert.equal(held.length, 2, held.map((l) => l.metadata.name).join(','));
  assert.notEqual(held[0]!.metadata.name, held[1]!.metadata.name);
  assert.ok(held.every((l) => l.spec.holderIdentity));
});
