// Push webhooks on the real controller: a signed push event makes the cluster follow at once;
// bad signatures, other branches and oversized payloads trigger nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { signGitHub } from '../../src/webhook/signature.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import {
  commitFiles,
  type GitHttpServer,
  makeRepo,
  type Repo,
  startGitHttpServer,
  tempDir,
} from '../helpers/gitserver.js';

const state = await useCluster();
await installCrds(state);
const ns = await testNamespace(kubeConfigFor(state), 'hook');
const token = 'hook-token-7f3a';
const configMap = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\ndata:\n  version: "${value}"\n`;
const kubectl = (args: string[], input?: string) => kubectlOk(state, ['-n', ns, ...args], input);

let git: GitHttpServer;
let repo: Repo;
let controller: RunningController;

before(async () => {
  const root = tempDir('mooring-hook-');
  repo = await makeRepo(join(root, 'app.git'), {
    commits: [{ files: { 'deploy/cm.yaml': configMap('1') }, message: 'v1' }],
  });
  git = await startGitHttpServer({ root });
  controller = await startController({ kubeconfig: state.kubeconfig, namespace: ns });
  await kubectl(['create', 'secret', 'generic', 'hook-token', `--from-literal=token=${token}`]);
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
  annotations:
    mooring.dev/webhook-secret: hook-token
spec:
  interval: 1h
  url: ${git.url('app.git')}
  ref:
    branch: main
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
  sourceRef:
    kind: GitRepository
    name: app
`,
  );
  await eventually('first sync', async () => (await configValue()) === '1', 60_000);
});

after(async () => {
  await controller?.stop();
  await git?.stop();
});

async function configValue(): Promise<string | undefined> {
  return kubectl(['get', 'configmap', 'app-config', '-o', 'jsonpath={.data.version}']).catch(() => undefined);
}

async function requestedAt(): Promise<string> {
  return kubectl([
    'get',
    'gitrepository',
    'app',
    '-o',
    'jsonpath={.metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt}',
  ]);
}

function post(headers: Record<string, string>, body: string | Buffer, name = 'app') {
  return fetch(`http://127.0.0.1:${controller.webhookPort}/hook/${ns}/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
}

test('bad or missing signatures, unknown objects and other branches trigger nothing', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  assert.equal((await post({}, body)).status, 401);
  assert.equal((await post({ 'X-Hub-Signature-256': signGitHub(body, 'wrong-token') }, body)).status, 401);
  assert.equal((await post({ 'X-Gitlab-Token': 'wrong-token' }, body)).status, 401);
  assert.equal((await post({ 'X-Hub-Signature-256': signGitHub(body, token) }, body, 'nope')).status, 401);
  const other = JSON.stringify({ ref: 'refs/heads/feature' });
  const ignored = await post(
    { 'X-Hub-Signature-256': signGitHub(other, token), 'X-GitHub-Event': 'push' },
    other,
  );
  assert.equal(ignored.status, 200);
  assert.match(await ignored.text(), /ignored/);
  const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
  assert.equal((await post({ 'X-Hub-Signature-256': signGitHub(huge, token) }, huge)).status, 413);
  assert.equal(await requestedAt(), '', 'no sync was requested');
});

test('a signed push event syncs the new commit into the cluster', async () => {
  await commitFiles(repo, { 'deploy/cm.yaml': configMap('2') }, 'v2');
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const started = Date.now();
  const res = await post({ 'X-Hub-Signature-256': signGitHub(body, token), 'X-GitHub-Event': 'push' }, body);
  assert.equal(res.status, 202);
  await eventually('ConfigMap updated from the push', async () => (await configValue()) === '2', 30_000);
  const took = Date.now() - started;
  assert.notEqual(await requestedAt(), '');
  // Informational: how long push → cluster took (bench/latency measures this properly).
  process.stderr.write(`webhook → ConfigMap updated in ${took} ms\n`);

  await commitFiles(repo, { 'deploy/cm.yaml': configMap('3') }, 'v3');
  const gitlab = await post({ 'X-Gitlab-Token': token, 'X-Gitlab-Event': 'Push Hook' }, body);
  assert.equal(gitlab.status, 202);
  await eventually(
    'ConfigMap updated from a GitLab event',
    async () => (await configValue()) === '3',
    30_000,
  );
});
