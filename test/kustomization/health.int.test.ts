// Health assessment as a user sees it in the Kustomization's conditions: `wait: true` on objects
// that become Current (Healthy=True), a custom resource whose Ready condition is False
// (HealthCheckFailed naming it and its message), and an object that never becomes ready within
// the timeout (HealthCheckFailed saying what it waited for). spec.timeout is floored at 30s, as in
// Flux, so the failures take that long; the two run side by side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentType } from '../../src/kube/client.js';
import { eventually } from '../helpers/cluster.js';
import { conditionOf, configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-health' });

// A tiny CRD of this file's own (cluster-scoped, so a name no other test uses).
const GROUP = 'kshealth.test.mooring.dev';
await env.kubectl(
  ['apply', '-f', '-'],
  JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gauges.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: 'gauges', singular: 'gauge', kind: 'Gauge', listKind: 'GaugeList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  }),
);
await eventually('gauges served', async () => {
  await env.client.get(`/apis/${GROUP}/v1/namespaces/${env.ns}/gauges`);
  return true;
});

const deployment = (name: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: app
          image: nginx:1.25
`;

const src = await env.source('app', {
  'healthy/deployment.yaml': deployment('idle', 0),
  'healthy/cm.yaml': configMapYaml('healthy', { a: '1' }),
  'gauge/gauge.yaml': `apiVersion: ${GROUP}/v1\nkind: Gauge\nmetadata:\n  name: probe\nspec:\n  level: 3\n`,
  // No scheduler or kubelet in the test cluster: a replica never becomes available.
  'stuck/deployment.yaml': deployment('stuck', 1),
});
const sourceRef = { kind: 'GitRepository' as const, name: 'app' };

// The Gauge exists before the Kustomization adopts it, with a Ready=False status set by "its controller".
await env.kubectl(
  ['apply', '-f', '-'],
  JSON.stringify({
    apiVersion: `${GROUP}/v1`,
    kind: 'Gauge',
    metadata: { name: 'probe' },
    spec: { level: 1 },
  }),
);
await env.client.patch(
  `/apis/${GROUP}/v1/namespaces/${env.ns}/gauges/probe/status`,
  {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ProbeFailing',
          message: 'probe endpoint returned 503',
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    },
  },
  ContentType.mergePatch,
);

// Both failing Kustomizations start now, so their 30s timeouts overlap with the first test. The
// source is ready first: a retry queued while it was not would re-run them as soon as they fail.
await src.waitArtifact(src.revision);
await env.applyKustomization('gauge', {
  sourceRef,
  path: './gauge',
  targetNamespace: env.ns,
  timeout: '5s',
  healthChecks: [{ apiVersion: `${GROUP}/v1`, kind: 'Gauge', name: 'probe' }],
});
await env.applyKustomization('stuck', {
  sourceRef,
  path: './stuck',
  targetNamespace: env.ns,
  timeout: '5s',
  wait: true,
});

test('wait: true — objects that become Current make the Kustomization Healthy', async () => {
  await env.applyKustomization('healthy', {
    sourceRef,
    path: './healthy',
    targetNamespace: env.ns,
    wait: true,
  });
  const ks = await env.waitApplied('healthy', src.revision);
  const healthy = conditionOf(ks, 'Healthy');
  assert.equal(healthy?.status, 'True');
  assert.equal(healthy?.reason, 'Succeeded');
  assert.match(healthy?.message ?? '', /^Health check passed in /);
  assert.equal(conditionOf(ks, 'Reconciling'), undefined);
});

test('a custom resource with Ready=False: HealthCheckFailed naming the object and its message', async () => {
  const ks = await env.waitFailed('gauge', 'HealthCheckFailed', { timeoutMs: 90_000 });
  const ready = readyOf(ks)!;
  assert.match(ready.message, new RegExp(`Gauge/${env.ns}/probe`));
  assert.match(ready.message, /probe endpoint returned 503/);
  const healthy = conditionOf(ks, 'Healthy');
  assert.equal(healthy?.status, 'False');
  assert.equal(healthy?.reason, 'HealthCheckFailed');
  assert.equal(ks.status?.lastAppliedRevision, undefined, 'an unhealthy revision is not recorded as applied');
  assert.equal(ks.status?.lastAttemptedRevision, src.revision);
  const gauge = (await env.get(`/apis/${GROUP}/v1/namespaces/${env.ns}/gauges/probe`)) as unknown as {
    spec: { level: number };
  };
  assert.equal(gauge.spec.level, 3, 'the object itself was applied');
});

test('an object that never becomes ready: HealthCheckFailed after the timeout, saying what it waited for', async () => {
  const ks = await env.waitFailed('stuck', 'HealthCheckFailed', { timeoutMs: 90_000 });
  const ready = readyOf(ks)!;
  assert.match(ready.message, /timeout/);
  assert.match(ready.message, new RegExp(`Deployment/${env.ns}/stuck`));
  assert.equal(conditionOf(ks, 'Healthy')?.status, 'False');
  await env.waitEvent(
    'stuck',
    'a Warning event reports the failed health check',
    (e) => e.type === 'Warning' && e.reason === 'HealthCheckFailed',
  );
});
