// Prune on the real apiserver: reverse order, owner-label safety, `prune: disabled`.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { staleEntries } from '../../src/apply/inventory.js';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import { ContentType } from '../../src/kube/client.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { eventually, testNamespace } from '../helpers/cluster.js';
import { configMap, crd, setup, suffix } from './fixtures.js';

const env = await setup();
const { client, requests } = env;
const owner = ownerLabelsFor('pruned', 'flux-system');
const manager = (): ResourceManager => new ResourceManager({ client, ownerLabels: owner });
const cleanup: string[] = [];
after(async () => {
  for (const path of cleanup) await client.delete(path).catch(() => undefined);
});

test('prune deletes what left the set in reverse order: webhooks first, Namespaces and CRDs last', async () => {
  const id = suffix();
  const group = `p${id}.mooring.dev`;
  const ns = `prune-${id}`;
  const webhook = `prune-${id}`;
  const role = `prune:${id}`; // RBAC names may carry ':' (transcoded in inventory ids)
  cleanup.push(
    `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${webhook}`,
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${role}`,
    `/api/v1/namespaces/${ns}`,
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${group}`,
  );
  const m = manager();
  const set: Manifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    crd(group, 'Widget'),
    configMap(ns, 'a'),
    configMap(ns, 'b'),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: role },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: webhook },
      webhooks: [],
    },
  ];
  const applied = await m.applyAll(set);
  assert.equal(applied.error, undefined, applied.error?.message);
  const inventory = applied.changeSet.toInventory();
  assert.ok(
    inventory.some((e) => e.id === `_prune__${id}_rbac.authorization.k8s.io_ClusterRole` && e.v === 'v1'),
  );

  // The next revision keeps only ConfigMap a.
  const next = (await m.applyAll([configMap(ns, 'a'), set[0]!])).changeSet.toInventory();
  const stale = staleEntries(inventory, next);
  requests.reset();
  const pruned = await m.prune(stale);
  assert.deepEqual(pruned.failed, []);
  assert.deepEqual(pruned.changeSet.lines(), [
    `ValidatingWebhookConfiguration/${webhook} deleted`,
    `ConfigMap/${ns}/b deleted`,
    `ClusterRole/${role} deleted`,
    `CustomResourceDefinition/widgets.${group} deleted`,
  ]);
  const deletes = requests.records
    .filter((r) => r.verb === 'delete')
    .map((r) => r.path.split('/').slice(-2).join('/'));
  assert.deepEqual(deletes, [
    `validatingwebhookconfigurations/${webhook}`,
    'configmaps/b',
    `clusterroles/${encodeURIComponent(role)}`,
    `customresourcedefinitions/widgets.${group}`,
  ]);
  assert.equal(await client.getOptional(`/api/v1/namespaces/${ns}/configmaps/b`), undefined);
  assert.ok(
    await client.getOptional(`/api/v1/namespaces/${ns}/configmaps/a`),
    'what stayed in the set stays',
  );

  // Everything left: the Namespace goes last of all.
  const all = staleEntries(next, []);
  const final = await m.prune(all);
  assert.deepEqual(final.changeSet.lines(), [`ConfigMap/${ns}/a deleted`, `Namespace/${ns} deleted`]);
  await eventually(
    'namespace gone',
    async () => (await client.getOptional(`/api/v1/namespaces/${ns}`)) === undefined,
    60_000,
  );
});

test('prune skips objects that another owner adopted and objects marked prune: disabled', async () => {
  const ns = await testNamespace(env.kc, 'prune-safety');
  const m = manager();
  const applied = await m.applyAll([configMap(ns, 'adopted'), configMap(ns, 'kept'), configMap(ns, 'gone')]);
  assert.equal(applied.error, undefined);
  // Another Kustomization took this one over (its labels now name the other owner).
  await client.patch(
    `/api/v1/namespaces/${ns}/configmaps/adopted`,
    { metadata: { labels: ownerLabelsFor('other', 'flux-system') } },
    ContentType.mergePatch,
  );
  // Someone asked for this one to outlive its Kustomization.
  await client.patch(
    `/api/v1/namespaces/${ns}/configmaps/kept`,
    { metadata: { annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } } },
    ContentType.mergePatch,
  );
  const pruned = await m.prune(staleEntries(applied.changeSet.toInventory(), []));
  assert.deepEqual(
    pruned.changeSet.entries.map((e) => [e.subject, e.action, e.note]),
    [
      // reverse order, names included
      [`ConfigMap/${ns}/kept`, 'skipped', 'prune disabled'],
      [`ConfigMap/${ns}/gone`, 'deleted', undefined],
      [`ConfigMap/${ns}/adopted`, 'skipped', 'owner labels changed: not ours any more'],
    ],
  );
  assert.ok(await client.getOptional(`/api/v1/namespaces/${ns}/configmaps/adopted`));
  assert.ok(await client.getOptional(`/api/v1/namespaces/${ns}/configmaps/kept`));
  assert.equal(await client.getOptional(`/api/v1/namespaces/${ns}/configmaps/gone`), undefined);

  // Pruning again is harmless: what is gone is reported as deleted, nothing else changes.
  const again = await m.prune(staleEntries(applied.changeSet.toInventory(), []));
  assert.equal(again.changeSet.find(`ConfigMap/${ns}/gone`)?.note, 'already gone');
});
