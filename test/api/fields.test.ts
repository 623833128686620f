// Honour or refuse, enforced over the schemas: every spec field (and every enum value) of both
// CRDs' v1 schemas in crds/ is either implemented or refused with a Stalled reason naming it. A
// schema sync that adds a field fails here until someone decides which list it belongs to.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { GitRepository } from '../../src/api/gitrepository.js';
import type { Kustomization } from '../../src/api/kustomization.js';
import { gitRepositoryRefusal, kustomizationRefusal, type Refusal } from '../../src/api/refusals.js';

interface Schema {
  type?: string;
  enum?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
}

const crdsDir = join(process.cwd(), 'crds');

function specSchema(file: string): Schema {
  const crd = parse(readFileSync(join(crdsDir, file), 'utf8')) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
  };
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  assert.ok(v1, `${file} serves v1`);
  return v1.schema.openAPIV3Schema.properties!.spec!;
}

/** Every field path under spec (`spec.a.b`, list items as `spec.a[].b`), and each enum's values. */
function walk(schema: Schema, path: string, fields: string[], enums: Map<string, string[]>): void {
  if (path !== 'spec') fields.push(path);
  if (schema.enum) enums.set(path, schema.enum);
  for (const [k, v] of Object.entries(schema.properties ?? {})) walk(v, `${path}.${k}`, fields, enums);
  if (schema.items) walk(schema.items, `${path}[]`, fields, enums);
}

interface FieldTable<T> {
  file: string;
  implemented: string[];
  /** Field → an object setting it; the refusal function must Stall it naming the field. */
  refused: Record<string, T>;
  /** Enum values Mooring implements, per field; the rest must be in refusedValues. */
  refusedValues: Record<string, Record<string, T>>;
  refusal: (o: T) => Refusal | undefined;
}

function check<T>(t: FieldTable<T>): void {
  const fields: string[] = [];
  const enums = new Map<string, string[]>();
  walk(specSchema(t.file), 'spec', fields, enums);
  const refused = Object.keys(t.refused);
  const isRefused = (f: string) => refused.some((r) => f === r || f.startsWith(`${r}.`));
  const unlisted = fields.filter((f) => !t.implemented.includes(f) && !isRefused(f));
  assert.deepEqual(unlisted, [], `${t.file}: fields neither implemented nor refused`);
  const both = t.implemented.filter(isRefused);
  assert.deepEqual(both, [], `${t.file}: fields listed as implemented and refused`);
  const stale = [...t.implemented, ...refused].filter((f) => !fields.includes(f));
  assert.deepEqual(stale, [], `${t.file}: listed fields not in the schema`);

  for (const [field, obj] of Object.entries(t.refused)) {
    const r = t.refusal(obj);
    assert.ok(r, `${field} is refused`);
    assert.equal(r.field, field);
    assert.ok(r.message.startsWith(field), `the message names ${field}: ${r.message}`);
  }
  for (const [field, values] of enums) {
    for (const value of values) {
      const obj = t.refusedValues[field]?.[value];
      if (!obj) continue;
      const r = t.refusal(obj);
      assert.ok(r, `${field}=${value} is refused`);
      assert.ok(r.message.startsWith(field) && r.message.includes(value), r.message);
    }
  }
}

const ks = (spec: Partial<Kustomization['spec']>): Kustomization =>
  ({
    spec: { sourceRef: { kind: 'GitRepository', name: 'x' }, interval: '1m', prune: true, ...spec },
  }) as Kustomization;

const repo = (spec: Partial<GitRepository['spec']>): GitRepository =>
  ({ spec: { url: 'https://example.com/x.git', interval: '1m', ...spec } }) as GitRepository;

const KUSTOMIZATION_IMPLEMENTED = [
  'spec.sourceRef',
  'spec.sourceRef.apiVersion', // informational in Flux too
  'spec.sourceRef.kind',
  'spec.sourceRef.name',
  'spec.sourceRef.namespace',
  'spec.path',
  'spec.interval',
  'spec.retryInterval',
  'spec.timeout',
  'spec.prune',
  'spec.deletionPolicy',
  'spec.force',
  'spec.wait',
  'spec.suspend',
  'spec.serviceAccountName',
  'spec.targetNamespace',
  'spec.namePrefix',
  'spec.nameSuffix',
  'spec.commonMetadata',
  'spec.commonMetadata.annotations',
  'spec.commonMetadata.labels',
  'spec.dependsOn',
  'spec.dependsOn[]',
  'spec.dependsOn[].name',
  'spec.dependsOn[].namespace',
  'spec.dependsOn[].readyExpr',
  'spec.healthChecks',
  'spec.healthChecks[]',
  'spec.healthChecks[].apiVersion',
  'spec.healthChecks[].kind',
  'spec.healthChecks[].name',
  'spec.healthChecks[].namespace',
  'spec.healthCheckExprs',
  'spec.healthCheckExprs[]',
  'spec.healthCheckExprs[].apiVersion',
  'spec.healthCheckExprs[].kind',
  'spec.healthCheckExprs[].current',
  'spec.healthCheckExprs[].inProgress',
  'spec.healthCheckExprs[].failed',
  'spec.patches',
  'spec.patches[]',
  'spec.patches[].patch',
  'spec.patches[].target',
  'spec.patches[].target.group',
  'spec.patches[].target.version',
  'spec.patches[].target.kind',
  'spec.patches[].target.name',
  'spec.patches[].target.namespace',
  'spec.patches[].target.labelSelector',
  'spec.patches[].target.annotationSelector',
  'spec.images',
  'spec.images[]',
  'spec.images[].name',
  'spec.images[].newName',
  'spec.images[].newTag',
  'spec.images[].digest',
  'spec.components',
  'spec.components[]',
  'spec.ignoreMissingComponents',
  'spec.buildMetadata',
  'spec.buildMetadata[]',
  'spec.postBuild',
  'spec.postBuild.substituteStrategy',
  'spec.postBuild.substitute',
  'spec.postBuild.substituteFrom',
  'spec.postBuild.substituteFrom[]',
  'spec.postBuild.substituteFrom[].kind',
  'spec.postBuild.substituteFrom[].name',
  'spec.postBuild.substituteFrom[].optional',
  // SOPS: implemented on the `sops` branch.
  'spec.decryption',
  'spec.decryption.provider',
  'spec.decryption.secretRef',
  'spec.decryption.secretRef.name',
  'spec.decryption.serviceAccountName',
  'spec.kubeConfig',
  'spec.kubeConfig.secretRef',
  'spec.kubeConfig.secretRef.name',
  'spec.kubeConfig.secretRef.key',
  'spec.ignore',
  'spec.ignore[]',
  'spec.ignore[].paths',
  'spec.ignore[].paths[]',
  'spec.ignore[].target',
  'spec.ignore[].target.group',
  'spec.ignore[].target.version',
  'spec.ignore[].target.kind',
  'spec.ignore[].target.name',
  'spec.ignore[].target.namespace',
  'spec.ignore[].target.labelSelector',
  'spec.ignore[].target.annotationSelector',
];

const GITREPOSITORY_IMPLEMENTED = [
  'spec.url',
  'spec.secretRef',
  'spec.secretRef.name',
  'spec.provider', // generic only, see refusedValues
  'spec.interval',
  'spec.timeout',
  'spec.ref',
  'spec.ref.branch',
  'spec.ref.tag',
  'spec.ref.semver',
  'spec.ref.name',
  'spec.ref.commit',
  'spec.verify',
  'spec.verify.mode',
  'spec.verify.secretRef',
  'spec.verify.secretRef.name',
  'spec.ignore',
  'spec.suspend',
  // Implemented on the `source` branch (issue 16 items 5 and 6).
  'spec.proxySecretRef',
  'spec.proxySecretRef.name',
  'spec.recurseSubmodules',
  'spec.include',
  'spec.include[]',
  'spec.include[].repository',
  'spec.include[].repository.name',
  'spec.include[].fromPath',
  'spec.include[].toPath',
  'spec.sparseCheckout',
  'spec.sparseCheckout[]',
];

test('Kustomization v1: every spec field is implemented or refused naming the field', () => {
  check<Kustomization>({
    file: 'kustomize.toolkit.fluxcd.io_kustomizations.yaml',
    implemented: KUSTOMIZATION_IMPLEMENTED,
    refused: {
      'spec.kubeConfig.configMapRef': ks({ kubeConfig: { configMapRef: { name: 'wi' } } }),
    },
    refusedValues: {
      'spec.sourceRef.kind': {
        OCIRepository: ks({ sourceRef: { kind: 'OCIRepository', name: 'x' } }),
        Bucket: ks({ sourceRef: { kind: 'Bucket', name: 'x' } }),
        ExternalArtifact: ks({ sourceRef: { kind: 'ExternalArtifact', name: 'x' } }),
      },
    },
    refusal: kustomizationRefusal,
  });
});

test('GitRepository v1: every spec field is implemented or refused naming the field', () => {
  check<GitRepository>({
    file: 'source.toolkit.fluxcd.io_gitrepositories.yaml',
    implemented: GITREPOSITORY_IMPLEMENTED,
    refused: {
      // Only valid with the aws/azure providers, which are refused.
      'spec.serviceAccountName': repo({ serviceAccountName: 'sa' }),
    },
    refusedValues: {
      'spec.provider': {
        aws: repo({ provider: 'aws' }),
        azure: repo({ provider: 'azure' }),
        github: repo({ provider: 'github' }),
      },
    },
    refusal: gitRepositoryRefusal,
  });
});

test('every enum value outside the implemented set is refused', () => {
  // The enums whose every value is honoured; any other enum must list its refused values above.
  const honoured = new Set([
    'spec.deletionPolicy',
    'spec.buildMetadata[]',
    'spec.postBuild.substituteStrategy',
    'spec.postBuild.substituteFrom[].kind',
    'spec.decryption.provider',
    'spec.verify.mode',
  ]);
  const partial: Record<string, string[]> = {
    'spec.sourceRef.kind': ['GitRepository'],
    'spec.provider': ['generic'],
  };
  const refusedValues: Record<string, string[]> = {
    'spec.sourceRef.kind': ['OCIRepository', 'Bucket', 'ExternalArtifact'],
    'spec.provider': ['aws', 'azure', 'github'],
  };
  for (const file of [
    'kustomize.toolkit.fluxcd.io_kustomizations.yaml',
    'source.toolkit.fluxcd.io_gitrepositories.yaml',
  ]) {
    const enums = new Map<string, string[]>();
    walk(specSchema(file), 'spec', [], enums);
    for (const [field, values] of enums) {
      if (honoured.has(field)) continue;
      const known = partial[field];
      assert.ok(
        known,
        `${file}: enum ${field} (${values.join(', ')}) is neither honoured nor partly refused`,
      );
      const unlisted = values.filter((v) => !known.includes(v) && !refusedValues[field]?.includes(v));
      assert.deepEqual(unlisted, [], `${file}: values of ${field} neither honoured nor refused`);
    }
  }
  // Every value of a partly refused enum is either honoured or refused with its name in the message.
  assert.equal(kustomizationRefusal(ks({})), undefined);
  assert.equal(gitRepositoryRefusal(repo({ provider: 'generic' })), undefined);
});
