import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, deployment, find } from './helpers.js';

type D = {
  metadata: { labels: Record<string, string> };
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> } };
  };
};

describe('commonLabels', () => {
  it('labels objects, selectors and pod templates', () => {
    const d = find(
      buildTree({
        '/app/kustomization.yaml': 'commonLabels:\n  team: a\nresources:\n- d.yaml\n',
        '/app/d.yaml': deployment,
      }),
      'Deployment',
    ) as unknown as D;
    assert.equal(d.metadata.labels.team, 'a');
    assert.equal(d.spec.selector.matchLabels.team, 'a');
    assert.equal(d.spec.template.metadata.labels.team, 'a');
  });
});

describe('labels', () => {
  it('without selectors touches metadata only; includeTemplates adds pod templates', () => {
    const d = find(
      buildTree({
        '/app/kustomization.yaml':
          'labels:\n- pairs:\n    only: meta\n- pairs:\n    tpl: yes\n  includeTemplates: true\nresources:\n- d.yaml\n',
        '/app/d.yaml': deployment,
      }),
      'Deployment',
    ) as unknown as D;
    assert.equal(d.metadata.labels.only, 'meta');
    assert.equal(d.spec.selector.matchLabels.only, undefined);
    assert.equal(d.spec.template.metadata.labels.only, undefined);
    assert.equal(d.spec.template.metadata.labels.tpl, 'yes');
  });
});
