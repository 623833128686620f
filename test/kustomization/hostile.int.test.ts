// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// One tenant's hostile build cannot freeze the controller: a build that would run for minutes
// fails its own Kustomization at the time limit, and a substitution bomb at the memory limit,
// while another tenant's Kustomization reconciles and the controller's Lease keeps being renewed
// (read from the apiserver during the hostile build). The controller process survives both.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { eventually } from '../helpers/cluster.js';
import { leaderElectionArgs, type RunningController, startController } from '../helpers/controller.js';
import { slowKustomization, substitutionBomb } from '../helpers/hostile.js';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'hostile', controller: false });
// Shorter than the defaults (60 s; a 35 s Lease renewed every 5 s) so the hostile build is not
// waited for a minute, yet long enough for the other tenant to be applied meanwhile and for the
// leader to renew its Lease many times over.
const BUILD_TIMEOUT_S = 15;
const LEASE_S = 10;
const RENEW_MS = 1_000;
const MEMORY_MB = 128;
const controller: RunningController = await startController({
  kubeconfig: env.state.kubeconfig,
  namespace: env.ns,
  args: [
    ...leaderElectionArgs(env.ns, {
      leaseMs: LEASE_S * 1_000,
      renewDeadlineMs: (LEASE_S - 2) * 1_000,
      retryPeriodMs: RENEW_MS,
    }),
    '--build-workers',
    '2',
    '--build-timeout',
    `${BUILD_TIMEOUT_S}s`,
    '--build-memory-limit',
    String(MEMORY_MB),
  ],
});
after(() => controller.stop());

const LEASE = `/apis/coordination.k8s.io/v1/namespaces/${env.ns}/leases/mooring-leader-election`;
interface Lease {
  spec?: { holderIdentity?: string; renewTime?: string };
}
const lease = async () => (await env.get(LEASE)) as Lease | undefined;

const spec = (source: string, path = './app'): Parameters<typeof env.applyKustomization>[1] => ({
  sourceRef: { kind: 'GitRepository', name: source },
  path,
  targetNamespace: env.ns,
});

const building = (k: Kustomization) =>
  readyOf(k)?.status === 'Unknown' && readyOf(k)?.reason === 'Progressing';

test('a build over the time limit fails alone: the other tenant reconciles, the Lease is renewed', {
  timeout: 240_000,
}, async (t) => {
  await eventually('the Lease is held', async () => (await lease())?.spec?.holderIdentity, 60_000);
  // 2,000 ConfigMaps × 5,000 patches: minutes of work (about 90 s of CPU, measured) in bounded memory.
  const slow = await env.source('slow', slowKustomization('app', 2_000, 5_000));
  const tenant = await env.source('tenant', { 'app/cm.yaml': configMapYaml('tenant-cm', { a: '1' }) });
  await env.applyKustomization('hostile', spec('slow'));
  await env.waitKustomization('hostile', 'building', building, { timeoutMs: 90_000 });

  // While the hostile build runs: watch the Lease, and bring up the other tenant.
  const renewals: string[] = [];
  let holder: string | undefined;
  let hostileDone = false;
  const watching = (async () => {
    while (!hostileDone) {
      const l = await lease();
      holder ??= l?.spec?.holderIdentity;
      assert.equal(l?.spec?.holderIdentity, holder, 'the same holder throughout');
      const renewTime = l?.spec?.renewTime;
      if (renewTime && renewals.at(-1) !== renewTime) renewals.push(renewTime);
      await new Promise((r) => setTimeout(r, RENEW_MS / 2));
    }
  })();
  try {
    const tenantFrom = Date.now();
    await env.applyKustomization('tenant', { ...spec('tenant'), interval: '1m' });
    await env.waitApplied('tenant', tenant.revision, { timeoutMs: 60_000 });
    t.diagnostic(`the other tenant was applied in ${Date.now() - tenantFrom} ms`);
    const hostile = await env.kustomization('hostile');
    assert.ok(hostile && building(hostile), 'the other tenant was applied while the hostile build ran');
    assert.equal((await env.configMap('tenant-cm'))?.data?.a, '1');

    const failed = await env.waitFailed('hostile', 'BuildFailed', {
      revision: slow.revision,
      timeoutMs: BUILD_TIMEOUT_S * 1_000 + 60_000,
    });
    assert.equal(readyOf(failed)?.message, `build exceeded ${BUILD_TIMEOUT_S}s`);
  } finally {
    hostileDone = true;
    await watching;
  }
  const times = renewals.map((r) => Date.parse(r));
  const gaps = times.slice(1).map((x, i) => x - times[i]!);
  t.diagnostic(
    `Lease renewals seen during the hostile build: ${renewals.length}, gaps ${gaps.join(', ')} ms`,
  );
  // The leader renews every second: a 15 s build spans many renewals, none late enough to lose it.
  assert.ok(renewals.length >= 3, `the Lease was renewed during the hostile build (${renewals.join(', ')})`);
  assert.ok(
    gaps.every((g) => g < LEASE_S * 1_000),
    `no gap between renewals reached the lease duration (${LEASE_S} s)`,
  );
  const events = await env.events('hostile');
  assert.ok(
    events.some(
      (e) =>
        e.type === 'Warning' &&
        e.reason === 'BuildFailed' &&
        e.message === `build exceeded ${BUILD_TIMEOUT_S}s`,
    ),
    'a Warning event says so',
  );
});

test('a substitution bomb fails at the memory limit; the controller lives on', {
  timeout: 180_000,
}, async () => {
  // A ConfigMap value of 512 KiB pasted 400 times: a 200 MiB string in one allocation.
  await env.kubectl(
    ['create', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { BIG: 'x'.repeat(512 * 1024) },
    }),
  );
  const bomb = await env.source('bomb', substitutionBomb('app', 'BIG', 400));
  await env.applyKustomization('bomb', {
    ...spec('bomb'),
    postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'big' }] },
  });
  const failed = await env.waitFailed('bomb', 'BuildFailed', { revision: bomb.revision, timeoutMs: 120_000 });
  assert.equal(readyOf(failed)?.message, `build exceeded its memory limit (${MEMORY_MB} MiB)`);
  assert.equal(controller.process.exitCode, null, 'the controller process is still running');

  // And it still reconciles: a sync request to the other tenant is handled.
  const token = await env.requestReconcile('kustomization', 'tenant');
  await env.waitKustomization(
    'tenant',
    'the sync request handled, Ready',
    (k) => k.status?.lastHandledReconcileAt === token && readyOf(k)?.status === 'True',
    { timeoutMs: 60_000 },
  );
});
