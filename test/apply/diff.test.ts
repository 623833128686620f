import assert from 'node:assert/strict';
import { test } from 'node:test';
import { driftedPaths, hasDrifted, semanticEqual } from '../../src/apply/diff.js';
import type { Manifest } from '../../src/kube/dynamic.js';

const live: Manifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'apps',
    resourceVersion: '42',
    generation: 3,
    labels: { app: 'web' },
    annotations: { 'deployment.kubernetes.io/revision': '2' },
  },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } },
  status: { replicas: 1, observedGeneration: 3 },
};

const dryRunOf = (f: (m: Manifest) => void): Manifest => {
  const d = structuredClone(live);
  f(d);
  return d;
};

test('an identical dry-run is no drift, whatever status and managed metadata say', () => {
  assert.equal(
    hasDrifted(
      live,
      dryRunOf(() => {}),
    ),
    false,
  );
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => {
        d.status = { replicas: 0 };
        d.metadata.generation = 4;
        d.metadata.managedFields = [{ manager: 'x' }];
      }),
    ),
    false,
  );
});

test('a new object (dry-run without resourceVersion) has drifted', () => {
  assert.equal(
    hasDrifted(
      undefined,
      dryRunOf(() => {}),
    ),
    true,
  );
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => delete d.metadata.resourceVersion),
    ),
    true,
  );
});

test('labels, annotations and anything outside metadata/status count as drift', () => {
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => (d.metadata.labels = { app: 'web', tier: 'front' })),
    ),
    true,
  );
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => (d.metadata.annotations = {})),
    ),
    true,
  );
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => ((d.spec as { replicas: number }).replicas = 2)),
    ),
    true,
  );
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => (d.extra = true)),
    ),
    true,
  );
  assert.deepEqual(
    driftedPaths(
      live,
      dryRunOf((d) => ((d.spec as { replicas: number }).replicas = 2)),
    ),
    ['spec.replicas'],
  );
});

test('null, empty maps and empty lists are equal, as in Go semantic equality', () => {
  assert.equal(semanticEqual({ a: null }, { a: {} }), true);
  assert.equal(semanticEqual({ a: [] }, { a: null }), true);
  assert.equal(semanticEqual(undefined, {}), true);
  assert.equal(semanticEqual({ a: 1 }, { a: 1, b: undefined }), true);
  assert.equal(semanticEqual({ a: [1, 2] }, { a: [2, 1] }), false);
  assert.equal(semanticEqual({ a: '1' }, { a: 1 }), false);
  // A key from Git named like an Object.prototype member is compared as data.
  assert.equal(semanticEqual(JSON.parse('{"__proto__": null}'), { x: null }), false);
  assert.equal(semanticEqual(JSON.parse('{"__proto__": null}'), JSON.parse('{"__proto__": {}}')), true);
  assert.equal(
    hasDrifted(
      live,
      dryRunOf((d) => (d.metadata.labels = { app: 'web' })),
    ),
    false,
  );
});
