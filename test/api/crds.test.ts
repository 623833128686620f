// Static checks of crds/: what the apiserver tests cannot see (no CEL anywhere, patterns equal to
// the ones the TypeScript helpers enforce, the names other parts rely on).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DURATION_PATTERN, TIMEOUT_PATTERN } from '../../src/api/duration.js';
import {
  GITREPOSITORY_GROUP,
  GITREPOSITORY_KIND,
  GITREPOSITORY_PLURAL,
} from '../../src/api/gitrepository.js';
import {
  KUSTOMIZATION_GROUP,
  KUSTOMIZATION_KIND,
  KUSTOMIZATION_PLURAL,
} from '../../src/api/kustomization.js';
import { DIGEST_PATTERN } from '../../src/api/meta.js';
import { readCrds } from '../helpers/crds.js';

interface Schema {
  type?: string;
  pattern?: string;
  default?: unknown;
  required?: string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
}

const crds = readCrds();
const byKind = (kind: string) => {
  const crd = crds.find((c) => c.manifest.spec.names.kind === kind);
  assert.ok(crd, `${kind} CRD in crds/`);
  return crd.manifest;
};
const schemaOf = (kind: string) => byKind(kind).spec.versions[0]!.schema!.openAPIV3Schema as Schema;

function walk(schema: Schema, path: string, visit: (s: Schema, path: string) => void): void {
  visit(schema, path);
  for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, `${path}.${k}`, visit);
  if (schema.items) walk(schema.items, `${path}[]`, visit);
  if (schema.additionalProperties) walk(schema.additionalProperties, `${path}{}`, visit);
}

test('no CEL rules anywhere in the CRDs (the v1.20 test server rejects them)', () => {
  for (const crd of crds)
    assert.doesNotMatch(JSON.stringify(crd.manifest), /x-kubernetes-validations/, crd.file);
});

test('every schema node is typed (structural)', () => {
  for (const kind of [GITREPOSITORY_KIND, KUSTOMIZATION_KIND]) {
    walk(schemaOf(kind), kind, (s, path) => assert.ok(s.type, `${path} has a type`));
  }
});

test('names, group, version, short names and categories match Flux', () => {
  const git = byKind(GITREPOSITORY_KIND);
  assert.equal(git.spec.group, GITREPOSITORY_GROUP);
  assert.equal(git.spec.names.plural, GITREPOSITORY_PLURAL);
  assert.deepEqual(git.spec.names.shortNames, ['gitrepo']);
  assert.deepEqual(git.spec.names.categories, ['all', 'fluxcd', 'fluxcd-sources']);
  const ks = byKind(KUSTOMIZATION_KIND);
  assert.equal(ks.spec.group, KUSTOMIZATION_GROUP);
  assert.equal(ks.spec.names.plural, KUSTOMIZATION_PLURAL);
  assert.deepEqual(ks.spec.names.shortNames, ['ks']);
  assert.deepEqual(ks.spec.names.categories, ['all', 'fluxcd', 'fluxcd-appliers']);
  for (const crd of [git, ks]) {
    assert.deepEqual(
      crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources?.status !== undefined]),
      [['v1', true, true, true]],
    );
    assert.equal(crd.metadata?.annotations?.['kustomize.toolkit.fluxcd.io/substitute'], 'disabled');
    assert.equal(crd.metadata?.labels?.['app.kubernetes.io/part-of'], 'mooring');
  }
  const columns = (kind: string) =>
    byKind(kind).spec.versions[0]!.additionalPrinterColumns!.map((c) => `${c.name}=${c.jsonPath}`);
  const ready = 'Ready=.status.conditions[?(@.type=="Ready")].status';
  const status = 'Status=.status.conditions[?(@.type=="Ready")].message';
  assert.deepEqual(columns(GITREPOSITORY_KIND), [
    'URL=.spec.url',
    'Age=.metadata.creationTimestamp',
    ready,
    status,
  ]);
  assert.deepEqual(columns(KUSTOMIZATION_KIND), ['Age=.metadata.creationTimestamp', ready, status]);
});

test('duration and digest patterns are the ones the TypeScript helpers use', () => {
  const git = schemaOf(GITREPOSITORY_KIND).properties!;
  const ks = schemaOf(KUSTOMIZATION_KIND).properties!;
  assert.equal(git.spec!.properties!.interval!.pattern, DURATION_PATTERN.source);
  assert.equal(git.spec!.properties!.timeout!.pattern, TIMEOUT_PATTERN.source);
  for (const f of ['interval', 'retryInterval', 'timeout']) {
    assert.equal(ks.spec!.properties![f]!.pattern, DURATION_PATTERN.source, f);
  }
  assert.equal(git.status!.properties!.artifact!.properties!.digest!.pattern, DIGEST_PATTERN.source);
});

test('required fields and defaults', () => {
  const git = schemaOf(GITREPOSITORY_KIND).properties!;
  const ks = schemaOf(KUSTOMIZATION_KIND).properties!;
  assert.deepEqual(git.spec!.required, ['interval', 'url']);
  assert.deepEqual(ks.spec!.required, ['interval', 'prune', 'sourceRef']);
  assert.equal(git.spec!.properties!.timeout!.default, '60s');
  assert.equal(ks.spec!.properties!.force!.default, false);
  assert.deepEqual(git.status!.default, { observedGeneration: -1 });
  assert.deepEqual(ks.status!.default, { observedGeneration: -1 });
  assert.deepEqual(git.status!.properties!.artifact!.required, [
    'digest',
    'lastUpdateTime',
    'path',
    'revision',
    'url',
  ]);
});
