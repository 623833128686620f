// docs/migrating-from-flux.md "Switching over", followed step by step from the state Flux leaves:
// a self-managing flux-system Kustomization whose inventory holds Flux's components (a CRD with a
// custom resource in it, a Namespace, a controller Deployment — stand-ins, so that a mistake
// cannot touch the shared cluster's real CRDs), applied by field manager kustomize-controller with
// Flux's owner labels. gotk-components.yaml leaves Git with prune: true, and nothing is deleted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentType } from '../../src/kube/client.js';
import { eventually } from '../helpers/cluster.js';
import { startController } from '../helpers/controller.js';
import { kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-migrate', controller: false });
const ns = env.ns; // plays flux-system
const GROUP = `${ns}.fluxsim.mooring.dev`;
const extraNs = `${ns}-apps`;
const owner = {
  'kustomize.toolkit.fluxcd.io/name': 'flux-system',
  'kustomize.toolkit.fluxcd.io/namespace': ns,
};
const partOf = { 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/instance': 'flux-system' };

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `helmreleases.${GROUP}`, labels: partOf },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: {
      plural: 'helmreleases',
      singular: 'helmrelease',
      kind: 'HelmRelease',
      listKind: 'HelmReleaseList',
    },
    versions: [
      {
        name: 'v2',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};
const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: extraNs, labels: partOf } };
const controllerDeploy = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'helm-controller', namespace: ns, labels: partOf },
  spec: {
    replicas: 0,
    selector: { matchLabels: { app: 'helm-controller' } },
    template: {
      metadata: { labels: { app: 'helm-controller' } },
      spec: { containers: [{ name: 'manager', image: 'ghcr.io/fluxcd/helm-controller:v1.4.0' }] },
    },
  },
};
const components = [crd, namespace, controllerDeploy].map((o) => JSON.stringify(o)).join('\n---\n');
const sync = (ref: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: ${ns}
spec:
  interval: 10m
  path: ./flux-system
  prune: true
  sourceRef:
    kind: GitRepository
    name: ${ref}
`;
// Step 1 of the guide: the prune guard, in Git.
const guard = `patches:
  - target:
      labelSelector: app.kubernetes.io/part-of=flux
    patch: |
      apiVersion: v1
      kind: Any
      metadata:
        name: any
        annotations:
          kustomize.toolkit.fluxcd.io/prune: disabled
`;

test('switching over with the guide: prune: true, gotk-components.yaml removed, nothing lost', async () => {
  const src = await env.source('flux-system', {
    'flux-system/gotk-components.yaml': components,
    'flux-system/gotk-sync.yaml': sync('flux-system'),
    'flux-system/kustomization.yaml': 'resources: [gotk-components.yaml, gotk-sync.yaml]\n',
  });

  // ---- The state Flux leaves (kustomize-controller applied it; its inventory lists it all) ----
  const ssa = async (obj: Record<string, unknown>, extra: Record<string, string> = {}) => {
    const o = structuredClone(obj) as {
      metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
    };
    o.metadata.labels = { ...o.metadata.labels, ...owner };
    o.metadata.annotations = { ...o.metadata.annotations, ...extra };
    const m = o.metadata as { name: string; namespace?: string };
    const path =
      obj.kind === 'CustomResourceDefinition'
        ? `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${m.name}`
        : obj.kind === 'Namespace'
          ? `/api/v1/namespaces/${m.name}`
          : `/apis/apps/v1/namespaces/${m.namespace}/deployments/${m.name}`;
    await env.client.patch(path, o, ContentType.apply, {
      query: { fieldManager: 'kustomize-controller', force: 'true' },
    });
  };
  for (const o of [crd, namespace, controllerDeploy]) await ssa(o);
  await eventually('HelmRelease served', async () => {
    await env.client.get(`/apis/${GROUP}/v2/namespaces/${ns}/helmreleases`);
    return true;
  });
  // A user's object of a Flux kind: lost if the CRD is ever deleted.
  await env.client.post(`/apis/${GROUP}/v2/namespaces/${ns}/helmreleases`, {
    apiVersion: `${GROUP}/v2`,
    kind: 'HelmRelease',
    metadata: { name: 'podinfo' },
    spec: { chart: 'podinfo' },
  });
  await env.kubectl(['apply', '-f', '-'], sync('flux-system'));
  const inventory = [
    { id: `_${extraNs}__Namespace`, v: 'v1' },
    { id: `_helmreleases.${GROUP}_apiextensions.k8s.io_CustomResourceDefinition`, v: 'v1' },
    { id: `${ns}_flux-system_kustomize.toolkit.fluxcd.io_Kustomization`, v: 'v1' },
    { id: `${ns}_helm-controller_apps_Deployment`, v: 'v1' },
  ];
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await env.client.patch(
    `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations/flux-system/status`,
    {
      status: {
        observedGeneration: 1,
        lastAppliedRevision: src.revision,
        lastAttemptedRevision: src.revision,
        inventory: { entries: inventory },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'ReconciliationSucceeded',
            message: `Applied revision: ${src.revision}`,
            lastTransitionTime: now,
          },
        ],
      },
    },
    ContentType.mergePatch,
  );

  // ---- Step 1: the prune guard, committed and applied by Flux (still running) ----
  const guarded = await src.push({
    'flux-system/kustomization.yaml': `resources: [gotk-components.yaml, gotk-sync.yaml]\n${guard}`,
  });
  for (const o of [crd, namespace, controllerDeploy])
    await ssa(o, { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });

  // ---- Step 2: suspend Flux, stop its controllers (already at 0 here) ----
  await env.kubectl([
    'patch',
    'kustomization',
    'flux-system',
    '--type=merge',
    '-p',
    '{"spec":{"suspend":true}}',
  ]);

  // ---- Step 3: gotk-components.yaml leaves Git (the guard stays) ----
  const removed = await src.push({
    'flux-system/gotk-components.yaml': null,
    'flux-system/kustomization.yaml': `resources: [gotk-sync.yaml]\n${guard}`,
  });
  assert.notEqual(guarded, removed);

  // ---- Step 4: Mooring runs; step 5: resume ----
  const controller = await startController({ kubeconfig: env.state.kubeconfig, namespace: ns });
  try {
    await env.kubectl([
      'patch',
      'kustomization',
      'flux-system',
      '--type=merge',
      '-p',
      '{"spec":{"suspend":false}}',
    ]);
    const ks = await env.waitApplied('flux-system', removed, { timeoutMs: 90_000 });
    assert.equal(readyOf(ks)?.status, 'True');
    assert.deepEqual(
      ks.status?.inventory?.entries.map((e) => e.id),
      [`${ns}_flux-system_kustomize.toolkit.fluxcd.io_Kustomization`],
      'the components left the inventory',
    );
    // Every object is still there.
    assert.ok(
      await env.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmreleases.${GROUP}`),
      'CRD kept',
    );
    assert.ok(
      await env.get(`/apis/${GROUP}/v2/namespaces/${ns}/helmreleases/podinfo`),
      'custom resource kept',
    );
    const kept = await env.get(`/api/v1/namespaces/${extraNs}`);
    assert.ok(kept && !kept.metadata.deletionTimestamp, 'Namespace kept');
    assert.ok(await env.get(`/apis/apps/v1/namespaces/${ns}/deployments/helm-controller`), 'Deployment kept');
    assert.ok(
      await env.get(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories/flux-system`),
    );
  } finally {
    await controller.stop();
    await env.client
      .delete(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/helmreleases.${GROUP}`)
      .catch(() => undefined);
    await env.client.delete(`/api/v1/namespaces/${extraNs}`).catch(() => undefined);
  }
});
