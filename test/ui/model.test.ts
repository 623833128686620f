// The pure parts of `mooring ui`: status words, revisions, counts, filters, the graph layout,
// the detail's events and the validation of action requests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActionError, parseActionRequest } from '../../src/ui/actions.js';
import type { Row } from '../../src/ui/api.js';
import { eventsFor } from '../../src/ui/detail.js';
import { layoutGraph } from '../../src/ui/graph.js';
import { countRows, matchesFilter, parseRevision, rowOf, statusOf } from '../../src/ui/model.js';

const cond = (type: string, status: string, reason = '', message = '') => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const obj = (
  conditions: ReturnType<typeof cond>[],
  extra: { suspend?: boolean; generation?: number } = {},
) => ({
  metadata: { name: 'a', namespace: 'ns', generation: extra.generation ?? 1 },
  spec: { suspend: extra.suspend },
  status: { observedGeneration: 1, conditions },
});

test('revisions: branch and short sha from every Flux form', () => {
  assert.deepEqual(parseRevision('main@sha1:6d3a1b2c3d4e'), {
    ref: 'main',
    shortSha: '6d3a1b2',
    full: 'main@sha1:6d3a1b2c3d4e',
  });
  assert.equal(parseRevision('refs/tags/v1.2@sha1:abcdef0123')?.ref, 'v1.2');
  assert.equal(parseRevision('refs/heads/feature/x@sha1:abcdef0123')?.ref, 'feature/x');
  assert.deepEqual(parseRevision('sha1:abcdef0123'), {
    ref: '',
    shortSha: 'abcdef0',
    full: 'sha1:abcdef0123',
  });
  assert.equal(parseRevision('main/abcdef0123')?.shortSha, 'abcdef0');
  assert.equal(parseRevision(undefined), undefined);
});

test('status: suspended, stalled, failed (also while retrying), reconciling, ready, unknown', () => {
  assert.equal(statusOf(obj([cond('Ready', 'True')], { suspend: true })).status, 'Suspended');
  assert.equal(
    statusOf(obj([cond('Stalled', 'True', 'InvalidPath', 'bad'), cond('Ready', 'False')])).status,
    'Stalled',
  );
  assert.equal(
    statusOf(
      obj([cond('Ready', 'False', 'BuildFailed'), cond('Reconciling', 'True', 'ProgressingWithRetry')]),
    ).status,
    'Failed',
  );
  assert.equal(
    statusOf(obj([cond('Ready', 'Unknown'), cond('Reconciling', 'True', 'Progressing', 'x')])).status,
    'Reconciling',
  );
  assert.equal(statusOf(obj([cond('Ready', 'True')], { generation: 2 })).status, 'Reconciling');
  assert.equal(statusOf(obj([cond('Ready', 'True', 'ReconciliationSucceeded', 'ok')])).status, 'Ready');
  assert.equal(statusOf(obj([])).status, 'Unknown');
});

test('rows, counts and filters', () => {
  const ks = rowOf('Kustomization', {
    metadata: { name: 'apps', namespace: 'flux-system' },
    spec: { sourceRef: { kind: 'GitRepository', name: 'fleet' }, dependsOn: [{ name: 'infra' }] },
    status: {
      conditions: [cond('Ready', 'False', 'BuildFailed', 'kustomize build failed')],
      lastAppliedRevision: 'main@sha1:0123456789',
    },
  });
  assert.deepEqual(ks.source, { kind: 'GitRepository', namespace: 'flux-system', name: 'fleet' });
  assert.deepEqual(ks.dependsOn, [{ namespace: 'flux-system', name: 'infra' }]);
  assert.equal(ks.revision?.shortSha, '0123456');
  const ready: Row = { ...ks, name: 'infra', status: 'Ready', namespace: 'other' };
  const suspended: Row = { ...ks, name: 'x', status: 'Suspended' };
  assert.deepEqual(countRows([ks, ready, suspended]), {
    total: 3,
    ready: 1,
    failing: 1,
    reconciling: 0,
    suspended: 1,
    unknown: 0,
  });
  assert.ok(matchesFilter(ks, { status: 'Failing' }));
  assert.ok(!matchesFilter(ready, { status: 'Failing' }));
  assert.ok(matchesFilter(ks, { text: 'BUILD failed' }));
  assert.ok(matchesFilter(ks, { text: '0123456' }));
  assert.ok(!matchesFilter(ks, { namespace: 'other' }));
});

const row = (kind: Row['kind'], name: string, extra: Partial<Row> = {}): Row => ({
  kind,
  namespace: 'ns',
  name,
  status: 'Ready',
  reason: '',
  message: '',
  suspended: false,
  ...extra,
});

test('graph: sources, then Kustomizations one column right of their deepest dependency; cycles cut', () => {
  const src = { kind: 'GitRepository', namespace: 'ns', name: 'fleet' };
  const g = layoutGraph([
    row('GitRepository', 'fleet'),
    row('Kustomization', 'infra', { source: src, dependsOn: [] }),
    row('Kustomization', 'apps', { source: src, dependsOn: [{ namespace: 'ns', name: 'infra' }] }),
    row('Kustomization', 'a', { source: src, dependsOn: [{ namespace: 'ns', name: 'b' }] }),
    row('Kustomization', 'b', { source: src, dependsOn: [{ namespace: 'ns', name: 'a' }] }),
    row('Kustomization', 'lost', { dependsOn: [{ namespace: 'elsewhere', name: 'gone' }] }),
  ]);
  const x = (id: string) => g.nodes.find((n) => n.id === id)?.x;
  assert.ok(x('GitRepository/ns/fleet')! < x('Kustomization/ns/infra')!);
  assert.ok(x('Kustomization/ns/infra')! < x('Kustomization/ns/apps')!);
  assert.ok(x('Kustomization/ns/a') !== undefined && x('Kustomization/ns/b') !== undefined);
  assert.equal(g.nodes.find((n) => n.id === 'Kustomization/elsewhere/gone')?.missing, true);
  assert.equal(g.edges.filter((e) => e.type === 'source').length, 4);
  assert.equal(g.edges.filter((e) => e.type === 'dependsOn').length, 4);
  assert.ok(g.width > 0 && g.height > 0);
});

test('detail events: the Kustomization and its objects, newest first', () => {
  const ev = (kind: string, name: string, t: string, message = '') => ({
    metadata: { name: `${name}.${t}` },
    involvedObject: { kind, namespace: 'ns', name },
    reason: 'R',
    message,
    type: 'Normal',
    lastTimestamp: t,
  });
  const out = eventsFor(
    [
      ev('Kustomization', 'apps', '2026-01-01T00:00:01Z', 'old'),
      ev('Deployment', 'web', '2026-01-01T00:00:03Z', 'new'),
      ev('Deployment', 'other', '2026-01-01T00:00:04Z', 'not ours'),
    ],
    'Kustomization',
    'ns',
    'apps',
    [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'ns',
        name: 'web',
        health: 'Current',
        message: '',
      },
    ],
  );
  assert.deepEqual(
    out.map((e) => e.message),
    ['new', 'old'],
  );
});

test('action requests: only known verbs, kinds and valid names', () => {
  assert.deepEqual(
    parseActionRequest({
      action: 'sync',
      kind: 'Kustomization',
      namespace: 'ns',
      name: 'a',
      withSource: true,
    }),
    {
      action: 'sync',
      kind: 'Kustomization',
      namespace: 'ns',
      name: 'a',
      withSource: true,
    },
  );
  for (const bad of [
    { action: 'delete', kind: 'Kustomization', namespace: 'ns', name: 'a' },
    { action: 'sync', kind: 'Secret', namespace: 'ns', name: 'a' },
    { action: 'sync', kind: 'Kustomization', namespace: '../x', name: 'a' },
    { action: 'suspend', kind: 'GitRepository', namespace: 'ns', name: 'a', withSource: true },
    null,
  ])
    assert.throws(
      () => parseActionRequest(bad),
      (e: unknown) => e instanceof ActionError && e.status === 400,
    );
});
