import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, deployment, find } from './helpers.js';

describe('namePrefix and nameSuffix', () => {
  const objs = buildTree({
    '/app/kustomization.yaml': 'namePrefix: p-\nnameSuffix: -s\nresources:\n- d.yaml\n- r.yaml\n',
    '/app/d.yaml': deployment,
    '/app/r.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: v1
kind: Namespace
metadata:
  name: team
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: foos.example.com
`,
  });

  it('renames objects', () => {
    find(objs, 'Deployment', 'p-web-s');
    find(objs, 'ConfigMap', 'p-settings-s');
  });

  it('does not rename namespaces and CRDs', () => {
    find(objs, 'Namespace', 'team');
    find(objs, 'CustomResourceDefinition', 'foos.example.com');
  });

  it('updates references to renamed objects', () => {
    const d = find(objs, 'Deployment') as {
      spec: { template: { spec: { containers: { envFrom: { configMapRef: { name: string } }[] }[] } } };
    };
    assert.equal(d.spec.template.spec.containers[0]!.envFrom[0]!.configMapRef.name, 'p-settings-s');
  });
});
