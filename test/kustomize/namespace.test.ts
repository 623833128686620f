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
