// summarize: the one place a pass's outcome becomes status, events, the log line and the requeue.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import type { DriftedObject } from '../../src/apply/apply.js';
import { ChangeSet } from '../../src/apply/changeset.js';
import { type Applied, KustomizationStepError } from '../../src/kustomization/outcome.js';
import { summarize } from '../../src/kustomization/summarize.js';

const REVISION = 'main@sha1:bbb';
const NOW = new Date('2026-01-01T12:00:00Z');
const MINUTE = 60_000;

function ks(edit: (k: Kustomization) => void = () => undefined): Kustomization {
  const k = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'app', namespace: 'default', generation: 3 },
    spec: {
      interval: '10m',
      retryInterval: '2m',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'repo' },
    },
    status: { observedGeneration: 2, lastAppliedRevision: 'main@sha1:aaa' },
  } as unknown as Kustomization;
  edit(k);
  return k;
}

const condition = (k: Kustomization, type: string) => k.status?.conditions?.find((c) => c.type === type);
const ref = (name: string) => ({ group: '', version: 'v1', kind: 'ConfigMap', name, namespace: 'default' });

function applied(
  actions: Record<string, 'created' | 'configured' | 'unchanged'>,
  extra: Partial<Applied> = {},
): Applied {
  const changeSet = new ChangeSet();
  for (const [name, action] of Object.entries(actions)) changeSet.add(ref(name), action);
  return {
    kind: 'applied',
    revision: REVISION,
    changeSet,
    inventory: changeSet.toInventory(),
    digest: 'sha256:new',
    changed: changeSet.changed,
    ...extra,
  };
}

const failed = (error: KustomizationStepError) => ({ kind: 'failed' as const, error, revision: REVISION });

test('a retryable failure: Ready False with the step reason, Reconciling with retry, a Warning event, retryInterval', () => {
  const k = ks();
  const verdict = summarize(
    k,
    failed(new KustomizationStepError('BuildFailed', 'kustomize build failed: boom')),
    {
      tookMs: 10,
      now: NOW,
    },
  );
  assert.deepEqual(
    [condition(k, 'Ready')?.status, condition(k, 'Ready')?.reason, condition(k, 'Ready')?.message],
    ['False', 'BuildFailed', 'kustomize build failed: boom'],
  );
  assert.equal(condition(k, 'Reconciling')?.reason, 'ProgressingWithRetry');
  assert.equal(condition(k, 'Stalled'), undefined);
  assert.equal(k.status?.lastAttemptedRevision, REVISION);
  assert.equal(k.status?.lastAppliedRevision, 'main@sha1:aaa', 'the last applied revision stays');
  assert.equal(k.status?.observedGeneration, 2, 'a retryable failure does not observe the generation');
  assert.deepEqual(verdict.events, [
    { type: 'Warning', reason: 'BuildFailed', message: 'kustomize build failed: boom', revision: REVISION },
  ]);
  assert.equal(verdict.requeueAfterMs, 2 * MINUTE);
  assert.equal(verdict.log.level, 'error');
  assert.equal(verdict.log.message, 'Reconciliation failed');
  assert.equal(verdict.drift, undefined);
});

test('a stalled failure: Stalled, the generation observed, a Warning event, no requeue', () => {
  const k = ks();
  const verdict = summarize(
    k,
    failed(new KustomizationStepError('InvalidCELExpression', 'bad expression', { stalled: true })),
    { tookMs: 10, now: NOW },
  );
  assert.equal(condition(k, 'Stalled')?.reason, 'InvalidCELExpression');
  assert.equal(condition(k, 'Reconciling'), undefined);
  assert.equal(condition(k, 'Ready')?.reason, 'InvalidCELExpression');
  assert.equal(k.status?.observedGeneration, 3);
  assert.equal(verdict.events[0]?.type, 'Warning');
  assert.equal(verdict.requeueAfterMs, undefined);
});

test('a dependency not ready: a Normal event, requeued after the dependency interval', () => {
  const k = ks();
  const verdict = summarize(
    k,
    failed(
      new KustomizationStepError('DependencyNotReady', 'Dependencies do not meet ready condition', {
        retryAfterMs: 5_000,
      }),
    ),
    { tookMs: 10, now: NOW },
  );
  assert.equal(condition(k, 'Ready')?.reason, 'DependencyNotReady');
  assert.deepEqual(
    verdict.events.map((e) => [e.type, e.reason]),
    [['Normal', 'DependencyNotReady']],
  );
  assert.equal(verdict.requeueAfterMs, 5_000);
});

test('a quiet failure (no artifact yet): status and an info log, no event', () => {
  const k = ks();
  const verdict = summarize(
    k,
    {
      kind: 'failed',
      error: new KustomizationStepError('ArtifactFailed', 'Source artifact not found', {
        retryAfterMs: 30_000,
        quiet: true,
      }),
    },
    { tookMs: 10, now: NOW },
  );
  assert.equal(condition(k, 'Ready')?.reason, 'ArtifactFailed');
  assert.equal(k.status?.lastAttemptedRevision, undefined);
  assert.deepEqual(verdict.events, []);
  assert.equal(verdict.log.level, 'info');
  assert.equal(verdict.requeueAfterMs, 30_000);
});

test('a failure carrying an inventory replaces it (nothing created can be orphaned)', () => {
  const k = ks();
  const inventory = [{ id: 'default_a__ConfigMap', v: 'v1' }];
  summarize(k, failed(new KustomizationStepError('ReconciliationFailed', 'apply failed', { inventory })), {
    tookMs: 1,
    now: NOW,
  });
  assert.deepEqual(k.status?.inventory, { entries: inventory });
});

/** Flux's per-pass success event (notification-controller makes it a commit status). */
const succeeded = (token: string) => ({
  notifyOnly: true,
  type: 'Normal',
  reason: 'ReconciliationSucceeded',
  message: `Reconciliation finished revision ${REVISION}, next run in 10m0s`,
  revision: REVISION,
  metadata: {
    'kustomize.toolkit.fluxcd.io/commit_status': 'update',
    'kustomize.toolkit.fluxcd.io/token': token,
  },
});
const withoutSuccess = (events: readonly { reason: string }[]) =>
  events.filter((e) => e.reason !== 'ReconciliationSucceeded');

test('an apply that changed objects: Ready True, a Progressing event with the changed lines, the interval', () => {
  const k = ks();
  const verdict = summarize(k, applied({ a: 'created', b: 'configured', c: 'unchanged' }), {
    tookMs: 1_500,
    now: NOW,
    token: 'pass-1',
  });
  assert.deepEqual(
    [condition(k, 'Ready')?.status, condition(k, 'Ready')?.reason, condition(k, 'Ready')?.message],
    ['True', 'ReconciliationSucceeded', `Applied revision: ${REVISION}`],
  );
  assert.equal(k.status?.lastAppliedRevision, REVISION);
  assert.equal(k.status?.observedGeneration, 3);
  assert.equal(k.status?.inventory?.entries.length, 3);
  assert.deepEqual(verdict.events, [
    {
      type: 'Normal',
      reason: 'Progressing',
      message: 'ConfigMap/default/a created\nConfigMap/default/b configured',
      revision: REVISION,
    },
    succeeded('pass-1'),
  ]);
  assert.equal(verdict.requeueAfterMs, 10 * MINUTE);
  assert.equal(verdict.log.level, 'info');
  assert.match(verdict.log.message, /^Reconciliation finished in 1\.5s, next run in 10m/);
  assert.deepEqual(verdict.log.fields.output, {
    'ConfigMap/default/a': 'created',
    'ConfigMap/default/b': 'configured',
    'ConfigMap/default/c': 'unchanged',
  });
  const [snapshot] = k.status?.history ?? [];
  assert.equal(snapshot?.digest, 'sha256:new');
  assert.equal(snapshot?.totalReconciliations, 1);
  assert.equal(snapshot?.lastReconciled, '2026-01-01T12:00:00Z');
});

test('nothing changed: only the success event, no output in the log, the history snapshot kept as it was', () => {
  const k = ks();
  summarize(k, applied({ a: 'created' }), { tookMs: 10, now: NOW });
  const before = structuredClone(k.status?.history);
  const verdict = summarize(k, applied({ a: 'unchanged' }), {
    tookMs: 20,
    now: new Date(NOW.getTime() + 10 * MINUTE),
    token: 'pass-2',
  });
  assert.deepEqual(verdict.events, [succeeded('pass-2')]);
  const third = summarize(k, applied({ a: 'unchanged' }), { tookMs: 20, now: NOW });
  assert.notEqual(
    third.events[0]?.metadata?.['kustomize.toolkit.fluxcd.io/token'],
    'pass-2',
    'each pass has its own token (Kubernetes does not fold them into one Event)',
  );
  assert.equal(verdict.log.fields.output, undefined);
  assert.deepEqual(k.status?.history, before, 'steady state writes no status');
  assert.equal(verdict.requeueAfterMs, 10 * MINUTE);
});

test('a handled sync request is recorded, on success and on failure', () => {
  const requested = (k: Kustomization) => {
    k.metadata.annotations = { 'reconcile.fluxcd.io/requestedAt': '2026-01-01T11:59:00Z' };
  };
  const ok = ks(requested);
  summarize(ok, applied({ a: 'unchanged' }), { tookMs: 1, now: NOW });
  assert.equal(ok.status?.lastHandledReconcileAt, '2026-01-01T11:59:00Z');
  const bad = ks(requested);
  summarize(bad, failed(new KustomizationStepError('BuildFailed', 'x')), { tookMs: 1, now: NOW });
  assert.equal(bad.status?.lastHandledReconcileAt, '2026-01-01T11:59:00Z');
});

const drifted: DriftedObject[] = [
  { ref: ref('a'), subject: 'ConfigMap/default/a', paths: ['data.v'], corrected: false },
];

test('report-only drift: one Warning event per change of the drift, the gauge on every pass', () => {
  const pass = (reportedDrift?: string) =>
    summarize(ks(), applied({ a: 'unchanged' }, { drift: { mode: 'report', objects: drifted } }), {
      tookMs: 1,
      now: NOW,
      ...(reportedDrift !== undefined ? { reportedDrift } : {}),
    });
  const first = pass();
  assert.deepEqual(withoutSuccess(first.events), [
    {
      type: 'Warning',
      reason: 'DriftDetected',
      message: 'Drift left in place (report-only):\nConfigMap/default/a: data.v',
      revision: REVISION,
    },
  ]);
  assert.deepEqual(first.drift && [first.drift.reported, first.drift.drifted, first.drift.corrected], [
    'ConfigMap/default/a: data.v',
    1,
    0,
  ]);
  const again = pass(first.drift?.reported);
  assert.deepEqual(withoutSuccess(again.events), [], 'the same drift is not announced twice');
  assert.equal(again.drift?.drifted, 1);
  const k = ks();
  summarize(k, applied({ a: 'unchanged' }, { drift: { mode: 'report', objects: drifted } }), {
    tookMs: 1,
    now: NOW,
  });
  assert.equal(condition(k, 'Drifted')?.reason, 'DriftDetected');
});

test('corrected drift: a Normal DriftCorrected event before the change set, counted, nothing remembered', () => {
  const verdict = summarize(
    ks(),
    applied(
      { a: 'configured' },
      { drift: { mode: 'correct', objects: drifted.map((d) => ({ ...d, corrected: true })) } },
    ),
    { tookMs: 1, now: NOW, reportedDrift: 'ConfigMap/default/a: data.v' },
  );
  assert.deepEqual(
    verdict.events.map((e) => [e.type, e.reason, e.message]),
    [
      ['Normal', 'DriftCorrected', 'Drift corrected:\nConfigMap/default/a: data.v'],
      ['Normal', 'Progressing', 'ConfigMap/default/a configured'],
      [
        'Normal',
        'ReconciliationSucceeded',
        `Reconciliation finished revision ${REVISION}, next run in 10m0s`,
      ],
    ],
  );
  assert.deepEqual(
    verdict.drift && [verdict.drift.reported, verdict.drift.drifted, verdict.drift.corrected],
    [undefined, 0, 1],
  );
});
