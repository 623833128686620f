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

describe('generators: entries and the generator fields run the same builtins', () => {
  it('makes the same ConfigMap from a ConfigMapGenerator config, named by its metadata', () => {
    const field = buildTree({
      '/app/kustomization.yaml':
        "configMapGenerator:\n- name: settings\n  literals:\n  - TEST=this is a 'test'\n",
    });
    const plugin = buildTree({
      '/app/kustomization.yaml': 'generators:\n- g.yaml\n',
      '/app/g.yaml':
        "apiVersion: builtin\nkind: ConfigMapGenerator\nmetadata:\n  name: settings\nliterals:\n- TEST=this is a 'test'\n",
    });
    assert.deepEqual(plugin, field);
    find(plugin, 'ConfigMap', 'settings-k9cc55dfm5');
  });

  it('does not take a field entry name from a metadata key', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'configMapGenerator:\n- metadata:\n    name: c\n  literals:\n  - a=1\n',
        }),
      /kustomization.yaml: configMapGenerator: a ConfigMap generator needs a name/,
    );
  });

  it('generates the workload identity ServiceAccount of an IAMPolicyGenerator', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'generators:\n- g.yaml\n',
      '/app/g.yaml':
        'apiVersion: builtin\nkind: IAMPolicyGenerator\nmetadata:\n  name: iam\ncloud: gke\nkubernetesService:\n  namespace: ns\n  name: ksa\nserviceAccount:\n  name: gsa\n  projectId: proj\n',
    });
    const sa = find(objs, 'ServiceAccount', 'ksa') as {
      metadata: { namespace: string; annotations: object };
    };
    assert.equal(sa.metadata.namespace, 'ns');
    assert.deepEqual(sa.metadata.annotations, {
      'iam.gke.io/gcp-service-account': 'gsa@proj.iam.gserviceaccount.com',
    });
  });

  it('refuses a generator kind that is not a builtin', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'generators:\n- g.yaml\n',
          '/app/g.yaml': 'apiVersion: example.com/v1\nkind: Mine\nmetadata:\n  name: x\n',
        }),
      /generator plugin example.com\/v1\/Mine is not supported \(only builtin generators\)/,
    );
  });

  it('reports errors in kustomize order: field entries first, then Helm charts, then generators: entries', () => {
    const kust = (lines: string) =>
      buildTree({ '/app/kustomization.yaml': lines, '/app/g.yaml': 'kind: Mine\n' });
    assert.throws(
      () =>
        kust(
          'configMapGenerator:\n- name: c\n  behavior: merge\n  literals:\n  - a=1\n- 7\nhelmCharts:\n- name: p\ngenerators:\n- g.yaml\n',
        ),
      /kustomization.yaml: id ConfigMap.v1\/c does not exist; cannot merge or replace/,
    );
    assert.throws(
      () => kust('secretGenerator:\n- 7\nhelmCharts:\n- name: p\ngenerators:\n- g.yaml\n'),
      /kustomization.yaml: secretGenerator: generator entry must be a map/,
    );
    assert.throws(
      () => kust('helmCharts:\n- name: p\ngenerators:\n- g.yaml\n'),
      /helmCharts: chart "p" is not supported/,
    );
  });
});
