// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// postBuild substitution on the real cluster: inline `substitute`, `substituteFrom` ConfigMaps and
// Secrets with Flux's precedence (inline over substituteFrom, later over earlier), `optional`,
// `${var:=default}`, the per-object opt-out, and strict mode: a variable without a value fails the
// build with the variable and the object named, and nothing of the revision is applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-subst' });

const src = await env.source('app', {
  'vars/settings.yaml': configMapYaml('settings', {
    cluster: '${cluster_name}',
    region: '${region}',
    tier: '${tier:=standard}',
    password: '${db_password}',
    zone: '${zone}',
  }),
  'vars/replicas.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: \${replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: nginx:\${nginx_tag:=1.25}
`,
  'vars/literal.yaml': configMapYaml(
    'literal',
    { script: 'echo ${HOME} ${cluster_name}' },
    '  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n',
  ),
  'strict/good.yaml': configMapYaml('strict-good', { ok: 'yes' }),
  'strict/bad.yaml': configMapYaml('strict-bad', { value: 'prefix-${undefined_var}' }),
});

await env.kubectl([
  'create',
  'configmap',
  'cluster-vars',
  '--from-literal=region=from-configmap',
  '--from-literal=zone=a',
  '--from-literal=db_password=from-configmap',
  '--from-literal=replicas=0',
]);
await env.kubectl(['create', 'secret', 'generic', 'cluster-secrets', '--from-literal=db_password=s3cr3t']);

test('substitute and substituteFrom: inline beats ConfigMap/Secret, a later source beats an earlier one', async () => {
  await env.applyKustomization('vars', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './vars',
    targetNamespace: env.ns,
    postBuild: {
      substitute: { cluster_name: 'prod-eu', region: 'inline-region' },
      substituteFrom: [
        { kind: 'ConfigMap', name: 'cluster-vars' },
        { kind: 'Secret', name: 'cluster-secrets' },
        { kind: 'ConfigMap', name: 'not-there', optional: true },
      ],
    },
  });
  await env.waitApplied('vars', src.revision);

  const settings = await env.configMap('settings');
  assert.deepEqual(settings?.data, {
    cluster: 'prod-eu',
    region: 'inline-region', // inline wins over the ConfigMap
    tier: 'standard', // the default
    password: 's3cr3t', // the Secret (later) wins over the ConfigMap (earlier), base64-decoded
    zone: 'a',
  });
  const literal = await env.configMap('literal');
  assert.equal(literal?.data?.script, 'echo ${HOME} ${cluster_name}', 'opted-out object left as written');

  const dep = (await env.get(`/apis/apps/v1/namespaces/${env.ns}/deployments/web`)) as unknown as {
    spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
  };
  assert.equal(dep.spec.replicas, 0, 'a substituted number lands as an integer');
  assert.equal(dep.spec.template.spec.containers[0]!.image, 'nginx:1.25');
});

test('a changed substituteFrom value is picked up at the next reconcile', async () => {
  await env.kubectl([
    'patch',
    'secret',
    'cluster-secrets',
    '--type=merge',
    '-p',
    JSON.stringify({ stringData: { db_password: 'rotated' } }),
  ]);
  const token = await env.requestReconcile('kustomization', 'vars');
  const ks = await env.waitKustomization(
    'vars',
    'request handled',
    (k) => k.status?.lastHandledReconcileAt === token,
  );
  assert.equal(readyOf(ks)?.status, 'True');
  assert.equal((await env.configMap('settings'))?.data?.password, 'rotated');
});

test('a missing non-optional substituteFrom source fails the build and names it', async () => {
  await env.applyKustomization('missing-source', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './strict',
    targetNamespace: env.ns,
    postBuild: { substituteFrom: [{ kind: 'Secret', name: 'absent-secret' }] },
  });
  const ks = await env.waitFailed('missing-source', 'BuildFailed');
  assert.match(readyOf(ks)!.message, /Secret 'absent-secret' not found/);
  assert.equal(await env.configMap('strict-good'), undefined, 'nothing applied');
});

test('strict substitution: an unset variable fails with the variable and object named, nothing applied', async () => {
  await env.applyKustomization('strict', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './strict',
    targetNamespace: env.ns,
    postBuild: { substitute: { something: 'set' } },
  });
  const ks = await env.waitFailed('strict', 'BuildFailed', { revision: src.revision });
  const ready = readyOf(ks)!;
  assert.match(ready.message, /undefined_var/, 'names the variable');
  assert.match(ready.message, /ConfigMap\/[^ ]*strict-bad/, 'names the object');
  assert.equal(ks.status?.lastAppliedRevision, undefined);
  assert.equal(
    await env.configMap('strict-good'),
    undefined,
    'the valid object of the same build is not applied',
  );
  assert.equal(await env.configMap('strict-bad'), undefined);
  await env.waitEvent(
    'strict',
    'a Warning BuildFailed event names the undefined variable',
    (e) => e.type === 'Warning' && e.reason === 'BuildFailed' && /undefined_var/.test(e.message),
  );
});
