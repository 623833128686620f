import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitImage, updateImage } from '../../src/kustomize/transformers/images.js';
import { buildTree, deployment, find } from './helpers.js';

describe('images', () => {
  it('splits names with registry ports, tags and digests', () => {
    assert.deepEqual(splitImage('reg:5000/a/b:1.0@sha256:ab'), {
      name: 'reg:5000/a/b',
      tag: '1.0',
      digest: 'sha256:ab',
    });
    assert.deepEqual(splitImage('nginx'), { name: 'nginx', tag: '', digest: '' });
  });

  it('sets a new name and tag; a digest replaces the tag', () => {
    assert.equal(updateImage('nginx:1.25', { name: 'nginx', newName: 'r/nginx', newTag: '2' }), 'r/nginx:2');
    assert.equal(updateImage('nginx:1.25', { name: 'nginx', digest: 'sha256:1' }), 'nginx@sha256:1');
    assert.equal(updateImage('nginxx:1', { name: 'nginx', newTag: '2' }), undefined);
  });

  it('rewrites container images in workloads', () => {
    const d = find(
      buildTree({
        '/app/kustomization.yaml': 'images:\n- name: nginx\n  newTag: "1.26"\nresources:\n- d.yaml\n',
        '/app/d.yaml': deployment,
      }),
      'Deployment',
    ) as { spec: { template: { spec: { containers: { image: string }[] } } } };
    assert.equal(d.spec.template.spec.containers[0]!.image, 'nginx:1.26');
  });
});
