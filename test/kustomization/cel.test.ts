// CEL in a Kustomization: health check expressions evaluated as Flux's StatusEvaluator does, and
// dependsOn readyExpr over `self` and `dep`; invalid expressions are refused up front.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { compileBoolExpression, InvalidCelExpression } from '../../src/kustomization/cel.js';
import { checkReadyExpressions, unreadyDependency } from '../../src/kustomization/dependencies.js';
import { healthExpressions } from '../../src/kustomization/healthexprs.js';

const sealed = (synced: string, extra: Record<string, unknown> = {}): Manifest =>
  ({
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    metadata: { name: 's', namespace: 'n', generation: 2 },
    status: { observedGeneration: 2, conditions: [{ type: 'Synced', status: synced }], ...extra },
  }) as unknown as Manifest;

const checks = [
  {
    apiVersion: 'bitnami.com/v1alpha1',
    kind: 'SealedSecret',
    failed: "status.conditions.filter(e, e.type == 'Synced').all(e, e.status == 'False')",
    current: "status.conditions.filter(e, e.type == 'Synced').all(e, e.status == 'True')",
  },
];

test("healthCheckExprs: Flux's SealedSecret example — Current, Failed, InProgress", () => {
  const statusOf = healthExpressions(checks)!;
  assert.equal(statusOf(sealed('True'))?.status, 'Current');
  assert.equal(statusOf(sealed('False'))?.status, 'Failed');
  assert.equal(statusOf(sealed('Unknown'))?.status, 'InProgress', 'none true: InProgress');
  const stale = sealed('True');
  (stale.status as { observedGeneration: number }).observedGeneration = 1;
  assert.equal(statusOf(stale)?.status, 'InProgress', 'a stale observedGeneration wins');
  const other = { ...sealed('True'), apiVersion: 'v1', kind: 'ConfigMap' } as Manifest;
  assert.equal(statusOf(other), undefined, 'other kinds keep the built-in rules');
  const v2 = { ...sealed('True'), apiVersion: 'bitnami.com/v2' } as Manifest;
  assert.equal(statusOf(v2)?.status, 'Current', 'matched by group and kind, any version');
});

test('healthCheckExprs: inProgress is evaluated first; int fields are CEL ints; errors are Unknown', () => {
  const statusOf = healthExpressions([
    {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      inProgress: 'status.phase == "Pending"',
      current: 'status.readyReplicas == spec.replicas && status.readyReplicas + 1 > 1',
    },
  ])!;
  const w = (status: Record<string, unknown>) =>
    ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { replicas: 2 },
      status,
    }) as unknown as Manifest;
  assert.equal(statusOf(w({ phase: 'Pending', readyReplicas: 2 }))?.status, 'InProgress');
  assert.equal(statusOf(w({ phase: 'Running', readyReplicas: 2 }))?.status, 'Current');
  assert.equal(statusOf(w({ phase: 'Running', readyReplicas: 1 }))?.status, 'InProgress');
  const missing = statusOf(w({ readyReplicas: 2 }));
  assert.equal(missing?.status, 'Unknown');
  assert.match(missing!.message, /phase/);
});

test('invalid expressions are refused before anything runs, naming the entry', () => {
  assert.throws(
    () => healthExpressions([{ apiVersion: 'v1', kind: 'X', current: 'status.conditions.all(e, ' }]),
    (err: Error) =>
      err instanceof InvalidCelExpression && /spec\.healthCheckExprs\[0\].*current/.test(err.message),
  );
  const ks = (readyExpr: string) =>
    ({
      metadata: { name: 'a', namespace: 'n' },
      spec: { dependsOn: [{ name: 'b', readyExpr }] },
    }) as unknown as Kustomization;
  assert.throws(() => checkReadyExpressions(ks('dep.status.')), /spec\.dependsOn\[0\]\.readyExpr/);
  assert.throws(
    () => checkReadyExpressions(ks('unknown.x == 1')),
    InvalidCelExpression,
    'undeclared variable',
  );
  assert.throws(() => checkReadyExpressions(ks('"a" + "b"')), /expected bool/);
  assert.doesNotThrow(() => checkReadyExpressions(ks("dep.metadata.name == 'b'")));
});

test('readyExpr replaces the built-in readiness check of the dependency', () => {
  const dep = {
    metadata: { name: 'b', namespace: 'n', generation: 3, annotations: { 'app/version': '2' } },
    spec: { sourceRef: { kind: 'GitRepository', name: 'x' } },
    status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False' }] },
  } as unknown as Kustomization;
  const self = (readyExpr?: string) =>
    ({
      metadata: { name: 'a', namespace: 'n', annotations: { 'app/version': '2' } },
      spec: { sourceRef: { kind: 'GitRepository', name: 'x' }, dependsOn: [{ name: 'b', readyExpr }] },
    }) as unknown as Kustomization;
  const lookup = () => dep;
  assert.match(unreadyDependency(self(), lookup, 'r')!, /is not ready/, 'built-in: not ready');
  const expr = "self.metadata.annotations['app/version'] == dep.metadata.annotations['app/version']";
  assert.equal(unreadyDependency(self(expr), lookup, 'r'), undefined, 'readyExpr true: ready');
  assert.match(unreadyDependency(self(`${expr} && dep.kind == 'Nope'`), lookup, 'r')!, /readyExpr/);
  assert.equal(
    compileBoolExpression("dep.kind == 'Kustomization'", ['self', 'dep']).evaluate({
      self: {},
      dep: { kind: 'Kustomization' },
    }),
    true,
  );
});
