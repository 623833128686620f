// Push webhooks on the real controller: a signed push event (GitHub, GitLab or generic
// X-Signature) makes the cluster follow at once; bad signatures, objects that did not opt in,
// unknown objects, other branches and oversized payloads trigger nothing and cost no API call; a
// burst is rate limited into one more sync; a rotated token is picked up.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { signGitHub } from '../../src/webhook/signature.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import {
  commitFiles,
  freePort,
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
  controller = await startController({
    kubeconfig: state.kubeconfig,
    namespace: ns,
    metricsPort: await freePort(),
  });
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
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: plain
spec:
  interval: 1h
  url: ${git.url('app.git')}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: limited
  annotations:
    mooring.dev/webhook-secret: hook-token
spec:
  interval: 1h
  url: ${git.url('app.git')}
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

async function requestedAt(name = 'app'): Promise<string> {
  return kubectl([
    'get',
    'gitrepository',
    name,
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

/** API GETs the controller made so far (rest_client_requests_total{verb="get"}). */
async function apiGets(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('rest_client_requests_total{') && line.includes('verb="get"'))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

test('unauthenticated requests cost no API call, whether the object is unknown, not opted in or opted in', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const before = await apiGets();
  for (let i = 0; i < 10; i++) {
    for (const name of ['app', 'plain', 'nope']) {
      const res = await post({ 'X-Hub-Signature-256': signGitHub(body, `guess-${i}`) }, body, name);
      assert.equal(res.status, 401);
      assert.equal(await res.text(), 'unauthorized\n', 'the same answer for all three');
    }
  }
  // 30 requests, 10 of them for an opted-in object: at most one re-read of its token.
  const gets = (await apiGets()) - before;
  assert.ok(gets <= 2, `${gets} API GETs for 30 unauthenticated requests`);
});

test('bad or missing signatures, unknown objects and other branches trigger nothing', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  assert.equal((await post({}, body)).status, 401);
  assert.equal((await post({ 'X-Hub-Signature-256': signGitHub(body, 'wrong-token') }, body)).status, 401);
  assert.equal((await post({ 'X-Gitlab-Token': 'wrong-token' }, body)).status, 401);
  assert.equal((await post({ 'X-Hub-Signature-256': signGitHub(body, token) }, body, 'nope')).status, 401);
  // `plain` did not opt in: the right token of another object, any scheme, is refused the same way.
  for (const headers of [
    { 'X-Hub-Signature-256': signGitHub(body, token) } as Record<string, string>,
    { 'X-Gitlab-Token': token },
    { 'X-Signature': signGitHub(body, token) },
  ]) {
    const res = await post(headers, body, 'plain');
    assert.equal(res.status, 401);
    assert.equal(await res.text(), 'unauthorized\n');
  }
  assert.equal(await requestedAt('plain'), '', 'no sync of the object that did not opt in');
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

  // The generic scheme: X-Signature: sha256=<HMAC-SHA256 of the body>.
  await commitFiles(repo, { 'deploy/cm.yaml': configMap('4') }, 'v4');
  const generic = await post({ 'X-Signature': signGitHub(body, token) }, body);
  assert.equal(generic.status, 202);
  await eventually(
    'ConfigMap updated from a generic X-Signature event',
    async () => (await configValue()) === '4',
    30_000,
  );
});

test('a burst of signed events is rate limited per object into one more sync at the end of the window', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const signed = { 'X-Hub-Signature-256': signGitHub(body, token), 'X-GitHub-Event': 'push' };
  /** requestedAt of each sync the receiver made for `limited`, from its log. */
  const syncs = () =>
    controller
      .logs()
      .split('\n')
      .filter((l) => l.includes('"msg":"webhook requested a sync"') && l.includes('"name":"limited"'))
      .map((l) => (JSON.parse(l) as { requestedAt: string }).requestedAt);
  assert.deepEqual(syncs(), []);
  // Five pushes at once: one sync now, the other four coalesced.
  const answers = await Promise.all(
    Array.from({ length: 5 }, async () => {
      const res = await post(signed, body, 'limited');
      return `${res.status} ${(await res.text()).trim()}`;
    }),
  );
  assert.deepEqual(answers.sort(), [
    '202 sync requested',
    ...Array(4).fill('202 sync scheduled (rate limited)'),
  ]);
  // ... into one trailing sync, a window (1 s) after the first.
  const [firstAt, trailingAt] = await eventually(
    'the trailing sync',
    async () => {
      const at = syncs();
      return at.length >= 2 ? at : undefined;
    },
    10_000,
  );
  assert.ok(Date.parse(trailingAt!) - Date.parse(firstAt!) >= 990, `${firstAt} → ${trailingAt}`);
  assert.equal(await requestedAt('limited'), trailingAt);
  assert.equal(syncs().length, 2, 'one sync now, one for the whole burst');
  // Other objects have their own window.
  assert.equal((await post(signed, body)).status, 202);
});

test('a rotated token is picked up: the new one is accepted, the old one refused', async () => {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const rotated = 'hook-token-rotated-51c2';
  await kubectl([
    'create',
    'secret',
    'generic',
    'hook-token',
    `--from-literal=token=${rotated}`,
    '--dry-run=client',
    '-o',
    'yaml',
  ]).then((yaml) => kubectl(['apply', '-f', '-'], yaml));
  // The first delivery the cached token fails schedules a re-read (at most every 10 s).
  await eventually(
    'the rotated token accepted',
    async () => (await post({ 'X-Gitlab-Token': rotated }, body, 'limited')).status === 202,
    30_000,
  );
  assert.equal((await post({ 'X-Gitlab-Token': token }, body, 'limited')).status, 401);
});
