import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTree, find } from './helpers.js';

describe('vars', () => {
  it('substitutes $(VAR) in known fields with the referenced field, after renames', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': `namePrefix: p-
resources:
- r.yaml
vars:
- name: SVC
  objref:
    kind: Service
    name: db
    apiVersion: v1
`,
      '/app/r.yaml': `apiVersion: v1
kind: Service
metadata:
  name: db
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - name: c
    image: busybox
    command: ["ping", "$(SVC)"]
`,
    });
    const pod = find(objs, 'Pod') as { spec: { containers: { command: string[] }[] } };
    assert.deepEqual(pod.spec.containers[0]!.command, ['ping', 'p-db']);
  });
});
