// spec overrides (targetNamespace, namePrefix, nameSuffix, patches, images, components,
// commonMetadata) as a user sees them in the cluster: on a plain-YAML directory, where the
// controller generates the kustomization, and on a kustomize directory, where they are merged
// into (and win over) the author's kustomization.yaml.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testNamespace } from '../helpers/cluster.js';
import {
  configMapYaml,
  kustomizationEnv,
  OWNER_NAME_LABEL,
  OWNER_NAMESPACE_LABEL,
  readyOf,
} from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-ovr' });
const plainTarget = await testNamespace(env.kc, 'ks-ovr-plain');
const kustTarget = await testNamespace(env.kc, 'ks-ovr-kust');

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 2
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
          image: nginx:1.0
`;

const files = {
  'plain/deployment.yaml': deployment,
  'plain/settings.yaml': configMapYaml('settings', { mode: 'plain' }),
  'kust/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namePrefix: author-
resources:
  - deployment.yaml
  - settings.yaml
images:
  - name: nginx
    newTag: "1.1"
commonLabels:
  written-by: author
`,
  'kust/deployment.yaml': deployment,
  'kust/settings.yaml': configMapYaml('settings', { mode: 'kustomize' }),
  'components/extra/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - extra.yaml
`,
  'components/extra/extra.yaml': configMapYaml('extra', { from: 'component' }),
};

const overrides = (targetNamespace: string) => ({
  targetNamespace,
  namePrefix: 'pre-',
  nameSuffix: '-suf',
  images: [{ name: 'nginx', newName: 'registry.example/nginx', newTag: '1.25' }],
  components: ['../components/extra'],
  commonMetadata: { labels: { team: 'platform' }, annotations: { 'example.com/owner': 'ops' } },
  patches: [
    {
      // Strategic merge patch, selecting its target by name.
      patch: 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 0\n',
    },
    {
      // JSON6902 with an explicit target.
      patch: '[{"op": "add", "path": "/data/patched", "value": "json6902"}]',
      target: { kind: 'ConfigMap', name: 'settings' },
    },
  ],
});

interface DeploymentView {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
}

async function deploymentIn(ns: string, name: string): Promise<DeploymentView | undefined> {
  return (await env.get(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`)) as unknown as
    | DeploymentView
    | undefined;
}

const src = await env.source('app', files);

test('overrides on a plain-YAML directory: namespace, prefix/suffix, patches, images, components, metadata', async () => {
  await env.applyKustomization('plain', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './plain',
    ...overrides(plainTarget),
  });
  const ks = await env.waitApplied('plain', src.revision);

  const dep = await deploymentIn(plainTarget, 'pre-web-suf');
  assert.ok(dep, 'Deployment pre-web-suf in the target namespace');
  assert.equal(dep.spec.replicas, 0, 'strategic merge patch applied');
  assert.equal(dep.spec.template.spec.containers[0]!.image, 'registry.example/nginx:1.25');
  assert.equal(dep.metadata.labels.team, 'platform');
  assert.equal(dep.metadata.annotations['example.com/owner'], 'ops');
  assert.equal(dep.metadata.labels[OWNER_NAME_LABEL], 'plain');
  assert.equal(dep.metadata.labels[OWNER_NAMESPACE_LABEL], env.ns);

  const settings = await env.configMap('pre-settings-suf', plainTarget);
  assert.deepEqual(settings?.data, { mode: 'plain', patched: 'json6902' }, 'JSON6902 patch applied');
  assert.equal(settings?.metadata.labels?.team, 'platform');
  const extra = await env.configMap('pre-extra-suf', plainTarget);
  assert.deepEqual(extra?.data, { from: 'component' }, 'component resources added');

  assert.equal(await env.configMap('settings'), undefined, 'nothing applied under the original name');
  assert.deepEqual(ks.status?.inventory?.entries.map((e) => e.id).sort(), [
    `${plainTarget}_pre-extra-suf__ConfigMap`,
    `${plainTarget}_pre-settings-suf__ConfigMap`,
    `${plainTarget}_pre-web-suf_apps_Deployment`,
  ]);
});

test("overrides on a kustomize directory win over the author's kustomization.yaml", async () => {
  await env.applyKustomization('kust', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './kust',
    ...overrides(kustTarget),
  });
  await env.waitApplied('kust', src.revision);

  // spec.namePrefix replaces the author's `author-`; spec.images replaces the author's entry for nginx.
  const dep = await deploymentIn(kustTarget, 'pre-web-suf');
  assert.ok(dep, 'Deployment pre-web-suf in the target namespace');
  assert.equal(dep.spec.replicas, 0);
  assert.equal(dep.spec.template.spec.containers[0]!.image, 'registry.example/nginx:1.25');
  assert.equal(dep.metadata.labels['written-by'], 'author', "the author's own transformers still run");
  assert.equal(dep.metadata.labels.team, 'platform');
  assert.equal(await deploymentIn(kustTarget, 'author-web'), undefined);
  assert.equal(await deploymentIn(kustTarget, 'author-web-suf'), undefined);

  const settings = await env.configMap('pre-settings-suf', kustTarget);
  assert.deepEqual(settings?.data, { mode: 'kustomize', patched: 'json6902' });
  assert.deepEqual((await env.configMap('pre-extra-suf', kustTarget))?.data, { from: 'component' });
});

test('commonMetadata overrides labels set in Git and changing an override re-applies', async () => {
  await env.applyKustomization('plain', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './plain',
    ...overrides(plainTarget),
    commonMetadata: { labels: { app: 'overridden', team: 'apps' } },
    images: [{ name: 'nginx', newTag: '1.26' }],
  });
  await env.waitKustomization(
    'plain',
    'new generation applied',
    (k) => k.status?.observedGeneration === k.metadata.generation && readyOf(k)?.status === 'True',
  );
  const dep = await deploymentIn(plainTarget, 'pre-web-suf');
  assert.ok(dep);
  assert.equal(dep.metadata.labels.app, 'overridden', 'commonMetadata wins over the label in Git');
  assert.equal(dep.metadata.labels.team, 'apps');
  assert.equal(dep.spec.template.spec.containers[0]!.image, 'nginx:1.26');
  assert.equal(
    dep.metadata.annotations['example.com/owner'],
    undefined,
    'an annotation dropped from commonMetadata is removed',
  );
});
