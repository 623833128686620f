import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, find } from './helpers.js';

describe('name references', () => {
  it('follows renames into RBAC roleRefs, subjects and service accounts of pods', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'namePrefix: x-\nresources:\n- r.yaml\n',
      '/app/r.yaml': `apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: role
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: role
subjects:
- kind: ServiceAccount
  name: sa
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  serviceAccountName: sa
  containers:
  - name: c
    image: busybox
`,
    });
    const rb = find(objs, 'RoleBinding') as { roleRef: { name: string }; subjects: { name: string }[] };
    assert.equal(rb.roleRef.name, 'x-role');
    assert.equal(rb.subjects[0]!.name, 'x-sa');
    assert.equal(
      (find(objs, 'Pod') as { spec: { serviceAccountName: string } }).spec.serviceAccountName,
      'x-sa',
    );
  });
});
