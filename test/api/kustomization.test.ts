import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deletesOnFinalize,
  dependencies,
  formatInventoryId,
  getDeletionPolicy,
  getRetryInterval,
  getTimeout,
  type KustomizationSpec,
  parseInventoryId,
  sourceNamespace,
} from '../../src/api/kustomization.js';

function ks(s: Partial<KustomizationSpec> = {}, namespace = 'apps') {
  return {
    metadata: { name: 'demo', namespace },
    spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository' as const, name: 'demo' }, ...s },
  };
}

test('getTimeout: spec.timeout, else interval minus 30s, floored at 30s', () => {
  assert.equal(getTimeout(ks({ timeout: '2m' })), 120_000);
  assert.equal(getTimeout(ks({ interval: '10m' })), 570_000);
  assert.equal(getTimeout(ks({ interval: '45s' })), 30_000);
  assert.equal(getTimeout(ks({ interval: '1m', timeout: '5s' })), 30_000);
});

test('getRetryInterval: retryInterval, else interval', () => {
  assert.equal(getRetryInterval(ks()), 600_000);
  assert.equal(getRetryInterval(ks({ retryInterval: '30s' })), 30_000);
});

test('deletion policy defaults to MirrorPrune, which mirrors prune', () => {
  assert.equal(getDeletionPolicy(ks()), 'MirrorPrune');
  assert.equal(deletesOnFinalize(ks({ prune: true })), true);
  assert.equal(deletesOnFinalize(ks({ prune: false })), false);
  assert.equal(deletesOnFinalize(ks({ prune: false, deletionPolicy: 'Delete' })), true);
  assert.equal(deletesOnFinalize(ks({ prune: false, deletionPolicy: 'WaitForTermination' })), true);
  assert.equal(deletesOnFinalize(ks({ prune: true, deletionPolicy: 'Orphan' })), false);
});

test('references default to the Kustomization namespace', () => {
  assert.equal(sourceNamespace(ks()), 'apps');
  assert.equal(
    sourceNamespace(ks({ sourceRef: { kind: 'GitRepository', name: 'x', namespace: 'flux-system' } })),
    'flux-system',
  );
  assert.deepEqual(
    dependencies(ks({ dependsOn: [{ name: 'infra' }, { name: 'crds', namespace: 'flux-system' }] })),
    [
      { name: 'infra', namespace: 'apps' },
      { name: 'crds', namespace: 'flux-system' },
    ],
  );
});

test('inventory ids follow cli-utils ObjMetadata', () => {
  assert.equal(
    formatInventoryId({ namespace: 'default', name: 'podinfo', group: '', kind: 'Service' }),
    'default_podinfo__Service',
  );
  assert.equal(
    formatInventoryId({ namespace: '', name: 'demo', group: '', kind: 'Namespace' }),
    '_demo__Namespace',
  );
  const rbac = {
    namespace: '',
    name: 'system:controller:x',
    group: 'rbac.authorization.k8s.io',
    kind: 'ClusterRole',
  };
  const id = formatInventoryId(rbac);
  assert.equal(id, '_system__controller__x_rbac.authorization.k8s.io_ClusterRole');
  assert.deepEqual(parseInventoryId(id), rbac);
  assert.deepEqual(parseInventoryId('default_podinfo_apps_Deployment'), {
    namespace: 'default',
    name: 'podinfo',
    group: 'apps',
    kind: 'Deployment',
  });
  assert.throws(() => parseInventoryId('nonsense'), /invalid inventory id/);
});
