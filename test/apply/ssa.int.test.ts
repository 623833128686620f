// Per-object controls on the real apiserver: kustomize.toolkit.fluxcd.io/ssa (Merge,
// IfNotPresent, Ignore) and kustomize.toolkit.fluxcd.io/reconcile: disabled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplyCache } from '../../src/apply/cache.js';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import { ContentType } from '../../src/kube/client.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { testNamespace } from '../helpers/cluster.js';
import { kubectlOk } from '../helpers/crds.js';
import { configMap, setup } from './fixtures.js';

const env = await setup();
const { client, requests } = env;
const manager = (): ResourceManager =>
  new ResourceManager({ client, ownerLabels: ownerLabelsFor('ssa', 'flux-system') });
const ns = await testNamespace(env.kc, 'ssa');
const path = (name: string) => `/api/v1/namespaces/${ns}/configmaps/${name}`;

function annotated(
  name: string,
  annotations: Record<string, string>,
  data: Record<string, string>,
): Manifest {
  const cm = configMap(ns, name, data);
  cm.metadata.annotations = annotations;
  return cm;
}

test('ssa: Merge keeps the fields kubectl applied instead of taking them over', async () => {
  await kubectlOk(
    env.state,
    ['apply', '-f', '-'],
    JSON.stringify(configMap(ns, 'merged', { a: '1', b: '2' })),
  );
  const res = await manager().applyAll([
    annotated('merged', { 'kustomize.toolkit.fluxcd.io/ssa': 'merge' }, { a: '1' }),
  ]);
  assert.equal(res.error, undefined);
  assert.equal(res.changeSet.summary(), '1 configured');
  const live = await client.get<Manifest>(path('merged'));
  assert.deepEqual(live.data, { a: '1', b: '2' });
  assert.ok(live.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
});

test('ssa: IfNotPresent creates a missing object and never touches it afterwards', async () => {
  const m = manager();
  const cache = new ApplyCache();
  const desired = (v: string) =>
    annotated('seeded', { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }, { v });
  assert.equal((await m.applyAll([desired('1')], { cache })).changeSet.summary(), '1 created');
  const res = await m.applyAll([desired('2')], { cache });
  assert.deepEqual(
    res.changeSet.entries.map((e) => [e.action, e.note]),
    [['skipped', 'ssa: IfNotPresent and the object exists']],
  );
  assert.deepEqual((await client.get<Manifest>(path('seeded'))).data, { v: '1' });
  // Deleted by someone: created again.
  await client.delete(path('seeded'));
  assert.equal((await m.applyAll([desired('3')], { cache })).changeSet.summary(), '1 created');
  assert.deepEqual((await client.get<Manifest>(path('seeded'))).data, { v: '3' });
});

test('ssa: Ignore in the manifest skips the object without reading or writing it', async () => {
  requests.reset();
  const res = await manager().applyAll([
    annotated('ignored', { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' }, {}),
  ]);
  assert.equal(res.changeSet.summary(), '1 skipped');
  assert.deepEqual(requests.byVerb(), { discovery: 1 }, 'only the kind was looked up');
  assert.equal(await client.getOptional(path('ignored')), undefined);
});

test('reconcile: disabled on the live object stops apply for that object only', async () => {
  const m = manager();
  const cache = new ApplyCache();
  await m.applyAll([configMap(ns, 'paused', { v: '1' }), configMap(ns, 'running', { v: '1' })], { cache });
  await client.patch(
    path('paused'),
    { metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' } } },
    ContentType.mergePatch,
  );
  const res = await m.applyAll([configMap(ns, 'paused', { v: '2' }), configMap(ns, 'running', { v: '2' })], {
    cache,
  });
  assert.equal(res.error, undefined);
  assert.deepEqual(res.changeSet.toMap(), {
    [`ConfigMap/${ns}/paused`]: 'skipped',
    [`ConfigMap/${ns}/running`]: 'configured',
  });
  assert.deepEqual((await client.get<Manifest>(path('paused'))).data, { v: '1' });
  assert.deepEqual((await client.get<Manifest>(path('running'))).data, { v: '2' });
});
