// A set of new objects (a first sync) is written without dry-runs, one request per object, and
// stays all or nothing: a rejection deletes what the pass created and reports every rejection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inventoryId } from '../../src/apply/inventory.js';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import { type Manifest, refOf } from '../../src/kube/dynamic.js';
import { testNamespace } from '../helpers/cluster.js';
import { configMap, deployment, service, serviceAccount, setup, suffix } from './fixtures.js';

const env = await setup();
const { client, requests } = env;
const manager = (): ResourceManager =>
  new ResourceManager({ client, ownerLabels: ownerLabelsFor('fresh', 'flux-system') });
const firstSync = { previousInventory: new Set<string>() };

const configMaps = async (ns: string): Promise<string[]> =>
  (await client.get<{ items: Manifest[] }>(`/api/v1/namespaces/${ns}/configmaps`)).items
    .map((c) => c.metadata.name)
    .filter((n) => n !== 'kube-root-ca.crt')
    .sort();

test('a first sync of four new objects costs one write each and no dry-run', async () => {
  const ns = await testNamespace(env.kc, 'fresh-first');
  const set = [serviceAccount(ns, 'app'), service(ns, 'app'), deployment(ns, 'app'), configMap(ns, 'app')];
  requests.reset();
  const res = await manager().applyAll(set, firstSync);
  assert.equal(res.error, undefined, res.error?.message);
  assert.equal(res.changeSet.summary(), '4 created');
  assert.equal(requests.count('dry-run'), 0, 'no dry-run');
  assert.equal(requests.count('patch'), 4, 'one apply per object');
  assert.equal(res.stats.optimistic, 4);

  // The next pass knows them (inventory): validated with dry-runs as before, nothing written.
  requests.reset();
  const again = await manager().applyAll(set, {
    previousInventory: new Set(set.map((o) => inventoryId(refOf(o)))),
  });
  assert.equal(again.changeSet.summary(), '4 unchanged');
  assert.equal(requests.writes, 0);
});

test('one invalid object among 50 new ones: nothing remains and every rejection is reported', async () => {
  const ns = await testNamespace(env.kc, 'fresh-invalid');
  const set: Manifest[] = Array.from({ length: 48 }, (_, i) => configMap(ns, `cm-${i}`));
  set.push(service(ns, 'web', 99999));
  set.push(deployment(ns, 'broken', { image: '' }));
  const res = await manager().applyAll(set, firstSync);
  assert.equal(res.error?.reason, 'ValidationFailed');
  assert.deepEqual(res.error?.objects.map((o) => o.subject).sort(), [
    `Deployment/${ns}/broken`,
    `Service/${ns}/web`,
  ]);
  assert.match(res.error?.message ?? '', /^2 objects rejected by the apiserver, nothing created:/);
  assert.match(res.error?.message ?? '', new RegExp(`Service/${ns}/web .*99999`));
  assert.deepEqual(await configMaps(ns), [], 'none of the 48 valid ConfigMaps is left');
  assert.deepEqual(res.changeSet.entries, [], 'the change set lists nothing applied');
});

test('a new Namespace and its objects, one of them rejected: the Namespace is removed too', async () => {
  const ns = `fresh-ns-${suffix()}`;
  const set: Manifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    configMap(ns, 'settings'),
    service(ns, 'web', 99999),
  ];
  const res = await manager().applyAll(set, firstSync);
  assert.equal(res.error?.reason, 'ValidationFailed');
  assert.deepEqual(
    res.error?.objects.map((o) => o.subject),
    [`Service/${ns}/web`],
  );
  const live = await client.getOptional<Manifest>(`/api/v1/namespaces/${ns}`);
  assert.ok(!live || live.metadata.deletionTimestamp, 'the Namespace created by the pass is being deleted');
});

test('an object that existed outside the inventory is adopted: configured, with the takeover', async () => {
  const ns = await testNamespace(env.kc, 'fresh-adopt');
  // Created by kubectl (client-side): a field Git does not have must go, as after a dry-run.
  await client.post(
    `/api/v1/namespaces/${ns}/configmaps`,
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'legacy' }, data: { a: '0', extra: 'x' } },
    { query: { fieldManager: 'kubectl' } },
  );
  const res = await manager().applyAll([configMap(ns, 'legacy'), configMap(ns, 'new')], firstSync);
  assert.equal(res.error, undefined, res.error?.message);
  assert.deepEqual(res.changeSet.lines(), [
    `ConfigMap/${ns}/legacy configured`,
    `ConfigMap/${ns}/new created`,
  ]);
  const legacy = await client.get<Manifest>(`/api/v1/namespaces/${ns}/configmaps/legacy`);
  assert.deepEqual(legacy.data, { a: '1' }, 'the field only kubectl set is gone');
});
