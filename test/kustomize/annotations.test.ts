import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, deployment, find } from './helpers.js';

describe('commonAnnotations', () => {
  it('annotates objects and pod templates, as strings', () => {
    const d = find(
      buildTree({
        '/app/kustomization.yaml': 'commonAnnotations:\n  owner: me\n  n: 1\nresources:\n- d.yaml\n',
        '/app/d.yaml': deployment,
      }),
      'Deployment',
    ) as {
      metadata: { annotations: Record<string, string> };
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    assert.deepEqual(d.metadata.annotations, { owner: 'me', n: '1' });
    assert.equal(d.spec.template.metadata.annotations.owner, 'me');
  });
});
