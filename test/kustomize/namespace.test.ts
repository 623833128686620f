import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, find } from './helpers.js';

describe('namespace', () => {
  const objs = buildTree({
    '/app/kustomization.yaml': 'namespace: prod\nresources:\n- r.yaml\n',
    '/app/r.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: old
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
subjects:
- kind: ServiceAccount
  name: default
  namespace: other
- kind: User
  name: alice
`,
  });

  it('sets metadata.namespace on namespaced objects, replacing the old one', () => {
    assert.equal((find(objs, 'ConfigMap').metadata as { namespace: string }).namespace, 'prod');
  });

  it('leaves cluster-scoped kinds alone', () => {
    assert.equal((find(objs, 'ClusterRole').metadata as { namespace?: string }).namespace, undefined);
  });

  it('moves the default service account subject of a RoleBinding', () => {
    const subjects = find(objs, 'RoleBinding').subjects as { name: string; namespace?: string }[];
    assert.equal(subjects[0]!.namespace, 'prod');
    assert.equal(subjects[1]!.namespace, undefined);
  });
});

describe('namespace: cluster scope is known per apiVersion, as in kustomize', () => {
  const objs = buildTree({
    '/app/kustomization.yaml': 'namespace: prod\nresources:\n- r.yaml\n',
    '/app/r.yaml': `apiVersion: flowcontrol.apiserver.k8s.io/v1beta1
kind: FlowSchema
metadata:
  name: known
  namespace: system
---
apiVersion: flowcontrol.apiserver.k8s.io/v1
kind: FlowSchema
metadata:
  name: newer
  namespace: system
`,
  });

  it('leaves a kind alone at an apiVersion kustomize knows as cluster-scoped', () => {
    assert.equal((find(objs, 'FlowSchema', 'known').metadata as { namespace?: string }).namespace, 'system');
  });

  it('treats the same kind at an apiVersion kustomize does not know as namespaced', () => {
    assert.equal((find(objs, 'FlowSchema', 'newer').metadata as { namespace?: string }).namespace, 'prod');
  });
});
