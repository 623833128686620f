import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schemaForKind } from '../../src/kustomize/merge/schema.js';
import { strategicMerge } from '../../src/kustomize/merge/smp.js';
import type { JsonObject } from '../../src/kustomize/yaml-types.js';
import { buildTree, deployment, find } from './helpers.js';

type C = { name: string; image?: string; env?: { name: string; value: string }[] };
const containers = (o: unknown) =>
  (o as { spec: { template: { spec: { containers: C[] } } } }).spec.template.spec.containers;

describe('strategic merge patches', () => {
  it('merges containers by name and env by name, using the OpenAPI schema', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': 'resources:\n- d.yaml\npatches:\n- path: p.yaml\n',
      '/app/d.yaml': deployment,
      '/app/p.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        env:
        - name: B
          value: "2"
      - name: sidecar
        image: envoy
`,
    });
    const c = containers(find(objs, 'Deployment'));
    assert.deepEqual(
      c.map((x) => x.name),
      ['app', 'sidecar'],
    );
    assert.equal(c[0]!.image, 'nginx:1.25');
    assert.deepEqual(
      c[0]!.env!.map((e) => e.name),
      ['B', 'A'],
    );
  });

  it('honours $patch: delete on a list element and on the whole object', () => {
    const schema = schemaForKind('apps/v1', 'Deployment');
    const dest = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } };
    const merged = strategicMerge(
      dest,
      { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } },
      schema,
    );
    assert.deepEqual(containers(merged), [{ name: 'b' }]);
    assert.equal(strategicMerge(dest, { $patch: 'delete' }, schema), null);
  });

  it('replaces lists that have no merge strategy, and lists of unknown kinds', () => {
    const merged = strategicMerge({ spec: { args: ['a', 'b'] } }, { spec: { args: ['c'] } }, undefined);
    assert.deepEqual(merged, { spec: { args: ['c'] } });
  });

  it('removes a field set to null', () => {
    assert.deepEqual(strategicMerge({ a: 1, b: 2 }, { b: null }, undefined), { a: 1 });
  });

  it('fails when no object matches an untargeted patch', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': 'resources:\n- d.yaml\npatchesStrategicMerge:\n- p.yaml\n',
          '/app/d.yaml': deployment,
          '/app/p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\n',
        }),
      /no resource matches/,
    );
  });

  describe('lists merged on several keys (ports: containerPort + protocol), as kyaml does', () => {
    const schema = schemaForKind('apps/v1', 'Deployment');
    type Port = { containerPort: number; protocol?: string; name?: string };
    const withPorts = (ports: (Port & { $patch?: string })[]) => ({
      spec: { template: { spec: { containers: [{ name: 'c', ports }] } } },
    });
    const ports = (o: unknown) =>
      (o as { spec: { template: { spec: { containers: { ports: Port[] }[] } } } }).spec.template.spec
        .containers[0]!.ports;
    const merge = (dest: Port[], patch: (Port & { $patch?: string })[]) =>
      ports(strategicMerge(withPorts(dest), withPorts(patch), schema));

    it('keeps the target order when every key is given on both sides', () => {
      const out = merge(
        [
          { containerPort: 9443, protocol: 'TCP', name: 'a' },
          { containerPort: 8443, protocol: 'TCP', name: 'b' },
        ],
        [{ containerPort: 8443, protocol: 'TCP', name: 'changed' }],
      );
      assert.deepEqual(
        out.map((p) => p.name),
        ['a', 'changed'],
      );
    });

    it('drops a patch element whose protocol is missing where the target has one (merge or delete)', () => {
      const dest = [
        { containerPort: 9443, protocol: 'TCP', name: 'a' },
        { containerPort: 8443, protocol: 'TCP', name: 'b' },
      ];
      assert.deepEqual(merge(dest, [{ containerPort: 9443, $patch: 'delete' }]), dest);
      assert.deepEqual(merge(dest, [{ containerPort: 9443, name: 'changed' }]), dest);
    });

    it('drops a patch element with a protocol where the target port has none', () => {
      const dest = [
        { containerPort: 9443, name: 'a' },
        { containerPort: 8443, name: 'b' },
      ];
      assert.deepEqual(merge(dest, [{ containerPort: 9443, protocol: 'TCP', name: 'changed' }]), dest);
    });

    it('puts new patch elements first and keeps one target element per key: the last, where the first was', () => {
      const out = merge(
        [
          { containerPort: 9443, name: 'a' },
          { containerPort: 9443, name: 'a2' },
          { containerPort: 8443, name: 'b' },
        ],
        [{ containerPort: 7000, name: 'new' }],
      );
      assert.deepEqual(
        out.map((p) => p.name),
        ['new', 'a2', 'b'],
      );
    });
  });

  it('reads a list directive only from the first element carrying $patch, and only when it is alone', () => {
    const schema = schemaForKind('apps/v1', 'Deployment');
    const dest: JsonObject = {
      spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'b' }] } } },
    };
    // An element `$patch: replace` with other fields does not replace the list; its counterpart stays.
    const kept = strategicMerge(
      dest,
      { spec: { template: { spec: { containers: [{ name: 'a', image: 'y', $patch: 'replace' }] } } } },
      schema,
    );
    assert.deepEqual(containers(kept), [{ name: 'a', image: 'x' }, { name: 'b' }]);
    const replaced = strategicMerge(
      dest,
      { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'c' }] } } } },
      schema,
    );
    assert.deepEqual(containers(replaced), [{ name: 'c' }]);
  });
});

describe('strategic merge patches: null annotations and empty annotation maps', () => {
  const objs = buildTree({
    '/app/kustomization.yaml': 'resources:\n- r.yaml\npatches:\n- path: p.yaml\n',
    '/app/r.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations: {keep: "1", gone: "2", tilde: "3", quoted: "4"}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  annotations: {only: "1"}
  labels: {only: "1"}
`,
    '/app/p.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  annotations:
    gone: null
    tilde: ~
    quoted: "null"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: b
  annotations:
    only: null
  labels:
    only: null
`,
  });

  it('deletes an annotation the patch sets to a plain null, and sets a quoted "null" as text', () => {
    assert.deepEqual((find(objs, 'ConfigMap', 'a').metadata as JsonObject).annotations, {
      keep: '1',
      quoted: 'null',
    });
  });

  it('drops metadata.annotations left empty, but keeps an empty labels map', () => {
    const md = find(objs, 'ConfigMap', 'b').metadata as JsonObject;
    assert.equal(md.annotations, undefined);
    assert.deepEqual(md.labels, {});
  });

  it('keeps a plain null annotation of a resource as the text "null"', () => {
    const cm = find(
      buildTree({
        '/app/kustomization.yaml': 'resources:\n- r.yaml\n',
        '/app/r.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations:\n    x: null\n',
      }),
      'ConfigMap',
    );
    assert.deepEqual((cm.metadata as JsonObject).annotations, { x: 'null' });
  });
});
