import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyJsonPatch } from '../../src/kustomize/merge/jsonpatch.js';
import { buildTree, deployment, find } from './helpers.js';

describe('JSON 6902 patches', () => {
  it('applies add, replace, remove, move, copy and test', () => {
    const out = applyJsonPatch({ a: [1, 2], b: { c: 1 } }, [
      { op: 'add', path: '/a/-', value: 3 },
      { op: 'replace', path: '/b/c', value: 2 },
      { op: 'copy', from: '/b/c', path: '/d' },
      { op: 'move', from: '/d', path: '/e' },
      { op: 'remove', path: '/a/0' },
      { op: 'test', path: '/e', value: 2 },
    ]);
    assert.deepEqual(out, { a: [2, 3], b: { c: 2 }, e: 2 });
  });

  it('test compares maps regardless of key order, lists in order (as evanphx/json-patch)', () => {
    const doc = { m: { x: 1, y: [1, { z: 2, w: 'a' }] } };
    assert.deepEqual(
      applyJsonPatch(structuredClone(doc), [
        { op: 'test', path: '/m', value: { y: [1, { w: 'a', z: 2 }], x: 1 } },
      ]),
      doc,
    );
    assert.throws(
      () => applyJsonPatch(structuredClone(doc), [{ op: 'test', path: '/m', value: { x: 1 } }]),
      /test operation failed/,
    );
    assert.throws(
      () => applyJsonPatch({ l: [1, 2] }, [{ op: 'test', path: '/l', value: [2, 1] }]),
      /test operation failed/,
    );
    assert.throws(
      () => applyJsonPatch({ m: {} }, [{ op: 'test', path: '/m', value: [] }]),
      /test operation failed/,
    );
  });

  it('fails on a missing path', () => {
    assert.throws(() => applyJsonPatch({}, [{ op: 'replace', path: '/x', value: 1 }]), /does not exist/);
  });

  it('patches every object the target selects', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': `resources:
- d.yaml
patches:
- target:
    kind: Deployment
    name: w.*
  patch: |-
    - op: replace
      path: /spec/replicas
      value: 3
`,
      '/app/d.yaml': deployment,
    });
    assert.equal((find(objs, 'Deployment') as { spec: { replicas: number } }).spec.replicas, 3);
  });
});
