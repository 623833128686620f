import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveFingerprint, needsTakeover } from '../../src/apply/cache.js';
import {
  defaultTakeoverManagers,
  hasMetadata,
  isExcluded,
  isPruneDisabled,
  ssaPolicy,
  takeoverPatch,
  withOwnerLabels,
} from '../../src/apply/metadata.js';
import { normalize } from '../../src/apply/normalize.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { verbOf } from '../../src/kube/requeststats.js';

test('per-object controls are read from labels or annotations, case-insensitively', () => {
  assert.equal(hasMetadata({ labels: { k: 'Disabled' } }, 'k', 'disabled'), true);
  assert.equal(
    ssaPolicy({ name: 'x', annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'merge' } }),
    'Merge',
  );
  assert.equal(
    ssaPolicy({ name: 'x', labels: { 'kustomize.toolkit.fluxcd.io/ssa': 'ifnotpresent' } }),
    'IfNotPresent',
  );
  assert.equal(ssaPolicy({ name: 'x' }), 'Override');
  assert.equal(
    isExcluded({ name: 'x', annotations: { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' } }),
    true,
  );
  assert.equal(isExcluded({ name: 'x', annotations: { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' } }), true);
  assert.equal(
    isPruneDisabled({ name: 'x', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' } }),
    true,
  );
  assert.equal(isPruneDisabled({ name: 'x' }), false);
});

test('owner labels are added to a copy; the manifest given is not mutated', () => {
  const cm: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: 'b' } } };
  const out = withOwnerLabels(cm, { 'kustomize.toolkit.fluxcd.io/name': 'apps' });
  assert.deepEqual(out.metadata.labels, { a: 'b', 'kustomize.toolkit.fluxcd.io/name': 'apps' });
  assert.deepEqual(cm.metadata.labels, { a: 'b' });
});

const kubectlApplied: Manifest = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'x',
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
    managedFields: [
      {
        manager: 'kustomize-controller',
        operation: 'Apply',
        apiVersion: 'v1',
        fieldsV1: { 'f:data': { 'f:a': {} } },
      },
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'v1',
        fieldsV1: { 'f:data': { 'f:b': {} } },
      },
      { manager: 'other', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:data': { 'f:c': {} } } },
    ],
  },
};

test('taking over from kubectl drops last-applied and merges its fields into ours', () => {
  const ops = takeoverPatch(
    kubectlApplied,
    'kustomize-controller',
    defaultTakeoverManagers('kustomize-controller'),
  );
  assert.deepEqual(ops, [
    { op: 'remove', path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration' },
    {
      op: 'replace',
      path: '/metadata/managedFields',
      value: [
        {
          manager: 'kustomize-controller',
          operation: 'Apply',
          apiVersion: 'v1',
          fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } },
        },
        { manager: 'other', operation: 'Update', apiVersion: 'v1', fieldsV1: { 'f:data': { 'f:c': {} } } },
      ],
    },
  ]);
  assert.equal(needsTakeover(kubectlApplied.metadata, defaultTakeoverManagers('kustomize-controller')), true);
  assert.deepEqual(
    takeoverPatch(kubectlApplied, 'kustomize-controller', []).length,
    1,
    'Merge: only annotations',
  );
});

test('the live fingerprint ignores status writes for generation-tracked kinds, not for others', () => {
  const ctx = { desired: { name: 'web', labels: { app: 'web' } }, takeover: [] };
  const dep = { name: 'web', uid: 'u', generation: 2, resourceVersion: '10', labels: { app: 'web' } };
  const fp = liveFingerprint({ group: 'apps', kind: 'Deployment' }, dep, ctx);
  assert.equal(
    liveFingerprint({ group: 'apps', kind: 'Deployment' }, { ...dep, resourceVersion: '11' }, ctx),
    fp,
  );
  assert.equal(
    liveFingerprint(
      { group: 'apps', kind: 'Deployment' },
      { ...dep, annotations: { 'deployment.kubernetes.io/revision': '1' } },
      ctx,
    ),
    fp,
    'annotations the manifest does not set cannot drift',
  );
  assert.notEqual(liveFingerprint({ group: 'apps', kind: 'Deployment' }, { ...dep, generation: 3 }, ctx), fp);
  assert.notEqual(liveFingerprint({ group: 'apps', kind: 'Deployment' }, { ...dep, labels: {} }, ctx), fp);
  assert.notEqual(liveFingerprint({ group: 'apps', kind: 'Deployment' }, { ...dep, uid: 'v' }, ctx), fp);
  const cm = { name: 'c', uid: 'u', resourceVersion: '10' };
  assert.notEqual(
    liveFingerprint({ group: '', kind: 'ConfigMap' }, { ...cm, resourceVersion: '11' }, ctx),
    liveFingerprint({ group: '', kind: 'ConfigMap' }, cm, ctx),
  );
});

test('normalize defaults port protocols and converts stringData, without touching the input', () => {
  const svc: Manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 's' },
    spec: { ports: [{ port: 80 }] },
  };
  assert.deepEqual(normalize(svc).spec, { ports: [{ port: 80, protocol: 'TCP' }] });
  assert.deepEqual(svc.spec, { ports: [{ port: 80 }] });
  const secret: Manifest = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    stringData: { a: 'hi' },
  };
  assert.deepEqual(normalize(secret).data, { a: 'aGk=' });
  const cm: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
  assert.equal(normalize(cm), cm, 'nothing to fix: the same object');
});

test('normalize keeps a stringData key named __proto__ as a data key', () => {
  const secret = JSON.parse(
    '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"b":"Yg=="},"stringData":{"__proto__":"p","a":"hi"}}',
  ) as Manifest;
  const data = normalize(secret).data as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(data), Object.prototype);
  assert.deepEqual(Object.entries(data), [
    ['b', 'Yg=='],
    ['__proto__', 'cA=='],
    ['a', 'aGk='],
  ]);
});

test('requests are classified by verb for the request counts', () => {
  assert.equal(verbOf('GET', '/api/v1'), 'discovery');
  assert.equal(verbOf('GET', '/apis/apps/v1'), 'discovery');
  assert.equal(verbOf('GET', '/api/v1/namespaces'), 'list');
  assert.equal(verbOf('GET', '/api/v1/namespaces/a'), 'get');
  assert.equal(verbOf('GET', '/api/v1/namespaces/a/configmaps'), 'list');
  assert.equal(verbOf('GET', '/apis/apps/v1/namespaces/a/deployments/web'), 'get');
  assert.equal(verbOf('PATCH', '/api/v1/namespaces/a/configmaps/x', { dryRun: 'All' }), 'dry-run');
  assert.equal(verbOf('PATCH', '/api/v1/namespaces/a/configmaps/x'), 'patch');
  assert.equal(verbOf('DELETE', '/api/v1/namespaces/a'), 'delete');
});
