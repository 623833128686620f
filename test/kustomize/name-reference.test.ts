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

describe('name references match only the names an object had before its current one', () => {
  it('leaves a reference by the current (already prefixed) name and its namespace alone', () => {
    const objs = buildTree({
      '/base/kustomization.yaml': 'namespace: prod\nnamePrefix: x-\nresources:\n- r.yaml\n',
      '/base/r.yaml': `apiVersion: v1
kind: Service
metadata:
  name: svc
  namespace: system
`,
      '/app/kustomization.yaml': 'resources:\n- ../base\n- w.yaml\n',
      '/app/w.yaml': `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hook
webhooks:
- name: a.example.com
  clientConfig:
    service:
      name: x-svc
      namespace: system
`,
    });
    const hook = find(objs, 'ValidatingWebhookConfiguration') as {
      webhooks: { clientConfig: { service: { name: string; namespace: string } } }[];
    };
    assert.deepEqual(hook.webhooks[0]!.clientConfig.service, { name: 'x-svc', namespace: 'system' });
  });

  it('counts a namespace transformation as a previous id even where nothing moved', () => {
    // The unrenamed ClusterRole keeps its name as a previous id, so the unsuffixed binding still
    // picks it over the suffixed one of the same original name.
    const role = (n: string) => `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${n}
`;
    const binding = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: reader
subjects: []
`;
    const objs = buildTree({
      '/app/kustomization.yaml': 'namespace: ns\nresources:\n- public\n- private\n',
      '/app/public/kustomization.yaml': 'resources:\n- r.yaml\n',
      '/app/public/r.yaml': `${role('reader')}---\n${binding}`,
      '/app/private/kustomization.yaml': 'nameSuffix: -private\nresources:\n- r.yaml\n',
      '/app/private/r.yaml': `${role('reader')}---\n${binding}`,
    });
    const crb = find(objs, 'ClusterRoleBinding', 'crb') as { roleRef: { name: string } };
    assert.equal(crb.roleRef.name, 'reader');
    const priv = find(objs, 'ClusterRoleBinding', 'crb-private') as { roleRef: { name: string } };
    assert.equal(priv.roleRef.name, 'reader-private');
  });
});
