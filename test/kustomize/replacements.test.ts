import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, deployment, find } from './helpers.js';

describe('replacements', () => {
  const files = (extra: string) => ({
    '/app/kustomization.yaml': `resources:
- d.yaml
- cm.yaml
replacements:
- source:
    kind: ConfigMap
    name: source
    fieldPath: data.image
  targets:
  - select:
      kind: Deployment
    fieldPaths:
    - spec.template.spec.containers.[name=app].image
${extra}`,
    '/app/d.yaml': deployment,
    '/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: source\ndata:\n  image: busybox:1\n',
  });

  it('copies a field of one object into fields of others', () => {
    const d = find(buildTree(files('')), 'Deployment') as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(d.spec.template.spec.containers[0]!.image, 'busybox:1');
  });

  it('fails when a target field is missing and may not be created', () => {
    assert.throws(
      () =>
        buildTree(
          files(`  - select:
      kind: Deployment
    fieldPaths:
    - spec.nothing.here
`),
        ),
      /unable to find field/,
    );
  });

  it('reads field paths like kyaml: a leading dot, empty and blank segments are ignored', () => {
    const tree = {
      '/app/kustomization.yaml': `namespace: prod
resources:
- d.yaml
- cm.yaml
replacements:
- source:
    kind: ConfigMap
    name: source
    fieldPath: .metadata.namespace
  targets:
  - select:
      kind: Deployment
    fieldPaths:
    - .metadata.annotations.[from-ns]
    - metadata..labels. copied
    options:
      create: true
`,
      '/app/d.yaml': deployment,
      '/app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: source\n',
    };
    const d = find(buildTree(tree), 'Deployment') as {
      metadata: { annotations: Record<string, string>; labels: Record<string, string> };
    };
    assert.equal(d.metadata.annotations['from-ns'], 'prod');
    assert.equal(d.metadata.labels.copied, 'prod');
  });
});
