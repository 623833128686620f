// applyAll on the real apiserver: create, idle re-apply without writes, one change, drift
// correction, fields of other managers, and taking objects over from kubectl.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplyCache } from '../../src/apply/cache.js';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import { ContentType } from '../../src/kube/client.js';
import { type Manifest, refOf } from '../../src/kube/dynamic.js';
import { eventually, testNamespace } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/crds.js';
import { configMap, deployment, service, serviceAccount, setup } from './fixtures.js';

const env = await setup();
const { client, requests } = env;
const owner = ownerLabelsFor('apps', 'flux-system');
const manager = (): ResourceManager => new ResourceManager({ client, ownerLabels: owner });

async function live(path: string): Promise<Manifest> {
  return client.get<Manifest>(path);
}

const cmPath = (ns: string, name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`;

test('creates a set, and re-applying it unchanged writes nothing and changes no resourceVersion', async () => {
  const ns = await testNamespace(env.kc, 'apply-idle');
  const set = [
    configMap(ns, 'settings'),
    service(ns, 'web'),
    serviceAccount(ns, 'runner'),
    deployment(ns, 'web'),
  ];
  const cache = new ApplyCache();
  const m = manager();

  const first = await m.applyAll(set, { cache });
  assert.equal(first.error, undefined);
  assert.equal(first.changeSet.summary(), '4 created');
  assert.deepEqual(first.changeSet.toMap(), {
    [`ServiceAccount/${ns}/runner`]: 'created',
    [`ConfigMap/${ns}/settings`]: 'created',
    [`Service/${ns}/web`]: 'created',
    [`Deployment/${ns}/web`]: 'created',
  });
  const cm = await live(cmPath(ns, 'settings'));
  assert.deepEqual(cm.metadata.labels, owner, 'owner labels are on every applied object');

  // Let the controllers finish with the new objects (token secret on the ServiceAccount,
  // Deployment status), as they would between two reconciliations.
  await eventually('service account token', async () => {
    const sa = await live(`/api/v1/namespaces/${ns}/serviceaccounts/runner`);
    return Array.isArray(sa.secrets) && sa.secrets.length > 0;
  });
  const settled = await m.waitForSet(
    set.map((o) => refOf(o)),
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  assert.equal(settled.ok, true);
  const paths = [
    cmPath(ns, 'settings'),
    `/api/v1/namespaces/${ns}/services/web`,
    `/api/v1/namespaces/${ns}/serviceaccounts/runner`,
    `/apis/apps/v1/namespaces/${ns}/deployments/web`,
  ];
  const before = await Promise.all(paths.map(async (p) => (await live(p)).metadata.resourceVersion));

  for (const [label, opts] of [
    ['with the cache', { cache }],
    ['again with the cache', { cache }],
    ['without a cache (dry-run of every object)', {}],
  ] as const) {
    requests.reset();
    const again = await manager().applyAll(set, opts);
    assert.equal(again.error, undefined, label);
    assert.equal(again.changeSet.summary(), '4 unchanged', label);
    assert.equal(requests.writes, 0, `${label}: no write requests (${JSON.stringify(requests.byVerb())})`);
  }
  const after = await Promise.all(paths.map(async (p) => (await live(p)).metadata.resourceVersion));
  assert.deepEqual(after, before, 'no object was touched');

  // Once the cache has seen the settled objects, an idle pass is one metadata read per kind: a
  // GET here (one object per kind; LISTs scan the whole kind, so they are kept for larger groups).
  requests.reset();
  const idle = await m.applyAll(set, { cache });
  assert.equal(idle.changeSet.summary(), '4 unchanged');
  assert.equal(idle.stats.cacheHits, 4);
  assert.deepEqual(requests.byVerb(), { get: 4 });
});

test('changing one field writes exactly that object', async () => {
  const ns = await testNamespace(env.kc, 'apply-change');
  const cache = new ApplyCache();
  const m = manager();
  const set = Array.from({ length: 10 }, (_, i) => configMap(ns, `cm-${i}`, { value: String(i) }));
  assert.equal((await m.applyAll(set, { cache })).changeSet.summary(), '10 created');
  const untouched = (await live(cmPath(ns, 'cm-3'))).metadata.resourceVersion;

  set[7] = configMap(ns, 'cm-7', { value: 'seven' });
  requests.reset();
  const res = await m.applyAll(set, { cache });
  assert.equal(res.error, undefined);
  assert.equal(res.changeSet.summary(), '1 configured, 9 unchanged');
  assert.equal(res.changeSet.find(`ConfigMap/${ns}/cm-7`)?.action, 'configured');
  assert.equal(requests.writes, 1, JSON.stringify(requests.byVerb()));
  assert.equal(requests.count('dry-run'), 1, 'only the changed object is dry-run');
  assert.deepEqual((await live(cmPath(ns, 'cm-7'))).data, { value: 'seven' });
  assert.equal((await live(cmPath(ns, 'cm-3'))).metadata.resourceVersion, untouched);
});

test('a kubectl edit of a field we own is reverted; a field another manager added survives', async () => {
  const ns = await testNamespace(env.kc, 'apply-drift');
  const cache = new ApplyCache();
  const m = manager();
  const set = [configMap(ns, 'settings', { mode: 'strict' }), deployment(ns, 'web', { replicas: 0 })];
  await m.applyAll(set, { cache });

  // A human edits a value we manage (kubectl edit = an update by manager "kubectl-edit").
  await env.client.patch(cmPath(ns, 'settings'), { data: { mode: 'lenient' } }, ContentType.mergePatch, {
    query: { fieldManager: 'kubectl-edit' },
  });
  // Another controller adds its own field and annotation (e.g. an autoscaler or an injector).
  await env.client.patch(
    `/apis/apps/v1/namespaces/${ns}/deployments/web`,
    {
      metadata: { annotations: { 'injector.example.com/status': 'injected' } },
      spec: { minReadySeconds: 5 },
    },
    ContentType.mergePatch,
    { query: { fieldManager: 'injector' } },
  );

  requests.reset();
  const res = await m.applyAll(set, { cache });
  assert.equal(res.error, undefined);
  assert.equal(res.changeSet.find(`ConfigMap/${ns}/settings`)?.action, 'configured');
  assert.equal(res.changeSet.find(`Deployment/${ns}/web`)?.action, 'unchanged');
  assert.deepEqual((await live(cmPath(ns, 'settings'))).data, { mode: 'strict' }, 'drift reverted');
  const dep = await live(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
  assert.equal(dep.metadata.annotations?.['injector.example.com/status'], 'injected');
  assert.equal((dep.spec as { minReadySeconds?: number }).minReadySeconds, 5);

  // A change of ours to the same Deployment keeps the other manager's fields too.
  set[1] = deployment(ns, 'web', { replicas: 0, image: 'nginx:1.27' });
  const changed = await m.applyAll(set, { cache });
  assert.equal(changed.changeSet.find(`Deployment/${ns}/web`)?.action, 'configured');
  const dep2 = await live(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
  assert.equal((dep2.spec as { minReadySeconds?: number }).minReadySeconds, 5);
  assert.equal(dep2.metadata.annotations?.['injector.example.com/status'], 'injected');
});

test('takes over an object created with kubectl client-side apply', async () => {
  const ns = await testNamespace(env.kc, 'apply-takeover');
  await kubectlOk(
    env.state,
    ['apply', '-f', '-'],
    JSON.stringify(configMap(ns, 'legacy', { a: '1', b: '2' })),
  );
  const before = await live(cmPath(ns, 'legacy'));
  assert.ok(before.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);

  const cache = new ApplyCache();
  const m = manager();
  // Our manifest drops key b: only possible once the fields kubectl managed are ours.
  const res = await m.applyAll([configMap(ns, 'legacy', { a: '1' })], { cache });
  assert.equal(res.error, undefined);
  assert.equal(res.changeSet.summary(), '1 configured');
  const after = await live(cmPath(ns, 'legacy'));
  assert.deepEqual(after.data, { a: '1' });
  assert.equal(after.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], undefined);
  const managers = ((after.metadata.managedFields ?? []) as Array<{ manager: string }>).map((e) => e.manager);
  assert.deepEqual(managers, ['kustomize-controller']);

  requests.reset();
  const again = await m.applyAll([configMap(ns, 'legacy', { a: '1' })], { cache });
  assert.equal(again.changeSet.summary(), '1 unchanged');
  assert.equal(requests.writes, 0);
});
