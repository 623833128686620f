// The seed scenario, as a user lives it: nginx in Git over SSH, `kubectl apply` of a GitRepository
// and a Kustomization, the real `mooring controller` process, then bump, prune and a broken push.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { KubeClient } from '../../src/kube/client.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import {
  commitFiles,
  makeRepo,
  type Repo,
  type SshGitServer,
  startSshGitServer,
  tempDir,
} from '../helpers/gitserver.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'seed');
const gitRoot = tempDir('mooring-seed-');

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  replicas: 1
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: ${image}
          ports:
            - containerPort: 80
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  type: NodePort
  selector:
    app: nginx
  ports:
    - port: 80
      targetPort: 80
`;

let ssh: SshGitServer;
let repo: Repo;
let controller: RunningController;

before(async () => {
  repo = await makeRepo(join(gitRoot, 'app.git'), {
    commits: [
      {
        files: { 'deploy/deployment.yaml': deployment('nginx:1.13.12'), 'deploy/service.yaml': service },
        message: 'nginx 1.13.12',
      },
    ],
  });
  ssh = await startSshGitServer({ root: gitRoot });
  controller = await startController({ kubeconfig: state.kubeconfig, namespace: ns });
});

after(async () => {
  await controller?.stop();
  await ssh?.stop();
  client.close();
});

const kubectl = (args: string[], input?: string) => kubectlOk(state, ['-n', ns, ...args], input);

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

async function kustomization(): Promise<Kustomization> {
  return getJson<Kustomization>(['get', 'kustomization', 'app']);
}

async function sync(): Promise<void> {
  await kubectl([
    'annotate',
    '--overwrite',
    'gitrepository',
    'app',
    `reconcile.fluxcd.io/requestedAt=${Date.now()}`,
  ]);
}

async function appliedRevision(revision: string): Promise<Kustomization> {
  return eventually(
    `Kustomization applied ${revision}`,
    async () => {
      const k = await kustomization();
      const ready = k.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'True' && k.status?.lastAppliedRevision === revision ? k : undefined;
    },
    60_000,
  );
}

test('nginx from Git over SSH: apply, bump, prune, and a broken push that changes nothing', async () => {
  await kubectl([
    'create',
    'secret',
    'generic',
    'app-deploy-key',
    `--from-literal=identity=${ssh.clientKey}`,
    `--from-literal=known_hosts=${ssh.knownHosts}`,
  ]);
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
spec:
  interval: 1m
  url: ${ssh.url('app.git')}
  ref:
    branch: main
  secretRef:
    name: app-deploy-key
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 10m
  path: ./deploy
  prune: true
  targetNamespace: ${ns}
  sourceRef:
    kind: GitRepository
    name: app
`,
  );

  // 1. Both objects are applied with Mooring's (Flux's) owner labels; the Kustomization is Ready.
  const first = await repo.rev('main');
  const ks = await appliedRevision(`main@sha1:${first}`);
  assert.equal(
    ks.status?.conditions?.find((c) => c.type === 'Ready')?.message,
    `Applied revision: main@sha1:${first}`,
  );
  const dep = await getJson<{
    metadata: { labels: Record<string, string> };
    spec: { template: { spec: { containers: { image: string }[] } } };
  }>(['get', 'deployment', 'nginx']);
  assert.equal(dep.metadata.labels['kustomize.toolkit.fluxcd.io/name'], 'app');
  assert.equal(dep.metadata.labels['kustomize.toolkit.fluxcd.io/namespace'], ns);
  assert.equal(dep.spec.template.spec.containers[0]!.image, 'nginx:1.13.12');
  const svc = await getJson<{ spec: { type: string } }>(['get', 'service', 'nginx']);
  assert.equal(svc.spec.type, 'NodePort');
  assert.deepEqual(
    ks.status?.inventory?.entries.map((e) => e.id),
    [`${ns}_nginx__Service`, `${ns}_nginx_apps_Deployment`],
  );
  const header = await kubectl(['get', 'kustomizations']);
  assert.match(header, /NAME\s+AGE\s+READY\s+STATUS/);
  assert.match(header, /app\s+\S+\s+True\s+Applied revision: main@sha1:/);

  // 2. A developer bumps the image tag and pushes; a sync request makes the cluster follow.
  const bumped = await commitFiles(
    repo,
    { 'deploy/deployment.yaml': deployment('nginx:1.14.2') },
    'nginx 1.14.2',
  );
  await sync();
  await appliedRevision(`main@sha1:${bumped}`);
  const image = await kubectl([
    'get',
    'deployment',
    'nginx',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  assert.equal(image, 'nginx:1.14.2');

  // 3. The Service leaves Git: it is pruned.
  const removed = await commitFiles(repo, { 'deploy/service.yaml': null }, 'remove the service');
  await sync();
  const afterPrune = await appliedRevision(`main@sha1:${removed}`);
  await eventually(
    'service pruned',
    async () => (await kubectl(['get', 'services', '-o', 'name'])).trim() === '',
  );
  assert.deepEqual(
    afterPrune.status?.inventory?.entries.map((e) => e.id),
    [`${ns}_nginx_apps_Deployment`],
  );

  // 4. A broken manifest: Ready=False naming the file, nothing changed in the cluster.
  const broken = await commitFiles(
    repo,
    {
      'deploy/deployment.yaml': deployment('nginx:1.15.0'),
      'deploy/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n',
    },
    'a broken push',
  );
  await sync();
  const failed = await eventually(
    'Ready=False for the broken revision',
    async () => {
      const k = await kustomization();
      const ready = k.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'False' && k.status?.lastAttemptedRevision === `main@sha1:${broken}`
        ? k
        : undefined;
    },
    60_000,
  );
  const ready = failed.status!.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.reason, 'BuildFailed');
  assert.match(ready.message, /broken\.yaml/);
  assert.equal(failed.status?.lastAppliedRevision, `main@sha1:${removed}`, 'last applied revision kept');
  const still = await kubectl([
    'get',
    'deployment',
    'nginx',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
  assert.equal(still, 'nginx:1.14.2', 'running Deployment untouched by the broken revision');
});
