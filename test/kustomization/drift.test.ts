// The drift mode annotation, the Drifted condition and the DRIFT column of `mooring get`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import type { DriftedObject } from '../../src/apply/apply.js';
import {
  describeDrift,
  driftColumn,
  driftMode,
  InvalidDriftMode,
  recordDrift,
} from '../../src/kustomization/drift.js';

const ks = (annotations?: Record<string, string>): Kustomization =>
  ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name: 'apps',
      namespace: 'flux-system',
      generation: 1,
      ...(annotations ? { annotations } : {}),
    },
    spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
  }) as unknown as Kustomization;

const ref = { group: '', version: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'cfg' };
const drifted = (corrected: boolean): DriftedObject[] => [
  { ref, subject: 'ConfigMap/apps/cfg', paths: ['data.color'], corrected },
  {
    ref: { ...ref, group: 'apps', kind: 'Deployment', name: 'web' },
    subject: 'Deployment/apps/web',
    paths: ['spec.replicas'],
    corrected,
  },
];
const drift = (k: Kustomization) => k.status?.conditions?.find((c) => c.type === 'Drifted');

test('the annotation: absent or "correct" corrects, "report" reports, anything else is refused', () => {
  assert.equal(driftMode(ks()), 'correct');
  assert.equal(driftMode(ks({ 'mooring.dev/drift': 'correct' })), 'correct');
  assert.equal(driftMode(ks({ 'mooring.dev/drift': 'report' })), 'report');
  assert.throws(() => driftMode(ks({ 'mooring.dev/drift': 'Report' })), InvalidDriftMode);
});

test('report-only: Drifted True listing objects and fields; False once nothing drifts', () => {
  const k = ks();
  recordDrift(k, 'report', drifted(false));
  assert.equal(drift(k)?.status, 'True');
  assert.equal(drift(k)?.reason, 'DriftDetected');
  assert.equal(
    drift(k)?.message,
    '2 objects drifted, left as they are (mooring.dev/drift: report): ConfigMap/apps/cfg (data.color), Deployment/apps/web (spec.replicas)',
  );
  recordDrift(k, 'report', []);
  assert.equal(drift(k)?.status, 'False');
  assert.equal(drift(k)?.reason, 'NoDrift');
});

test('correcting: the last correction stays, with its own time; no condition when there never was drift', () => {
  const k = ks();
  recordDrift(k, 'correct', []);
  assert.equal(drift(k), undefined);
  recordDrift(k, 'correct', drifted(true), new Date('2024-05-01T10:00:00Z'));
  assert.equal(drift(k)?.reason, 'DriftCorrected');
  assert.equal(drift(k)?.lastTransitionTime, '2024-05-01T10:00:00Z');
  recordDrift(k, 'correct', [], new Date('2024-05-01T11:00:00Z'));
  assert.equal(drift(k)?.lastTransitionTime, '2024-05-01T10:00:00Z', 'kept');
  recordDrift(k, 'correct', drifted(true).slice(0, 1), new Date('2024-05-01T12:00:00Z'));
  assert.equal(drift(k)?.lastTransitionTime, '2024-05-01T12:00:00Z', 'a new correction, a new time');
  assert.match(drift(k)?.message ?? '', /^1 object corrected: ConfigMap\/apps\/cfg \(data\.color\)$/);
});

test('switching from report-only to correcting with nothing left to correct: NoDrift', () => {
  const k = ks();
  recordDrift(k, 'report', drifted(false));
  recordDrift(k, 'correct', []);
  assert.equal(drift(k)?.status, 'False');
  assert.equal(drift(k)?.reason, 'NoDrift');
});

test('the DRIFT column', () => {
  const age = () => '5m';
  assert.equal(driftColumn([], age), '-');
  const k = ks();
  recordDrift(k, 'report', drifted(false));
  assert.equal(driftColumn(k.status!.conditions!, age), '2 drifted');
  recordDrift(k, 'correct', drifted(true));
  assert.equal(driftColumn(k.status!.conditions!, age), '2 corrected 5m ago');
});

test('the message is bounded: at most 20 objects listed', () => {
  const many = Array.from({ length: 50 }, (_, i) => ({
    ref,
    subject: `ConfigMap/apps/cfg-${i}`,
    paths: ['data.x'],
    corrected: true,
  }));
  const text = describeDrift(many);
  assert.match(text, /and 30 more$/);
  assert.ok(!text.includes('cfg-20 '));
});
