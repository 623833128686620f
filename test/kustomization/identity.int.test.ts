// Who applies: an impersonated ServiceAccount (spec.serviceAccountName, or the controller's
// --default-service-account when unset) with exactly the rights RBAC gives it, and a remote
// cluster from a kubeconfig in a Secret (here pointing back at the test cluster).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { testNamespace } from '../helpers/cluster.js';
import { startController } from '../helpers/controller.js';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-id' });
// A second namespace with its own controller, which impersonates `tenant` by default.
const tenantNs = await testNamespace(env.kc, 'ks-id-dsa');
const tenantController = await startController({
  kubeconfig: env.state.kubeconfig,
  namespace: tenantNs,
  args: ['--default-service-account', 'tenant'],
});
after(() => tenantController.stop());

const files = { 'app/cm.yaml': configMapYaml('tenant-cm', { owner: 'tenant' }) };

/** A Role to manage ConfigMaps in `ns`, bound to ServiceAccount `sa`. */
async function grantConfigMaps(ns: string, sa: string): Promise<void> {
  await env.kubectl([
    '-n',
    ns,
    'create',
    'role',
    `${sa}-configmaps`,
    '--verb=get,list,watch,create,update,patch,delete',
    '--resource=configmaps',
  ]);
  await env.kubectl([
    '-n',
    ns,
    'create',
    'rolebinding',
    `${sa}-configmaps`,
    `--role=${sa}-configmaps`,
    `--serviceaccount=${ns}:${sa}`,
  ]);
}

test('serviceAccountName without rights: a clear forbidden message; after a RoleBinding it applies', async () => {
  const src = await env.source('app', files);
  await env.kubectl(['create', 'serviceaccount', 'deployer']);
  await env.applyKustomization('tenant', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './app',
    targetNamespace: env.ns,
    serviceAccountName: 'deployer',
  });
  const failed = await env.waitFailed('tenant', 'ReconciliationFailed');
  const message = readyOf(failed)!.message;
  assert.match(message, /forbidden/);
  assert.match(message, new RegExp(`system:serviceaccount:${env.ns}:deployer`), 'names the identity');
  assert.match(message, /tenant-cm/, 'names the object');
  assert.equal(await env.configMap('tenant-cm'), undefined);

  await grantConfigMaps(env.ns, 'deployer');
  await env.requestReconcile('kustomization', 'tenant');
  await env.waitApplied('tenant', src.revision);
  assert.equal((await env.configMap('tenant-cm'))?.data?.owner, 'tenant');
});

test('--default-service-account is impersonated when serviceAccountName is unset', async () => {
  const src = await env.source('app', files, { namespace: tenantNs });
  await env.kubectl(['-n', tenantNs, 'create', 'serviceaccount', 'tenant']);
  await env.applyKustomization(
    'tenant',
    { sourceRef: { kind: 'GitRepository', name: 'app' }, path: './app', targetNamespace: tenantNs },
    { namespace: tenantNs },
  );
  const failed = await env.waitFailed('tenant', 'ReconciliationFailed', { namespace: tenantNs });
  const message = readyOf(failed)!.message;
  assert.match(message, /forbidden/);
  assert.match(message, new RegExp(`system:serviceaccount:${tenantNs}:tenant`));
  assert.equal(await env.configMap('tenant-cm', tenantNs), undefined);

  await grantConfigMaps(tenantNs, 'tenant');
  await env.requestReconcile('kustomization', 'tenant', tenantNs);
  await env.waitApplied('tenant', src.revision, { namespace: tenantNs });
  assert.ok(await env.configMap('tenant-cm', tenantNs));
});

test('kubeConfig.secretRef: applies through the kubeconfig in the Secret', async () => {
  const src = await env.source('remote', {
    'app/cm.yaml': configMapYaml('remote-cm', { via: 'kubeconfig' }),
  });
  // As a kubeconfig for a Secret is written: credentials inline, no file of this machine.
  const local = readFileSync(env.state.kubeconfig, 'utf8');
  const kubeconfig = local.replace(
    /certificate-authority: (\S+)/,
    (_, file: string) => `certificate-authority-data: ${readFileSync(file).toString('base64')}`,
  );
  assert.notEqual(kubeconfig, local);
  /** A Secret `<name>-kubeconfig` holding `text` (none when undefined) and a Kustomization `<name>` using it. */
  const throughSecret = async (name: string, text: string | undefined) => {
    const secret = text === undefined ? 'absent' : `${name}-kubeconfig`;
    if (text !== undefined) {
      await env.kubectl(['create', 'secret', 'generic', secret, `--from-literal=value=${text}`]);
    }
    await env.applyKustomization(name, {
      sourceRef: { kind: 'GitRepository', name: 'remote' },
      path: './app',
      targetNamespace: env.ns,
      kubeConfig: { secretRef: { name: secret } },
    });
  };
  await throughSecret('remote', kubeconfig);
  await env.waitApplied('remote', src.revision);
  assert.equal((await env.configMap('remote-cm'))?.data?.via, 'kubeconfig');

  // The Secret's cluster really is the one used: one that points nowhere fails.
  await throughSecret('nowhere', kubeconfig.replace(/server: \S+/, 'server: https://127.0.0.1:1'));
  const failed = await env.waitFailed('nowhere', 'ReconciliationFailed', { timeoutMs: 90_000 });
  assert.match(readyOf(failed)!.message, /ECONNREFUSED|connect/);

  // A file reference would read the controller's own files (its token, say): refused.
  await throughSecret('files', local);
  const refused = await env.waitFailed('files', 'ReconciliationFailed');
  assert.match(
    readyOf(refused)!.message,
    /refers to files on the controller; use certificate-authority-data/,
  );

  // A missing Secret is named.
  await throughSecret('no-secret', undefined);
  const missing = await env.waitFailed('no-secret', 'ReconciliationFailed');
  assert.match(readyOf(missing)!.message, /absent/);
});

test('the impersonated ServiceAccount also health-checks, prunes and garbage-collects on deletion', async () => {
  // `limited` may write ConfigMaps but neither delete them nor read Secrets; the controller itself
  // (cluster-admin in this test cluster) could do all three, so each refusal below is the SA's.
  await env.kubectl(['create', 'serviceaccount', 'limited']);
  await env.kubectl([
    'create',
    'role',
    'limited',
    '--verb=get,list,watch,create,update,patch',
    '--resource=configmaps',
  ]);
  await env.kubectl([
    'create',
    'rolebinding',
    'limited',
    '--role=limited',
    `--serviceaccount=${env.ns}:limited`,
  ]);
  await env.kubectl(['create', 'secret', 'generic', 'probe', '--from-literal=k=v']);
  const src = await env.source('scoped', {
    'app/a.yaml': configMapYaml('scoped-a', { n: '1' }),
    'app/b.yaml': configMapYaml('scoped-b', { n: '2' }),
  });
  const spec = {
    sourceRef: { kind: 'GitRepository' as const, name: 'scoped' },
    path: './app',
    targetNamespace: env.ns,
    serviceAccountName: 'limited',
  };
  const user = `system:serviceaccount:${env.ns}:limited`;

  // Health checks read as the ServiceAccount.
  await env.applyKustomization('scoped', {
    ...spec,
    healthChecks: [{ apiVersion: 'v1', kind: 'Secret', name: 'probe', namespace: env.ns }],
  });
  const unhealthy = await env.waitKustomization(
    'scoped',
    'Ready=False on the health check',
    (k) => readyOf(k)?.status === 'False' && /forbidden/.test(readyOf(k)?.message ?? ''),
  );
  const healthMessage = readyOf(unhealthy)!.message;
  assert.match(healthMessage, /secrets "probe" is forbidden/);
  assert.ok(healthMessage.includes(user), healthMessage);

  await env.applyKustomization('scoped', spec);
  await env.waitApplied('scoped', src.revision);

  // Prune deletes as the ServiceAccount: refused, the object stays and stays in the inventory.
  const second = await src.push({ 'app/b.yaml': null }, 'drop b');
  const pruneFailed = await env.waitFailed('scoped', 'PruneFailed', { revision: second });
  const pruneMessage = readyOf(pruneFailed)!.message;
  assert.match(pruneMessage, /scoped-b/);
  assert.match(pruneMessage, /forbidden/);
  assert.ok(pruneMessage.includes(user), pruneMessage);
  assert.ok(await env.configMap('scoped-b'));
  assert.ok(pruneFailed.status?.inventory?.entries.some((e) => e.id.includes('scoped-b')));

  // Garbage collection on deletion, as the ServiceAccount: refused, the finalizer goes anyway.
  await env.kubectl(['delete', 'kustomization', 'scoped', '--wait=true', '--timeout=60s']);
  assert.ok(await env.configMap('scoped-a'), 'the ServiceAccount could not delete it');
  assert.match(
    env.controller!.logs(),
    /garbage collection on deletion failed.*scoped-a.*forbidden: User \\"system:serviceaccount:[^:]+:limited\\"/,
  );
});
