// Health on the real apiserver with the controller-manager: a Deployment with replicas 0 becomes
// Current once the deployment controller has observed it; a custom resource follows the Ready
// condition the test writes through /status (as its controller would); Stalled fails fast.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import { ContentType } from '../../src/kube/client.js';
import { type Manifest, refOf } from '../../src/kube/dynamic.js';
import { testNamespace } from '../helpers/cluster.js';
import { crd, customResource, deployment, setup, suffix } from './fixtures.js';

const env = await setup();
const { client } = env;
const m = new ResourceManager({ client, ownerLabels: ownerLabelsFor('health', 'flux-system') });
const ns = await testNamespace(env.kc, 'health');
const group = `h${suffix()}.mooring.dev`;
after(async () => {
  await client
    .delete(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/probes.${group}`)
    .catch(() => undefined);
});

test('a Deployment with replicas 0 is healthy once the controller has observed it', async () => {
  const dep = deployment(ns, 'idle');
  assert.equal((await m.applyAll([dep])).error, undefined);
  const res = await m.waitForSet([refOf(dep)], { timeoutMs: 30_000, intervalMs: 200 });
  assert.equal(res.ok, true, res.ok ? '' : res.message);
  assert.deepEqual(
    res.objects.map((o) => [o.subject, o.status, o.message]),
    [[`Deployment/${ns}/idle`, 'Current', 'Deployment is available. Replicas: 0']],
  );
});

async function setStatus(name: string, conditions: object[]): Promise<void> {
  const path = `/apis/${group}/v1/namespaces/${ns}/probes/${name}/status`;
  const live = await client.get<Manifest>(path);
  await client.patch(
    path,
    { status: { observedGeneration: live.metadata.generation, conditions } },
    ContentType.mergePatch,
  );
}

const condition = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});

test('a custom resource is healthy when its Ready condition says so', async () => {
  const probe = customResource(group, 'Probe', ns, 'ready-probe');
  const applied = await m.applyAll([crd(group, 'Probe'), probe]);
  assert.equal(applied.error, undefined, applied.error?.message);
  await setStatus('ready-probe', [condition('Ready', 'False', 'Progressing', 'warming up')]);

  const early = await m.waitForSet([refOf(probe)], { timeoutMs: 300, intervalMs: 100 });
  assert.equal(early.ok, false);
  assert.equal(early.ok ? '' : early.reason, 'Timeout');
  assert.equal(
    early.ok ? '' : early.message,
    `timeout waiting for: [Probe/${ns}/ready-probe status: 'InProgress': warming up]`,
  );

  const waiting = m.waitForSet([refOf(probe)], { timeoutMs: 30_000, intervalMs: 100 });
  await setStatus('ready-probe', [condition('Ready', 'True', 'Succeeded', 'all good')]);
  const res = await waiting;
  assert.equal(res.ok, true);
  assert.deepEqual(
    res.objects.map((o) => [o.status, o.message]),
    [['Current', 'all good']],
  );
});

test('waitForSet fails fast when an object is stalled, naming it and why', async () => {
  const probe = customResource(group, 'Probe', ns, 'stalled-probe');
  const healthy = customResource(group, 'Probe', ns, 'fine-probe');
  assert.equal((await m.applyAll([probe, healthy])).error, undefined);
  await setStatus('fine-probe', [condition('Ready', 'True', 'Succeeded', 'ok')]);
  await setStatus('stalled-probe', [
    condition('Ready', 'False', 'InvalidConfig', 'bad config'),
    condition('Stalled', 'True', 'InvalidConfig', 'spec.size is not supported'),
  ]);
  const started = Date.now();
  const res = await m.waitForSet([refOf(probe), refOf(healthy)], { timeoutMs: 30_000, intervalMs: 100 });
  assert.ok(Date.now() - started < 5_000, 'did not wait for the timeout');
  assert.equal(res.ok, false);
  assert.equal(res.ok ? '' : res.reason, 'HealthCheckFailed');
  assert.equal(
    res.ok ? '' : res.message,
    `failed early due to stalled resources: [Probe/${ns}/stalled-probe status: 'Failed': spec.size is not supported]`,
  );
});
