import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sortForApply, sortForDelete, stageOf } from '../../src/apply/order.js';

const ref = (kind: string, name = 'x', namespace = '', group = '') => ({ kind, name, namespace, group });

test('objects are applied in Flux kind order, unlisted kinds before webhooks', () => {
  const kinds = [
    'ValidatingWebhookConfiguration',
    'Widget',
    'Deployment',
    'ConfigMap',
    'Namespace',
    'ServiceAccount',
    'CustomResourceDefinition',
    'MutatingWebhookConfiguration',
    'ClusterRole',
    'Alpha',
    'StorageClass',
    'Service',
    'Secret',
  ];
  const sorted = sortForApply(
    kinds.map((k) => ref(k)),
    (r) => r,
  ).map((r) => r.kind);
  assert.deepEqual(sorted, [
    'CustomResourceDefinition',
    'Namespace',
    'ClusterRole',
    'StorageClass',
    'ServiceAccount',
    'ConfigMap',
    'Secret',
    'Service',
    'Deployment',
    'Alpha',
    'Widget',
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
  ]);
});

test('objects of one kind are ordered by namespace then name; deletion is the exact reverse', () => {
  const refs = [
    ref('ConfigMap', 'b', 'ns1'),
    ref('ConfigMap', 'a', 'ns2'),
    ref('ConfigMap', 'a', 'ns1'),
    ref('Namespace', 'ns1'),
  ];
  const apply = sortForApply(refs, (r) => r).map((r) => `${r.kind}/${r.namespace}/${r.name}`);
  assert.deepEqual(apply, ['Namespace//ns1', 'ConfigMap/ns1/a', 'ConfigMap/ns1/b', 'ConfigMap/ns2/a']);
  const del = sortForDelete(refs, (r) => r).map((r) => `${r.kind}/${r.namespace}/${r.name}`);
  assert.deepEqual(del, [...apply].reverse());
});

test('stages: definitions, then *Class kinds, then the rest', () => {
  assert.equal(stageOf(ref('CustomResourceDefinition', 'x', '', 'apiextensions.k8s.io')), 'definitions');
  assert.equal(stageOf(ref('Namespace')), 'definitions');
  assert.equal(stageOf(ref('ClusterRole', 'x', '', 'rbac.authorization.k8s.io')), 'definitions');
  assert.equal(stageOf(ref('StorageClass', 'x', '', 'storage.k8s.io')), 'classes');
  assert.equal(stageOf(ref('GatewayClass', 'x', '', 'gateway.networking.k8s.io')), 'classes');
  assert.equal(stageOf(ref('Namespace', 'x', '', 'example.com')), 'resources', 'only the core Namespace');
  assert.equal(stageOf(ref('Deployment', 'x', 'ns', 'apps')), 'resources');
});
