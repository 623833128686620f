import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChangeSet } from '../../src/apply/changeset.js';
import { inventoryId, inventoryOf, parseInventoryId, staleEntries } from '../../src/apply/inventory.js';

const ref = (group: string, version: string, kind: string, namespace: string, name: string) => ({
  group,
  version,
  kind,
  namespace,
  name,
});

test('inventory ids are <namespace>_<name>_<group>_<kind>, as Flux stores them', () => {
  assert.equal(inventoryId(ref('', 'v1', 'Service', 'default', 'podinfo')), 'default_podinfo__Service');
  assert.equal(inventoryId(ref('apps', 'v1', 'Deployment', 'apps', 'web')), 'apps_web_apps_Deployment');
  assert.equal(inventoryId(ref('', 'v1', 'Namespace', '', 'apps')), '_apps__Namespace');
});

test('colons in RBAC names are transcoded to double underscores and back', () => {
  const r = ref('rbac.authorization.k8s.io', 'v1', 'ClusterRole', '', 'system:controller:flux');
  const id = inventoryId(r);
  assert.equal(id, '_system__controller__flux_rbac.authorization.k8s.io_ClusterRole');
  assert.deepEqual(parseInventoryId(id, 'v1'), r);
});

test('ids parse back into references, and malformed ids are refused', () => {
  assert.deepEqual(
    parseInventoryId('default_podinfo__Service', 'v1'),
    ref('', 'v1', 'Service', 'default', 'podinfo'),
  );
  assert.deepEqual(
    parseInventoryId('_gadgets.example.com_apiextensions.k8s.io_CustomResourceDefinition', 'v1'),
    ref('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', '', 'gadgets.example.com'),
  );
  assert.equal(parseInventoryId('nonsense'), undefined);
});

test('an inventory is sorted by id, deduplicated, and carries the version', () => {
  const inv = inventoryOf([
    ref('apps', 'v1', 'Deployment', 'b', 'web'),
    ref('', 'v1', 'ConfigMap', 'a', 'x'),
    ref('apps', 'v1', 'Deployment', 'b', 'web'),
  ]);
  assert.deepEqual(inv, [
    { id: 'a_x__ConfigMap', v: 'v1' },
    { id: 'b_web_apps_Deployment', v: 'v1' },
  ]);
});

test('stale entries are what left the set, in delete order', () => {
  const old = inventoryOf([
    ref('', 'v1', 'Namespace', '', 'apps'),
    ref('', 'v1', 'ConfigMap', 'apps', 'a'),
    ref('admissionregistration.k8s.io', 'v1', 'ValidatingWebhookConfiguration', '', 'hook'),
    ref('apps', 'v1', 'Deployment', 'apps', 'web'),
  ]);
  const next = inventoryOf([ref('apps', 'v1', 'Deployment', 'apps', 'web')]);
  assert.deepEqual(
    staleEntries(old, next).map((e) => e.id),
    [
      '_hook_admissionregistration.k8s.io_ValidatingWebhookConfiguration',
      'apps_a__ConfigMap',
      '_apps__Namespace',
    ],
  );
});

test('a change set summarises like Flux and becomes the next inventory', () => {
  const cs = new ChangeSet();
  cs.add(ref('', 'v1', 'ConfigMap', 'a', 'x'), 'created');
  cs.add(ref('', 'v1', 'ConfigMap', 'a', 'y'), 'unchanged');
  cs.add(ref('', 'v1', 'ConfigMap', 'a', 'z'), 'skipped');
  cs.add(ref('', 'v1', 'ConfigMap', 'a', 'old'), 'deleted');
  assert.equal(cs.summary(), '1 created, 1 unchanged, 1 skipped, 1 deleted');
  assert.deepEqual(cs.lines(), ['ConfigMap/a/x created', 'ConfigMap/a/z skipped', 'ConfigMap/a/old deleted']);
  assert.deepEqual(
    cs.toInventory().map((e) => e.id),
    ['a_x__ConfigMap', 'a_y__ConfigMap', 'a_z__ConfigMap'],
  );
});
