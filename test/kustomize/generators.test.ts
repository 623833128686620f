import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, deployment, find } from './helpers.js';

describe('configMapGenerator and secretGenerator', () => {
  const objs = buildTree({
    '/app/kustomization.yaml': `resources:
- d.yaml
configMapGenerator:
- name: settings
  literals:
  - TEST=this is a 'test'
secretGenerator:
- name: creds
  envs:
  - creds.env
`,
    '/app/d.yaml': deployment,
    '/app/creds.env': '# comment\nUSER=admin\n',
  });

  it('appends the same content hash as kustomize', () => {
    // kustomize v5.5 names this ConfigMap settings-k9cc55dfm5.
    find(objs, 'ConfigMap', 'settings-k9cc55dfm5');
  });

  it('base64-encodes secret data from env files', () => {
    const s = objs.find((o) => o.kind === 'Secret') as { data: Record<string, string>; type: string };
    assert.equal(s.data.USER, Buffer.from('admin').toString('base64'));
    assert.equal(s.type, 'Opaque');
  });

  it('points references at the hashed name', () => {
    const d = find(objs, 'Deployment') as {
      spec: { template: { spec: { containers: { envFrom: { configMapRef: { name: string } }[] }[] } } };
    };
    assert.equal(d.spec.template.spec.containers[0]!.envFrom[0]!.configMapRef.name, 'settings-k9cc55dfm5');
  });

  it('merges into a base generator with behavior merge', () => {
    const out = buildTree({
      '/base/kustomization.yaml': 'configMapGenerator:\n- name: c\n  literals:\n  - a=1\n',
      '/app/kustomization.yaml':
        'resources:\n- ../base\nconfigMapGenerator:\n- name: c\n  behavior: merge\n  literals:\n  - b=2\ngeneratorOptions:\n  disableNameSuffixHash: true\n',
    });
    assert.deepEqual((find(out, 'ConfigMap', 'c') as { data: unknown }).data, { a: '1', b: '2' });
  });

  it('refuses a second generator of the same name without merge or replace', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml':
            'configMapGenerator:\n- name: c\n  literals:\n  - a=1\n- name: c\n  literals:\n  - a=2\n',
        }),
      /behavior must be merge or replace/,
    );
  });
});
