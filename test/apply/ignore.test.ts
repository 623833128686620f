// Drift ignore rules: JSON pointers adopt the live value (or drop the field), only for objects the
// target selects; pointers with escapes, list items, and hostile keys.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IgnoreRules, InvalidIgnoreRule } from '../../src/apply/ignore.js';
import type { Manifest } from '../../src/kube/dynamic.js';

const deploy = (replicas: number | undefined, annotations: Record<string, string> = {}): Manifest =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'apps', labels: { tier: 'front' }, annotations },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      template: { spec: { containers: [{ name: 'a', image: 'x:1' }] } },
    },
  }) as unknown as Manifest;

test('ignored paths take the live value; absent live values are dropped; others untouched', () => {
  const rules = IgnoreRules.compile([
    { paths: ['/spec/replicas', '/metadata/annotations/a~1b'], target: { kind: 'Deployment' } },
  ])!;
  const out = rules.adopt(deploy(2, { 'a/b': 'git', keep: 'git' }), deploy(5, { keep: 'live' }))!;
  assert.equal((out.spec as { replicas: number }).replicas, 5);
  assert.deepEqual(out.metadata.annotations, { keep: 'git' }, 'a/b dropped (not live), keep from Git');
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' } } as unknown as Manifest;
  assert.equal(rules.adopt(cm, cm), undefined, 'the target selects Deployments only');
});

test('selectors: name regex, namespace, group/version, label selector', () => {
  const r = (target: Record<string, string>) => IgnoreRules.compile([{ paths: ['/spec/replicas'], target }])!;
  const d = deploy(1);
  assert.equal(r({ name: 'w.*' }).pathsFor(d).length, 1);
  assert.equal(r({ name: 'w' }).pathsFor(d).length, 0, 'anchored');
  assert.equal(r({ namespace: 'apps', group: 'apps', version: 'v1' }).pathsFor(d).length, 1);
  assert.equal(r({ labelSelector: 'tier in (front,back)' }).pathsFor(d).length, 1);
  assert.equal(r({ labelSelector: 'tier=back' }).pathsFor(d).length, 0);
});

test('list items by index; a missing list item is not made up; __proto__ is a plain key', () => {
  const rules = IgnoreRules.compile([
    {
      paths: [
        '/spec/template/spec/containers/0/image',
        '/spec/template/spec/containers/3/image',
        '/__proto__/x',
      ],
    },
  ])!;
  const live = deploy(1);
  (live.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
    .containers[0]!.image = 'x:2';
  const out = rules.adopt(deploy(1), live)!;
  const containers = (out.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
    .containers;
  assert.equal(containers[0]!.image, 'x:2');
  assert.equal(containers.length, 1);
  assert.equal(({} as { x?: unknown }).x, undefined, 'no prototype write');
});

test('invalid rules name the entry', () => {
  assert.throws(
    () => IgnoreRules.compile([{ paths: ['spec/replicas'] }]),
    (e: Error) => e instanceof InvalidIgnoreRule && /spec\.ignore\[0\]\.paths\[0\]/.test(e.message),
  );
  assert.throws(
    () => IgnoreRules.compile([{ paths: ['/a'] }, { paths: ['/a'], target: { name: '(' } }]),
    /spec\.ignore\[1\]\.target\.name/,
  );
});
