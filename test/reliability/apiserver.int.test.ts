// Control-plane faults on a PRIVATE cluster (so the run's shared cluster is not disturbed):
// - kube-apiserver restarted in the middle of applying 200 objects: the same controller process
//   recovers and converges; inventory equals the cluster; later changes still flow.
// - watch expiry: while the controller's apiserver is down, an update is made through a second
//   apiserver on the same etcd and etcd is compacted, so the resourceVersion the controller last
//   saw is gone (a watch from it would get 410); when the first apiserver is back the controller
//   re-lists and the update is not missed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import type { Condition } from '../../src/api/meta.js';
import { KubeClient } from '../../src/kube/client.js';
import {
  type ClusterState,
  restartApiserver,
  startCluster,
  startComponent,
  stopCluster,
  stopComponent,
  waitApiserverReady,
} from '../cluster/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectl, kubectlOk } from '../helpers/crds.js';
import {
  commitFiles,
  freePort,
  makeRepo,
  type Repo,
  startGitHttpServer,
  tempDir,
} from '../helpers/gitserver.js';
import { kubeConfigFor } from '../helpers/kubeconfig.js';
import { eventually } from '../helpers/wait.js';
import { configMapYaml, OWNER_NAME_LABEL } from '../kustomization/harness.js';

const KS_API = '/apis/kustomize.toolkit.fluxcd.io/v1';
const state: ClusterState = await startCluster({ log: () => undefined });
const ns = 'rel-apiserver';
const gitRoot = tempDir('mooring-rel-api-');
const git = await startGitHttpServer({ root: gitRoot });
let controller: RunningController | undefined;
let client: KubeClient | undefined;
after(async () => {
  await controller?.stop();
  client?.close();
  await git.stop();
  await stopCluster(state);
});
await installCrds(state);
await kubectlOk(state, ['create', 'namespace', ns]);
client = new KubeClient(kubeConfigFor(state));
controller = await startController({ kubeconfig: state.kubeconfig, namespace: ns });
const pid = controller.process.pid;

function manyConfigMaps(n: number, version: string): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bulk-${i}\ndata:\n  version: "${version}"\n  payload: "${'x'.repeat(2000)}"\n`,
    );
  }
  return docs.join('---\n');
}

async function app(name: string, files: Record<string, string>): Promise<Repo> {
  const repo = await makeRepo(join(gitRoot, `${name}.git`), { commits: [{ files }] });
  await kubectlOk(
    state,
    ['-n', ns, 'apply', '-f', '-'],
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: ${name}
spec:
  interval: 1h
  url: ${git.url(`${name}.git`)}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
spec:
  interval: 1h
  prune: true
  path: ./app
  targetNamespace: ${ns}
  sourceRef:
    kind: GitRepository
    name: ${name}
`,
  );
  return repo;
}

const kustomization = (name: string) =>
  client!.getOptional<Kustomization>(`${KS_API}/namespaces/${ns}/kustomizations/${name}`);

async function waitApplied(name: string, sha: string, timeoutMs = 100_000): Promise<Kustomization> {
  const revision = `main@sha1:${sha}`;
  return eventually(
    `Kustomization ${name} applied ${revision}`,
    async () => {
      const k = await kustomization(name).catch(() => undefined);
      const ready = k?.status?.conditions?.find((c: Condition) => c.type === 'Ready');
      return ready?.status === 'True' && k?.status?.lastAppliedRevision === revision ? k : undefined;
    },
    timeoutMs,
  );
}

async function owned(name: string): Promise<Array<{ name: string; version?: string }>> {
  const list = await client!.get<{
    items: Array<{ metadata: { name: string }; data?: { version?: string } }>;
  }>(
    `/api/v1/namespaces/${ns}/configmaps?labelSelector=${encodeURIComponent(`${OWNER_NAME_LABEL}=${name}`)}`,
  );
  return list.items.map((i) => ({ name: i.metadata.name, version: i.data?.version }));
}

const requestSync = (name: string, server?: string) =>
  kubectlOk(state, [
    ...(server ? ['--server', server] : []),
    '-n',
    ns,
    'annotate',
    '--overwrite',
    'gitrepository',
    name,
    `reconcile.fluxcd.io/requestedAt=${Date.now()}`,
  ]);

test('kube-apiserver restarted mid-apply of 200 objects: the same process converges, nothing lost', {
  timeout: 120_000,
}, async (t) => {
  const repo = await app('bulk', { 'app/cms.yaml': manyConfigMaps(200, '1') });
  const sha = await repo.rev('main');
  let atRestart = 0;
  for (const deadline = Date.now() + 60_000; atRestart === 0 && Date.now() < deadline; ) {
    atRestart = (await owned('bulk')).length;
  }
  assert.ok(atRestart > 0, 'the apply started');
  const restartStarted = Date.now();
  await restartApiserver(state);
  t.diagnostic(
    `apiserver restarted in ${Date.now() - restartStarted} ms with ${atRestart} of 200 ConfigMaps applied`,
  );

  const convergeStarted = Date.now();
  const ks = await waitApplied('bulk', sha, 75_000).catch(async (err: Error) => {
    const k = await kustomization('bulk').catch(() => undefined);
    t.diagnostic(`status: ${JSON.stringify(k?.status?.conditions)}`);
    t.diagnostic(controller!.logs().slice(-5000));
    throw err;
  });
  t.diagnostic(`converged ${Date.now() - convergeStarted} ms after the apiserver was back`);
  const live = (await owned('bulk')).map((o) => o.name).sort();
  assert.equal(live.length, 200, 'no object lost');
  assert.deepEqual(
    (ks.status?.inventory?.entries ?? []).map((e) => e.id.split('_')[1]!).sort(),
    live,
    'inventory equals the cluster',
  );
  assert.equal(controller!.process.exitCode, null, 'the controller did not exit');
  assert.equal(controller!.process.pid, pid, 'same process');

  // Watches work again: a change in Git flows through.
  const next = await commitFiles(repo, { 'app/cms.yaml': manyConfigMaps(150, '2') }, 'v2');
  await requestSync('bulk');
  await waitApplied('bulk', next);
  const after150 = await owned('bulk');
  assert.equal(after150.length, 150, 'pruned to 150');
  assert.ok(
    after150.every((o) => o.version === '2'),
    'every object at the new version',
  );
});

test('watch expiry (etcd compacted past the last seen version while disconnected): the update is not missed', {
  timeout: 120_000,
}, async (t) => {
  const repo = await app('watched', { 'app/cm.yaml': configMapYaml('watched', { version: '1' }) });
  await waitApplied('watched', await repo.rev('main'));

  // A second apiserver on the same etcd, to write while the controller's one is down.
  const [cmd, ...args] = state.commands.apiserver;
  const port = await freePort();
  const i = args.indexOf('--secure-port');
  args[i + 1] = String(port);
  const second = spawn(cmd!, args, { detached: true, stdio: 'ignore' });
  second.unref();
  after(() => {
    if (second.pid) process.kill(second.pid, 'SIGKILL');
  });
  const other = `https://127.0.0.1:${port}`;
  await eventually(
    'second apiserver ready',
    async () => (await kubectl(state, ['--server', other, 'get', '--raw', '/readyz'])).code === 0,
    60_000,
  );

  const logBefore = controller!.logs().length;
  await stopComponent(state, 'apiserver');
  const next = await commitFiles(repo, { 'app/cm.yaml': configMapYaml('watched', { version: '2' }) }, 'v2');
  await requestSync('watched', other);
  // Compact etcd at its current revision: every older resourceVersion is gone.
  const etcd = `http://127.0.0.1:${state.ports.etcdClient}`;
  const range = (await (
    await fetch(`${etcd}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/').toString('base64'), limit: 1 }),
    })
  ).json()) as { header: { revision: string } };
  const compacted = await fetch(`${etcd}/v3/kv/compaction`, {
    method: 'POST',
    body: JSON.stringify({ revision: range.header.revision, physical: true }),
  });
  assert.equal(compacted.status, 200, 'etcd compacted');
  t.diagnostic(`etcd compacted at revision ${range.header.revision}`);
  startComponent(state, 'apiserver');
  await waitApiserverReady(state);

  await waitApplied('watched', next);
  assert.equal((await owned('watched'))[0]?.version, '2', 'the update made while disconnected was seen');
  const log = controller!.logs().slice(logBefore);
  // The informer drops its resourceVersion after any failed watch, so after an outage it re-lists
  // rather than resuming from the compacted version; a 410 on a resumed watch takes the same path.
  assert.match(log, /"msg":"listed"/, 'the informers re-listed after the outage');
  t.diagnostic(
    /watch expired, re-listing/.test(log)
      ? 'the informer got 410 Gone'
      : 're-listed after the failed watch (no 410 needed)',
  );
  assert.equal(controller!.process.pid, pid, 'same process');
});
