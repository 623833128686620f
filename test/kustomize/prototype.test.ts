// Keys from Git named `__proto__`, `constructor` or `prototype` are data: no transformer may write
// through them into Object.prototype (which every object of the process inherits from), and
// where kustomize keeps such a key as a plain field, so does the output.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KustomizeError } from '../../src/kustomize/resource.js';
import { parseYaml } from '../../src/kustomize/yaml-read.js';
import type { JsonObject } from '../../src/kustomize/yaml-types.js';
import { stringifyDocument } from '../../src/kustomize/yaml-write.js';
import { buildTree, buildYaml, deployment, find } from './helpers.js';

const pristine = Object.getOwnPropertyNames(Object.prototype).sort();

/** Object.prototype has exactly the members it had when the file loaded; a plain {} has no `x`. */
function assertPrototypeClean(): void {
  assert.deepEqual(
    Object.getOwnPropertyNames(Object.prototype).sort(),
    pristine,
    'Object.prototype was written',
  );
  const probe = {} as Record<string, unknown>;
  for (const k of ['x', 'polluted', 'labels', 'namespace', 'replicas', 'name', 'app']) {
    assert.equal(probe[k], undefined, `({}).${k} is defined: Object.prototype was polluted`);
  }
}

/** A failing (old) build may have polluted the process: undo it so later tests see a clean slate. */
afterEach(() => {
  for (const k of Object.getOwnPropertyNames(Object.prototype)) {
    if (!pristine.includes(k)) delete (Object.prototype as Record<string, unknown>)[k];
  }
});

const cm = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  a: "1"
`;

function own(o: unknown, key: string): unknown {
  assert.ok(o !== null && typeof o === 'object', `expected a map holding ${key}`);
  assert.ok(Object.hasOwn(o, key), `"${key}" is not an own key of ${JSON.stringify(o)}`);
  return (o as Record<string, unknown>)[key];
}

describe('prototype keys from Git', () => {
  it('YAML: a __proto__ key stays a plain key (also through a merge key) and is written back', () => {
    const doc = parseYaml(
      'a:\n  __proto__:\n    polluted: yes\n  b: 1\nc:\n  <<: {__proto__: {x: 1}}\n',
      'f.yaml',
    );
    const a = own(doc, 'a') as JsonObject;
    assert.equal(Object.getPrototypeOf(a), Object.prototype);
    assert.deepEqual(own(a, '__proto__'), { polluted: 'yes' });
    assert.equal((a as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(own(own(doc, 'c'), '__proto__'), { x: 1 });
    assert.equal(stringifyDocument(a), '__proto__:\n  polluted: "yes"\nb: 1\n');
    assertPrototypeClean();
  });

  it('JSON 6902: /__proto__/x is a missing path, not Object.prototype; a data key __proto__ is patched', () => {
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': `resources: [cm.yaml]
patches:
- target: {kind: ConfigMap}
  patch: |-
    - op: add
      path: /__proto__/x
      value: yes
`,
          '/app/cm.yaml': cm,
        }),
      (e) => e instanceof KustomizeError && /does not exist/.test(e.message),
    );
    assertPrototypeClean();
    assert.throws(
      () =>
        buildTree({
          '/app/kustomization.yaml': `resources: [cm.yaml]
patches:
- target: {kind: ConfigMap}
  patch: |-
    - op: add
      path: /constructor/prototype/x
      value: yes
`,
          '/app/cm.yaml': cm,
        }),
      KustomizeError,
    );
    assertPrototypeClean();
    const objs = buildTree({
      '/app/kustomization.yaml': `resources: [cm.yaml]
patches:
- target: {kind: ConfigMap}
  patch: |-
    - op: add
      path: /data/__proto__/polluted
      value: "yes"
    - op: copy
      from: /data/__proto__
      path: /data/constructor
`,
      '/app/cm.yaml': `${cm}  __proto__:\n    kept: "1"\n`,
    });
    const data = own(find(objs, 'ConfigMap'), 'data');
    assert.deepEqual(own(data, '__proto__'), { kept: '1', polluted: 'yes' });
    assert.deepEqual(own(data, 'constructor'), { kept: '1', polluted: 'yes' });
    assertPrototypeClean();
  });

  it('replacements with create build __proto__ as a field of the target', () => {
    const yaml = buildYaml({
      '/app/kustomization.yaml': `resources: [cm.yaml]
replacements:
- source: {kind: ConfigMap, fieldPath: data.a}
  targets:
  - select: {kind: ConfigMap}
    fieldPaths: [data.__proto__.x, metadata.annotations.__proto__]
    options: {create: true}
`,
      '/app/cm.yaml': cm,
    });
    assertPrototypeClean();
    assert.match(yaml, /\n {2}__proto__:\n {4}x: "1"\n/);
    assert.match(yaml, /annotations:\n {4}__proto__: "1"\n/);
  });

  it('field specs with create: true (labels, namespace, replicas) create __proto__ as data', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': `resources: [d.yaml]
configurations: [config.yaml]
namespace: tenant
commonLabels:
  app: web
replicas:
- name: web
  count: 3
`,
      '/app/config.yaml': `commonLabels:
- path: spec/__proto__
  create: true
- path: metadata/__proto__/labels
  create: true
namespace:
- path: spec/template/__proto__/namespace
  create: true
replicas:
- path: spec/__proto__/replicas
  create: true
  kind: Deployment
`,
      '/app/d.yaml': deployment,
    });
    assertPrototypeClean();
    const d = find(objs, 'Deployment') as JsonObject;
    const spec = own(d, 'spec');
    assert.deepEqual(own(spec, '__proto__'), { app: 'web', replicas: 3 });
    assert.deepEqual(own(own(d, 'metadata'), '__proto__'), { labels: { app: 'web' } });
    assert.deepEqual(own(own(spec, 'template'), '__proto__'), { namespace: 'tenant' });
  });

  it('labels, annotations and generator keys named __proto__ are kept; a label selector ignores inherited names', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': `resources: [cm.yaml]
commonLabels:
  __proto__: evil
commonAnnotations:
  constructor: c
configMapGenerator:
- name: gen
  literals: [__proto__=x, constructor=y]
patches:
- target: {labelSelector: hasOwnProperty}
  patch: |-
    - op: add
      path: /data/selected
      value: "wrongly"
`,
      '/app/cm.yaml': cm,
    });
    assertPrototypeClean();
    assert.equal(objs.length, 2);
    for (const o of objs) {
      const md = own(o, 'metadata');
      assert.equal(own(own(md, 'labels'), '__proto__'), 'evil');
      assert.equal(own(own(md, 'annotations'), 'constructor'), 'c');
      assert.equal(
        Object.hasOwn(own(o, 'data') as object, 'selected'),
        false,
        'selected through an inherited name',
      );
    }
    const generated = objs.find((o) => String((o.metadata as JsonObject).name).startsWith('gen-'));
    assert.ok(generated, 'no generated ConfigMap');
    assert.equal(own(own(generated, 'data'), '__proto__'), 'x');
    assert.equal(own(own(generated, 'data'), 'constructor'), 'y');
  });

  it('strategic merge patches merge a __proto__ field as data', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': `resources: [cm.yaml, d.yaml]
patches:
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cm
    data:
      __proto__: merged
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          __proto__:
            polluted: true
`,
      '/app/cm.yaml': cm,
      '/app/d.yaml': deployment,
    });
    assertPrototypeClean();
    assert.equal(own(own(find(objs, 'ConfigMap'), 'data'), '__proto__'), 'merged');
    const podSpec = own(own(own(find(objs, 'Deployment'), 'spec'), 'template'), 'spec');
    assert.deepEqual(own(podSpec, '__proto__'), { polluted: true });
  });

  it('ValueAddTransformer walks own fields only', () => {
    const objs = buildTree({
      '/app/kustomization.yaml': `resources: [cm.yaml]
transformers:
- |-
  apiVersion: builtin
  kind: ValueAddTransformer
  metadata:
    name: add
  value: polluted
  targets:
  - fieldPath: metadata/__proto__/x
`,
      '/app/cm.yaml': cm,
    });
    assertPrototypeClean();
    assert.deepEqual(own(own(find(objs, 'ConfigMap'), 'metadata'), '__proto__'), { x: 'polluted' });
  });
});
