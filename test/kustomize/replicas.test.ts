import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, deployment, find } from './helpers.js';

describe('replicas', () => {
  it('sets the replica count of the named workload', () => {
    const d = find(
      buildTree({
        '/app/kustomization.yaml': 'replicas:\n- name: web\n  count: 5\nresources:\n- d.yaml\n',
        '/app/d.yaml': deployment,
      }),
      'Deployment',
    ) as { spec: { replicas: number } };
    assert.equal(d.spec.replicas, 5);
  });

  it('fails when no workload has that name', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'replicas:\n- name: nope\n  count: 5\nresources:\n- d.yaml\n',
          '/app/d.yaml': deployment,
        }),
      /resource with name nope does not match/,
    );
  });
});
