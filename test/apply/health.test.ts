import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeHealth } from '../../src/apply/health.js';
import type { Manifest } from '../../src/kube/dynamic.js';

const obj = (
  apiVersion: string,
  kind: string,
  rest: Record<string, unknown> = {},
  generation = 1,
): Manifest => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'ns', generation },
  ...rest,
});

const status = (o: Manifest) => computeHealth(o).status;

test('generic rules: deletion, unobserved generation, Reconciling and Stalled', () => {
  assert.equal(computeHealth(undefined).status, 'NotFound');
  const deleting = obj('v1', 'ConfigMap');
  deleting.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
  assert.equal(status(deleting), 'Terminating');
  assert.equal(
    status(obj('example.com/v1', 'Widget', { status: { observedGeneration: 1 } }, 2)),
    'InProgress',
  );
  assert.equal(
    status(
      obj('example.com/v1', 'Widget', { status: { conditions: [{ type: 'Reconciling', status: 'True' }] } }),
    ),
    'InProgress',
  );
  assert.deepEqual(
    computeHealth(
      obj('example.com/v1', 'Widget', {
        status: { conditions: [{ type: 'Stalled', status: 'True', message: 'broken' }] },
      }),
    ),
    { status: 'Failed', message: 'broken' },
  );
  assert.equal(status(obj('v1', 'ConfigMap')), 'Current');
});

test('custom resources follow their Ready condition, checked against the generation', () => {
  const cr = (ready: Record<string, unknown>, generation = 1) =>
    obj(
      'example.com/v1',
      'Widget',
      { status: { observedGeneration: generation, conditions: [{ type: 'Ready', ...ready }] } },
      generation,
    );
  assert.equal(status(cr({ status: 'True' })), 'Current');
  assert.equal(status(cr({ status: 'False', message: 'waiting' })), 'InProgress');
  assert.equal(status(cr({ status: 'Unknown' })), 'InProgress');
  assert.equal(status(cr({ status: 'True', observedGeneration: 1 }, 2)), 'InProgress', 'stale condition');
  assert.equal(status(obj('example.com/v1', 'Widget', { status: {} })), 'Current', 'no Ready condition');
});

const deployment = (specReplicas: number, st: Record<string, unknown>) =>
  obj('apps/v1', 'Deployment', {
    spec: { replicas: specReplicas },
    status: { observedGeneration: 1, ...st },
  });
const available = [
  { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
  { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
];

test('Deployment: replicas, updated/ready/available counts and rollout conditions', () => {
  assert.deepEqual(computeHealth(deployment(0, { conditions: available })), {
    status: 'Current',
    message: 'Deployment is available. Replicas: 0',
  });
  assert.equal(status(deployment(0, {})), 'InProgress', 'no conditions yet');
  assert.equal(
    status(deployment(2, { replicas: 2, updatedReplicas: 1, conditions: available })),
    'InProgress',
  );
  assert.equal(
    status(
      deployment(1, {
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: available,
      }),
    ),
    'Current',
  );
  assert.equal(
    status(
      deployment(1, {
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
      }),
    ),
    'Failed',
  );
  assert.equal(
    status(deployment(1, { replicas: 2, updatedReplicas: 1, conditions: available })),
    'InProgress',
  );
});

test('StatefulSet, DaemonSet, ReplicaSet', () => {
  const sts = (st: Record<string, unknown>, spec: Record<string, unknown> = { replicas: 1 }) =>
    obj('apps/v1', 'StatefulSet', { spec, status: { observedGeneration: 1, ...st } });
  const settled = {
    replicas: 1,
    readyReplicas: 1,
    currentReplicas: 1,
    updatedReplicas: 1,
    currentRevision: 'a',
    updateRevision: 'a',
  };
  assert.equal(status(sts(settled)), 'Current');
  assert.equal(status(sts({ ...settled, updateRevision: 'b' })), 'InProgress');
  assert.equal(status(sts({}, { replicas: 3, updateStrategy: { type: 'OnDelete' } })), 'Current');

  const ds = (st: Record<string, unknown>) =>
    obj('apps/v1', 'DaemonSet', { status: { observedGeneration: 1, ...st } });
  assert.equal(status(ds({})), 'InProgress');
  assert.equal(
    status(
      ds({
        desiredNumberScheduled: 2,
        currentNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberReady: 2,
        numberAvailable: 2,
      }),
    ),
    'Current',
  );
  assert.equal(status(ds({ desiredNumberScheduled: 2, currentNumberScheduled: 1 })), 'InProgress');

  const rs = (st: Record<string, unknown>) =>
    obj('apps/v1', 'ReplicaSet', { spec: { replicas: 1 }, status: { observedGeneration: 1, ...st } });
  assert.equal(
    status(rs({ replicas: 1, fullyLabeledReplicas: 1, availableReplicas: 1, readyReplicas: 1 })),
    'Current',
  );
  assert.equal(status(rs({ conditions: [{ type: 'ReplicaFailure', status: 'True' }] })), 'InProgress');
});

test('Job, Pod, PVC, Service and CRD', () => {
  const job = (st: Record<string, unknown>) => obj('batch/v1', 'Job', { spec: {}, status: st });
  assert.equal(status(job({})), 'InProgress');
  assert.equal(
    status(job({ startTime: 't', conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 })),
    'Current',
  );
  assert.equal(status(job({ startTime: 't', conditions: [{ type: 'Failed', status: 'True' }] })), 'Failed');

  const pod = (st: Record<string, unknown>) => obj('v1', 'Pod', { status: st });
  assert.equal(status(pod({ phase: 'Pending' })), 'InProgress');
  assert.equal(status(pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] })), 'Current');
  assert.equal(status(pod({ phase: 'Succeeded' })), 'Current');
  assert.equal(status(pod({ phase: 'Failed' })), 'Failed');
  assert.equal(
    status(
      pod({
        phase: 'Running',
        containerStatuses: [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
      }),
    ),
    'Failed',
  );

  assert.equal(status(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Pending' } })), 'InProgress');
  assert.equal(status(obj('v1', 'PersistentVolumeClaim', { status: { phase: 'Bound' } })), 'Current');

  assert.equal(status(obj('v1', 'Service', { spec: { type: 'ClusterIP' } })), 'Current');
  assert.equal(status(obj('v1', 'Service', { spec: { type: 'LoadBalancer' }, status: {} })), 'InProgress');
  assert.equal(
    status(
      obj('v1', 'Service', {
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } },
      }),
    ),
    'Current',
  );

  const crd = (conds: object[]) =>
    obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', { status: { conditions: conds } });
  assert.equal(status(crd([])), 'InProgress');
  assert.equal(status(crd([{ type: 'Established', status: 'True' }])), 'Current');
  assert.equal(status(crd([{ type: 'NamesAccepted', status: 'False', message: 'conflict' }])), 'Failed');
});
