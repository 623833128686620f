// CEL health on the real apiserver: a custom resource with no Ready condition (the built-in
// kstatus rules call it Current at once) whose readiness only its healthCheckExprs can judge;
// a failing phase fails the health check; an invalid expression Stalls the Kustomization; and
// dependsOn[].readyExpr replaces the built-in readiness check of the dependency.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentType } from '../../src/kube/client.js';
import { eventually } from '../helpers/cluster.js';
import { conditionOf, configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-cel' });

const GROUP = 'celhealth.test.mooring.dev';
await env.kubectl(
  ['apply', '-f', '-'],
  JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `pipelines.${GROUP}` },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: { plural: 'pipelines', singular: 'pipeline', kind: 'Pipeline', listKind: 'PipelineList' },
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
await eventually('pipelines served', async () => {
  await env.client.get(`/apis/${GROUP}/v1/namespaces/${env.ns}/pipelines`);
  return true;
});

const pipeline = (name: string) =>
  `apiVersion: ${GROUP}/v1\nkind: Pipeline\nmetadata:\n  name: ${name}\nspec:\n  steps: 3\n`;
const src = await env.source('app', {
  'build/pipeline.yaml': pipeline('build'),
  'deploy/pipeline.yaml': pipeline('deploy'),
  'base/cm.yaml': configMapYaml('base', { a: '1' }),
  'top/cm.yaml': configMapYaml('top', { a: '1' }),
});
await src.waitArtifact(src.revision);
const sourceRef = { kind: 'GitRepository' as const, name: 'app' };
const exprs = [
  {
    apiVersion: `${GROUP}/v1`,
    kind: 'Pipeline',
    inProgress: "has(status.phase) && status.phase == 'Running'",
    failed: "status.phase == 'Failed'",
    current: "status.phase == 'Succeeded' && status.completedSteps == spec.steps",
  },
];

const setPhase = (name: string, status: Record<string, unknown>) =>
  env.client.patch(
    `/apis/${GROUP}/v1/namespaces/${env.ns}/pipelines/${name}/status`,
    { status },
    ContentType.mergePatch,
  );

test('healthCheckExprs: a Pipeline is healthy only when its expressions say so', async () => {
  await env.applyKustomization('build', {
    sourceRef,
    path: './build',
    targetNamespace: env.ns,
    timeout: '2m',
    wait: true,
    healthCheckExprs: exprs,
  });
  // Applied, then held in the health check: the built-in rules would call it Current at once
  // (no Ready condition), and the Kustomization would be Ready as soon as the object exists.
  await eventually('Pipeline build applied', () =>
    env.get(`/apis/${GROUP}/v1/namespaces/${env.ns}/pipelines/build`),
  );
  assert.notEqual(readyOf(await env.kustomization('build'))?.status, 'True');
  await setPhase('build', { phase: 'Running', completedSteps: 1 });
  await setPhase('build', { phase: 'Succeeded', completedSteps: 2 });
  const still = await env.kustomization('build');
  assert.notEqual(readyOf(still)?.status, 'True', 'completedSteps != spec.steps: not current yet');
  await setPhase('build', { phase: 'Succeeded', completedSteps: 3 });
  const ks = await env.waitApplied('build', src.revision);
  assert.equal(conditionOf(ks, 'Healthy')?.status, 'True');
});

test('healthCheckExprs: the failed expression fails the health check at once', async () => {
  await env.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: `${GROUP}/v1`,
      kind: 'Pipeline',
      metadata: { name: 'deploy' },
      spec: { steps: 3 },
    }),
  );
  await setPhase('deploy', { phase: 'Failed' });
  const started = Date.now();
  await env.applyKustomization('deploy', {
    sourceRef,
    path: './deploy',
    targetNamespace: env.ns,
    timeout: '5m',
    healthChecks: [{ apiVersion: `${GROUP}/v1`, kind: 'Pipeline', name: 'deploy' }],
    healthCheckExprs: exprs,
  });
  const ks = await env.waitFailed('deploy', 'HealthCheckFailed');
  assert.ok(Date.now() - started < 60_000, 'fail-fast, not the 5 minute timeout');
  assert.match(readyOf(ks)!.message, new RegExp(`Pipeline/${env.ns}/deploy`));
});

test('an invalid expression: Stalled, reason InvalidCELExpression, nothing applied', async () => {
  await env.applyKustomization('invalid', {
    sourceRef,
    path: './base',
    targetNamespace: env.ns,
    wait: true,
    healthCheckExprs: [
      { apiVersion: `${GROUP}/v1`, kind: 'Pipeline', current: "status.phase == 'Succeeded' &&" },
    ],
  });
  const ks = await env.waitFailed('invalid', 'InvalidCELExpression');
  assert.equal(conditionOf(ks, 'Stalled')?.status, 'True');
  assert.equal(conditionOf(ks, 'Stalled')?.reason, 'InvalidCELExpression');
  assert.match(readyOf(ks)!.message, /spec\.healthCheckExprs\[0\]/);
  assert.equal(ks.status?.observedGeneration, ks.metadata.generation);
  assert.equal(await env.configMap('base'), undefined);
});

test('dependsOn readyExpr replaces the built-in readiness check', async () => {
  // The dependency is never Ready (its path does not exist) but carries the label readyExpr wants.
  await env.applyKustomization('dep', { sourceRef, path: './nowhere' }, { labels: { tier: 'base' } });
  await env.waitFailed('dep', 'ArtifactFailed');
  await env.applyKustomization('by-expr', {
    sourceRef,
    path: './top',
    targetNamespace: env.ns,
    dependsOn: [
      { name: 'dep', readyExpr: "dep.metadata.labels.tier == 'base' && self.metadata.name == 'by-expr'" },
    ],
  });
  await env.applyKustomization('built-in', {
    sourceRef,
    path: './base',
    targetNamespace: env.ns,
    dependsOn: [{ name: 'dep' }],
  });
  await env.waitApplied('by-expr', src.revision);
  const blocked = await env.waitFailed('built-in', 'DependencyNotReady');
  assert.match(readyOf(blocked)!.message, /dependency '.*\/dep' is not ready/);

  await env.applyKustomization('bad-expr', {
    sourceRef,
    path: './top',
    dependsOn: [{ name: 'dep', readyExpr: "dep.metadata.labels.tier == 'base' +" }],
  });
  const bad = await env.waitFailed('bad-expr', 'InvalidCELExpression');
  assert.match(readyOf(bad)!.message, /spec\.dependsOn\[0\]\.readyExpr/);
  assert.equal(conditionOf(bad, 'Stalled')?.status, 'True');
});
