import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ConditionType,
  conditionTime,
  GitRepositoryReason,
  getCondition,
  isReadyAndObserved,
  isTrue,
  isUnknown,
  KustomizationReason,
  markReady,
  markReconciled,
  markReconciling,
  markStalled,
  type ObjectWithConditions,
  removeCondition,
  setCondition,
  withCondition,
} from '../../src/api/conditions.js';

const t0 = new Date('2024-05-01T10:00:00.123Z');
const t1 = new Date('2024-05-01T10:05:00.999Z');
const t2 = new Date('2024-05-01T10:10:00Z');

function object(generation = 1): ObjectWithConditions & { status?: { observedGeneration?: number } } {
  return { metadata: { generation } };
}

test('conditionTime serializes like metav1.Time (UTC, whole seconds)', () => {
  assert.equal(conditionTime(t0), '2024-05-01T10:00:00Z');
});

test('a new condition gets the transition time and the object generation', () => {
  const obj = object(3);
  markReady(obj, 'Unknown', 'Progressing', 'Reconciliation in progress', { now: t0 });
  assert.deepEqual(getCondition(obj, 'Ready'), {
    type: 'Ready',
    status: 'Unknown',
    observedGeneration: 3,
    lastTransitionTime: '2024-05-01T10:00:00Z',
    reason: 'Progressing',
    message: 'Reconciliation in progress',
  });
});

test('lastTransitionTime changes only when the status changes', () => {
  const obj = object();
  markReady(obj, 'False', 'BuildFailed', 'first', { now: t0 });
  markReady(obj, 'False', 'ArtifactFailed', 'second', { now: t1 });
  const same = getCondition(obj, 'Ready')!;
  assert.equal(same.lastTransitionTime, '2024-05-01T10:00:00Z', 'same status keeps the time');
  assert.equal(same.reason, 'ArtifactFailed', 'reason is updated in place');
  assert.equal(same.message, 'second');

  markReady(obj, 'True', 'ReconciliationSucceeded', 'Applied revision: main@sha1:abc', { now: t2 });
  assert.equal(getCondition(obj, 'Ready')!.lastTransitionTime, '2024-05-01T10:10:00Z');
});

test('observedGeneration follows the object generation on every set', () => {
  const obj = object(1);
  markReady(obj, 'True', 'Succeeded', 'ok', { now: t0 });
  obj.metadata.generation = 2;
  markReady(obj, 'True', 'Succeeded', 'ok', { now: t1 });
  const c = getCondition(obj, 'Ready')!;
  assert.equal(c.observedGeneration, 2);
  assert.equal(c.lastTransitionTime, '2024-05-01T10:00:00Z');
});

test('Reconciling and Stalled are never both present', () => {
  const obj = object();
  markStalled(obj, 'InvalidCELExpression', 'bad expr', { now: t0 });
  assert.ok(isTrue(obj, ConditionType.Stalled));
  markReconciling(obj, 'Progressing', 'Fetching manifests', { now: t1 });
  assert.ok(isTrue(obj, ConditionType.Reconciling));
  assert.equal(getCondition(obj, ConditionType.Stalled), undefined);
  markStalled(obj, 'AccessDenied', 'cross-namespace', { now: t2 });
  assert.equal(getCondition(obj, ConditionType.Reconciling), undefined);
});

test('markReconciled leaves only Ready=True of the kstatus conditions', () => {
  const obj = object();
  markReconciling(obj, 'Progressing', 'working', { now: t0 });
  markReady(obj, 'Unknown', 'Progressing', 'working', { now: t0 });
  markReconciled(obj, KustomizationReason.ReconciliationSucceeded, 'Applied revision: x', { now: t1 });
  assert.deepEqual(
    obj.status!.conditions!.map((c) => `${c.type}=${c.status}`),
    ['Ready=True'],
  );
});

test('conditions are sorted Stalled, Reconciling, Ready, then by type', () => {
  let list = withCondition(
    [],
    { type: 'SourceVerified', status: 'True', reason: 'Succeeded', message: '' },
    1,
  );
  list = withCondition(
    list,
    { type: 'ArtifactInStorage', status: 'True', reason: 'Succeeded', message: '' },
    1,
  );
  list = withCondition(list, { type: 'Ready', status: 'True', reason: 'Succeeded', message: '' }, 1);
  list = withCondition(list, { type: 'Reconciling', status: 'True', reason: 'Progressing', message: '' }, 1);
  list = withCondition(list, { type: 'Stalled', status: 'True', reason: 'Failed', message: '' }, 1);
  assert.deepEqual(
    list.map((c) => c.type),
    ['Stalled', 'Reconciling', 'Ready', 'ArtifactInStorage', 'SourceVerified'],
  );
});

test('withCondition does not mutate its input', () => {
  const before = withCondition([], { type: 'Ready', status: 'False', reason: 'Failed', message: 'a' }, 1, {
    now: t0,
  });
  const snapshot = structuredClone(before);
  withCondition(before, { type: 'Ready', status: 'True', reason: 'Succeeded', message: 'b' }, 1, { now: t1 });
  assert.deepEqual(before, snapshot);
});

test('removeCondition and isUnknown', () => {
  const obj = object();
  assert.ok(isUnknown(obj, 'Ready'), 'absent counts as unknown');
  setCondition(obj, { type: 'Healthy', status: 'True', reason: 'Succeeded', message: 'ok' }, { now: t0 });
  removeCondition(obj, 'Healthy');
  assert.deepEqual(obj.status!.conditions, []);
  removeCondition(object(), 'Healthy');
});

test('isReadyAndObserved requires Ready=True for the current generation', () => {
  const obj = object(2);
  markReady(obj, 'True', 'Succeeded', 'ok');
  assert.equal(isReadyAndObserved(obj), false, 'observedGeneration not yet 2');
  obj.status!.observedGeneration = 2;
  assert.equal(isReadyAndObserved(obj), true);
  markReady(obj, 'False', 'Failed', 'no');
  assert.equal(isReadyAndObserved(obj), false);
});

test('reason constants carry Flux spellings', () => {
  assert.equal(GitRepositoryReason.GitOperationFailed, 'GitOperationFailed');
  assert.equal(GitRepositoryReason.NewRevision, 'NewRevision');
  assert.equal(KustomizationReason.ReconciliationSucceeded, 'ReconciliationSucceeded');
  assert.equal(KustomizationReason.DependencyNotReady, 'DependencyNotReady');
  const pattern = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
  for (const r of [...Object.values(GitRepositoryReason), ...Object.values(KustomizationReason)]) {
    assert.match(r, pattern, `${r} must satisfy the CRD reason pattern`);
  }
});
