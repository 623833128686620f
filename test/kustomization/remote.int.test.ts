// Remote clusters with a second, real kube-apiserver as the target: spec.serviceAccountName is
// impersonated there (Flux's safety net for platform teams), and a kubeconfig that skips TLS
// verification is refused unless the controller runs with --insecure-kubeconfig-tls.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type ClusterState, startCluster, stopCluster } from '../cluster/cluster.js';
import { testNamespace } from '../helpers/cluster.js';
import { startController } from '../helpers/controller.js';
import { kubectl, kubectlOk } from '../helpers/crds.js';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-remote' });
// A second controller that accepts insecure remote kubeconfigs.
const insecureNs = await testNamespace(env.kc, 'ks-remote-tls');
const insecureController = await startController({
  kubeconfig: env.state.kubeconfig,
  namespace: insecureNs,
  args: ['--insecure-kubeconfig-tls'],
});

let remote: ClusterState | undefined;
before(async () => {
  remote = await startCluster({ controllerManager: false });
});
after(async () => {
  await insecureController.stop();
  if (remote) await stopCluster(remote);
});

const onRemote = (args: string[], input?: string) => kubectlOk(remote!, args, input);

/** Admin credentials of the remote cluster, inline, as a kubeconfig in a Secret is written. */
function remoteKubeconfig(tls: 'verified' | 'insecure'): string {
  const cluster =
    tls === 'verified'
      ? `certificate-authority-data: ${readFileSync(remote!.caFile).toString('base64')}`
      : 'insecure-skip-tls-verify: true';
  return `apiVersion: v1
kind: Config
current-context: remote
clusters: [{name: remote, cluster: {server: "${remote!.server}", ${cluster}}}]
users: [{name: admin, user: {token: ${remote!.token}}}]
contexts: [{name: remote, context: {cluster: remote, user: admin}}]
`;
}

async function remoteConfigMap(namespace: string, name: string): Promise<Record<string, string> | undefined> {
  const r = await kubectl(remote!, ['-n', namespace, 'get', 'configmap', name, '-o', 'jsonpath={.data}']);
  return r.code === 0 ? (JSON.parse(r.stdout || '{}') as Record<string, string>) : undefined;
}

test('kubeConfig + serviceAccountName: the ServiceAccount is impersonated on the remote cluster', async () => {
  const src = await env.source('app', { 'app/cm.yaml': configMapYaml('remote-cm', { via: 'remote' }) });
  await onRemote(['create', 'namespace', 'apps']);
  await env.kubectl([
    'create',
    'secret',
    'generic',
    'remote-kubeconfig',
    `--from-literal=value=${remoteKubeconfig('verified')}`,
  ]);
  await env.applyKustomization('as-sa', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './app',
    targetNamespace: 'apps',
    serviceAccountName: 'deployer',
    kubeConfig: { secretRef: { name: 'remote-kubeconfig' } },
  });
  // The kubeconfig is the remote cluster's admin, but the ServiceAccount has no rights there yet.
  const failed = await env.waitFailed('as-sa', 'ReconciliationFailed');
  const message = readyOf(failed)!.message;
  assert.match(message, /forbidden/);
  assert.match(message, new RegExp(`system:serviceaccount:${env.ns}:deployer`), 'names the identity');
  assert.equal(await remoteConfigMap('apps', 'remote-cm'), undefined);

  // Rights on the remote cluster, bound to the ServiceAccount of the Kustomization's namespace.
  await onRemote([
    '-n',
    'apps',
    'create',
    'role',
    'deployer',
    '--verb=get,list,watch,create,update,patch,delete',
    '--resource=configmaps',
  ]);
  await onRemote([
    '-n',
    'apps',
    'create',
    'rolebinding',
    'deployer',
    '--role=deployer',
    `--serviceaccount=${env.ns}:deployer`,
  ]);
  await env.requestReconcile('kustomization', 'as-sa');
  await env.waitApplied('as-sa', src.revision);
  assert.deepEqual(await remoteConfigMap('apps', 'remote-cm'), { via: 'remote' });
  const managers = await onRemote([
    '-n',
    'apps',
    'get',
    'configmap',
    'remote-cm',
    '-o',
    'jsonpath={.metadata.labels.kustomize\\.toolkit\\.fluxcd\\.io/name}',
  ]);
  assert.equal(managers, 'as-sa');
  assert.equal(await env.configMap('remote-cm', 'apps'), undefined, 'nothing on the controller`s cluster');

  // Deleting the Kustomization garbage-collects on the remote cluster, as the ServiceAccount.
  await env.kubectl(['delete', 'kustomization', 'as-sa', '--wait=true', '--timeout=60s']);
  assert.equal(await remoteConfigMap('apps', 'remote-cm'), undefined);
});

test('insecure-skip-tls-verify: refused by default, honoured with --insecure-kubeconfig-tls', async () => {
  const files = { 'app/cm.yaml': configMapYaml('insecure-cm', { tls: 'skipped' }) };
  await onRemote(['create', 'namespace', 'apps-tls']);
  for (const namespace of [env.ns, insecureNs]) {
    await env.source('tls', files, { namespace });
    await env.kubectl([
      '-n',
      namespace,
      'create',
      'secret',
      'generic',
      'insecure-kubeconfig',
      `--from-literal=value=${remoteKubeconfig('insecure')}`,
    ]);
    await env.applyKustomization(
      'insecure',
      {
        sourceRef: { kind: 'GitRepository', name: 'tls' },
        path: './app',
        targetNamespace: 'apps-tls',
        kubeConfig: { secretRef: { name: 'insecure-kubeconfig' } },
      },
      { namespace },
    );
  }
  const refused = await env.waitFailed('insecure', 'ReconciliationFailed');
  assert.equal(
    readyOf(refused)!.message,
    `kubeconfig in Secret ${env.ns}/insecure-kubeconfig sets insecure-skip-tls-verify for cluster "remote", which is refused unless the controller runs with --insecure-kubeconfig-tls`,
  );

  // The controller with the flag skips verification (the kubeconfig carries no CA at all).
  const k = await env.waitKustomization('insecure', 'Ready=True', (o) => readyOf(o)?.status === 'True', {
    namespace: insecureNs,
  });
  assert.ok(k.status?.lastAppliedRevision);
  assert.deepEqual(await remoteConfigMap('apps-tls', 'insecure-cm'), { tls: 'skipped' });
});
