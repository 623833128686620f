// Which objects a pass waits for: spec.wait (all applied, except those skipped), spec.healthChecks,
// never the Kustomization itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { ChangeSet } from '../../src/apply/changeset.js';
import { type Manifest, refOf } from '../../src/kube/dynamic.js';
import { healthTargets } from '../../src/kustomization/healthtargets.js';

function ks(spec: Partial<Kustomization['spec']> = {}): Kustomization {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'self', namespace: 'flux-system' },
    spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'repo' }, ...spec },
  } as unknown as Kustomization;
}

const manifest = (apiVersion: string, kind: string, name: string, namespace?: string): Manifest =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as Manifest;

const manifests = [
  manifest('apps/v1', 'Deployment', 'web', 'apps'),
  manifest('v1', 'ConfigMap', 'settings', 'apps'),
  manifest('v1', 'Namespace', 'apps'),
  manifest('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'self', 'flux-system'),
  manifest('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'other', 'flux-system'),
];

function changeSetOf(skipped: string[]): ChangeSet {
  const cs = new ChangeSet();
  for (const m of manifests) cs.add(refOf(m), skipped.includes(m.metadata.name) ? 'skipped' : 'configured');
  return cs;
}

const names = (refs: ReturnType<typeof healthTargets>) => refs?.map((r) => `${r.kind}/${r.name}`);

test('neither wait nor healthChecks: no health check at all', () => {
  assert.equal(healthTargets(ks(), manifests, changeSetOf([])), undefined);
  assert.equal(healthTargets(ks({ healthChecks: [] }), manifests, changeSetOf([])), undefined);
});

test('wait: every applied object except the skipped ones and the Kustomization itself', () => {
  assert.deepEqual(names(healthTargets(ks({ wait: true }), manifests, changeSetOf(['settings']))), [
    'Deployment/web',
    'Namespace/apps',
    'Kustomization/other',
  ]);
});

test('wait wins over healthChecks', () => {
  const k = ks({ wait: true, healthChecks: [{ kind: 'Deployment', name: 'elsewhere' }] });
  assert.equal(healthTargets(k, manifests, changeSetOf([]))?.length, 4);
});

test("healthChecks: the listed objects, group and version from apiVersion, namespace defaulting to the Kustomization's", () => {
  const k = ks({
    healthChecks: [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'apps' },
      { apiVersion: 'v1', kind: 'Service', name: 'api' },
      { kind: 'ConfigMap', name: 'bare' },
      { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', name: 'self' },
    ],
  });
  assert.deepEqual(healthTargets(k, manifests, changeSetOf([])), [
    { group: 'apps', version: 'v1', kind: 'Deployment', name: 'web', namespace: 'apps' },
    { group: '', version: 'v1', kind: 'Service', name: 'api', namespace: 'flux-system' },
    { group: '', version: '', kind: 'ConfigMap', name: 'bare', namespace: 'flux-system' },
  ]);
});

test('a skipped object of another group with the same kind and name does not hide one that was applied', () => {
  const m = [
    manifest('example.com/v1', 'Widget', 'w', 'apps'),
    manifest('other.io/v1', 'Widget', 'w', 'apps'),
  ];
  const cs = new ChangeSet();
  cs.add({ group: 'example.com', version: 'v1', kind: 'Widget', name: 'w', namespace: 'apps' }, 'configured');
  const refs = healthTargets(ks({ wait: true }), m, cs);
  assert.equal(refs?.length, 2, 'nothing was skipped');
});
