// `mooring check` against the real apiserver: the CRDs the harness installs, the real controller
// holding its Lease in a test namespace, and a Flux kustomize-controller Deployment that must be
// reported (the test control plane has no kubelet: no pod ever runs). Stored versions: the pure
// finding (the shared cluster's CRDs are not ours to rewrite).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { crdFindings } from '../../src/cli/check.js';
import { KubeClient } from '../../src/kube/client.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { startController } from '../helpers/controller.js';
import { installCrds } from '../helpers/crds.js';
import { mooring } from './mooring.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'check');
after(() => client.close());

const check = () => mooring(['check', '--kubeconfig', state.kubeconfig, '--controller-namespace', ns]);

function deployment(name: string, labels: Record<string, string>) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'c', image: 'example.invalid/none:1' }] },
      },
    },
  };
}

test('no controller: the CRDs pass, the Deployment and the leader fail, exit 1, one line per finding', async () => {
  const r = await check();
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.includes('✔ CRD gitrepositories.source.toolkit.fluxcd.io serves and stores v1'), r.stdout);
  assert.ok(
    lines.includes('✔ CRD kustomizations.kustomize.toolkit.fluxcd.io serves and stores v1'),
    r.stdout,
  );
  assert.ok(
    lines.includes(`✗ Deployment ${ns}/mooring-controller not found (run 'mooring install')`),
    r.stdout,
  );
  assert.ok(lines.includes(`✗ no leader: Lease ${ns}/mooring-leader-election not found`), r.stdout);
  for (const l of lines) assert.match(l, /^[✔⚠✗] /);
});

test('a leader-elected controller: exit 0; a running Flux kustomize-controller is a warning', async () => {
  // The real controller, leader election on, its Lease in the test namespace. It runs outside the
  // cluster, so the missing Deployment is only a warning.
  const ctl = await startController({
    kubeconfig: state.kubeconfig,
    namespace: ns,
    args: ['--enable-leader-election', '--leader-election-namespace', ns],
  });
  try {
    const ok = await eventually('check sees the leader', async () => {
      const r = await check();
      return r.stdout.includes('✔ leader elected: ') ? r : undefined;
    });
    assert.match(ok.stdout, new RegExp(`✔ leader elected: \\S+ holds Lease ${ns}/mooring-leader-election`));
    assert.ok(ok.stdout.includes(`⚠ Deployment ${ns}/mooring-controller not found (the leader `), ok.stdout);

    await client.post(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      deployment('kustomize-controller', { 'app.kubernetes.io/part-of': 'flux', app: 'kc' }),
    );
    const warned = await check();
    assert.ok(
      warned.stdout.includes(`⚠ Flux's kustomize-controller is running in ${ns}: it and Mooring would fight`),
      warned.stdout,
    );
    // Warnings do not fail the check (failures elsewhere would be the shared cluster's CRDs).
    if (!warned.stdout.includes('✗')) assert.equal(warned.code, 0, warned.stdout);

    // Scaled to 0: no longer reported.
    await client.patch(
      `/apis/apps/v1/namespaces/${ns}/deployments/kustomize-controller`,
      { spec: { replicas: 0 } },
      'application/merge-patch+json',
    );
    const scaled = await check();
    assert.ok(!scaled.stdout.includes(`running in ${ns}:`), scaled.stdout);
  } finally {
    await ctl.stop();
  }
});

test('objects still stored as v1beta2 are a failure naming the remedy', () => {
  const crd = {
    spec: { versions: [{ name: 'v1', served: true, storage: true }] },
    status: { storedVersions: ['v1beta2', 'v1'], conditions: [{ type: 'Established', status: 'True' }] },
  };
  const findings = crdFindings('kustomizations.kustomize.toolkit.fluxcd.io', crd);
  assert.deepEqual(
    findings.map((f) => f.level),
    ['ok', 'failure'],
  );
  assert.match(
    findings[1]!.message,
    /stored as v1beta2: rewrite them in v1 and set status.storedVersions to \[v1\]/,
  );
  assert.equal(crdFindings('x', undefined)[0]?.level, 'failure');
});
