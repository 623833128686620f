import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaForKind } from '../../src/kustomize/merge/schema.js';
import { strategicMerge } from '../../src/kustomize/merge/smp.js';
import { buildTree, deployment, find } from './helpers.js';

type C = { name: string; image?: string; env?: { name: string; value: string }[] };
const containers = (o: unknown) =>
  (o as { spec: { template: { spec: { containers: C[] } } } }).spec.template.spec.containers;

describe('strategic merge patches', () => {
  it('merges containers by name and env by name, using the OpenAPI schema', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'resources:\n- d.yaml\npatches:\n- path: p.yaml\n',
      '/app/d.yaml': deployment,
      '/app/p.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        env:
        - name: B
          value: "2"
      - name: sidecar
        image: envoy
`,
    });
    const c = containers(find(objs, 'Deployment'));
    assert.deepEqual(
      c.map((x) => x.name),
      ['app', 'sidecar'],
    );
    assert.equal(c[0]!.image, 'nginx:1.25');
    assert.deepEqual(
      c[0]!.env!.map((e) => e.name),
      ['B', 'A'],
    );
  });

  it('honours $patch: delete on a list element and on the whole object', () => {
    const schema = schemaForKind('apps/v1', 'Deployment');
    const dest = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } };
    const merged = strategicMerge(
      dest,
      { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } },
      schema,
    );
    assert.deepEqual(containers(merged), [{ name: 'b' }]);
    assert.equal(strategicMerge(dest, { $patch: 'delete' }, schema), null);
  });

  it('replaces lists that have no merge strategy, and lists of unknown kinds', () => {
    const merged = strategicMerge({ spec: { args: ['a', 'b'] } }, { spec: { args: ['c'] } }, undefined);
    assert.deepEqual(merged, { spec: { args: ['c'] } });
  });

  it('removes a field set to null', () => {
    assert.deepEqual(strategicMerge({ a: 1, b: 2 }, { b: null }, undefined), { a: 1 });
  });

  it('fails when no object matches an untargeted patch', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'resources:\n- d.yaml\npatchesStrategicMerge:\n- p.yaml\n',
          '/app/d.yaml': deployment,
          '/app/p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n',
        }),
      /no resource matches/,
    );
  });
});
