// Staging and validation on the real apiserver: a CRD, its custom resource and a new Namespace in
// one set; validation of the whole set before any write; immutable fields with and without force.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { testNamespace } from '../helpers/cluster.js';
import { configMap, crd, customResource, deployment, service, setup, suffix } from './fixtures.js';

const env = await setup();
const { client, requests } = env;
const owner = ownerLabelsFor('stages', 'flux-system');
const manager = (): ResourceManager => new ResourceManager({ client, ownerLabels: owner });
const cleanup: string[] = [];
after(async () => {
  for (const path of cleanup) await client.delete(path).catch(() => undefined);
});

test('a CRD, a new Namespace and objects that need them apply in one set', async () => {
  const group = `g${suffix()}.mooring.dev`;
  const ns = `stages-${suffix()}`;
  cleanup.push(
    `/api/v1/namespaces/${ns}`,
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.${group}`,
  );
  // Deliberately out of order: the engine stages and sorts.
  const set: Manifest[] = [
    customResource(group, 'Gadget', ns, 'first', 3),
    configMap(ns, 'settings'),
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    crd(group, 'Gadget'),
  ];
  const res = await manager().applyAll(set);
  assert.equal(res.error, undefined, res.error?.message);
  assert.deepEqual(res.changeSet.lines(), [
    `CustomResourceDefinition/gadgets.${group} created`,
    `Namespace/${ns} created`,
    `ConfigMap/${ns}/settings created`,
    `Gadget/${ns}/first created`,
  ]);
  const gadget = await client.get<Manifest>(`/apis/${group}/v1/namespaces/${ns}/gadgets/first`);
  assert.deepEqual(gadget.spec, { size: 3 });

  requests.reset();
  const again = await manager().applyAll(set);
  assert.equal(again.changeSet.summary(), '4 unchanged');
  assert.equal(requests.writes, 0);
});

test('one invalid object in a set of 50: nothing is applied and every rejection is reported', async () => {
  const ns = await testNamespace(env.kc, 'stages-invalid');
  const set: Manifest[] = Array.from({ length: 48 }, (_, i) => configMap(ns, `cm-${i}`));
  // A value of the wrong type (schema), and a value out of range (validation).
  set.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'typed', namespace: ns },
    data: { n: 42 },
  });
  set.push(service(ns, 'web', 99999));
  requests.reset();
  const res = await manager().applyAll(set);
  assert.equal(res.error?.reason, 'ValidationFailed');
  assert.deepEqual(res.error?.objects.map((o) => o.subject).sort(), [
    `ConfigMap/${ns}/typed`,
    `Service/${ns}/web`,
  ]);
  assert.match(res.error?.message ?? '', /^2 objects rejected by server-side dry-run, nothing applied/);
  assert.match(
    res.error?.message ?? '',
    new RegExp(`Service/${ns}/web dry-run failed \\(Invalid\\): .*99999`),
  );
  assert.match(
    res.error?.message ?? '',
    new RegExp(`ConfigMap/${ns}/typed dry-run failed .*expected string`),
  );
  assert.equal(requests.writes, 0);
  const cms = await client.get<{ items: Manifest[] }>(`/api/v1/namespaces/${ns}/configmaps`);
  assert.deepEqual(
    cms.items.filter((c) => c.metadata.name.startsWith('cm-')),
    [],
    'none of the 48 valid ConfigMaps was created',
  );
});

test('objects in a namespace that exists nowhere are rejected with the server message', async () => {
  const res = await manager().applyAll([configMap(`missing-${suffix()}`, 'orphan')]);
  assert.equal(res.error?.reason, 'ValidationFailed');
  assert.match(
    res.error?.message ?? '',
    /dry-run failed \(NotFound\): namespaces "missing-[0-9a-f]+" not found/,
  );
});

test('an immutable field change fails without force and recreates the object with force', async () => {
  const ns = await testNamespace(env.kc, 'stages-immutable');
  const path = `/apis/apps/v1/namespaces/${ns}/deployments/web`;
  const m = manager();
  const v1 = deployment(ns, 'web');
  assert.equal((await m.applyAll([v1])).error, undefined);
  const before = await client.get<Manifest>(path);

  // A new selector: apps/v1 Deployments refuse that change.
  const v2 = structuredClone(v1);
  const spec = v2.spec as {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> } };
  };
  spec.selector.matchLabels = { app: 'web', track: 'stable' };
  spec.template.metadata.labels = { app: 'web', track: 'stable' };

  requests.reset();
  const refused = await m.applyAll([v2, configMap(ns, 'alongside')]);
  assert.equal(refused.error?.reason, 'ValidationFailed');
  assert.match(
    refused.error?.message ?? '',
    new RegExp(
      `Deployment/${ns}/web dry-run failed, immutable field changed .*field is immutable.*enable force`,
    ),
  );
  assert.equal(requests.writes, 0, 'nothing applied, not even the valid ConfigMap');
  assert.equal((await client.get<Manifest>(path)).metadata.uid, before.metadata.uid);

  const forced = await m.applyAll([v2], { force: true });
  assert.equal(forced.error, undefined, forced.error?.message);
  assert.deepEqual(
    forced.changeSet.entries.map((e) => [e.subject, e.action, e.note]),
    [[`Deployment/${ns}/web`, 'configured', 'recreated']],
  );
  const after = await client.get<Manifest>(path);
  assert.notEqual(after.metadata.uid, before.metadata.uid);
  assert.deepEqual((after.spec as typeof spec).selector.matchLabels, { app: 'web', track: 'stable' });
});

test('the force annotation on one object recreates just that object', async () => {
  const ns = await testNamespace(env.kc, 'stages-force-annotation');
  const m = manager();
  const job = (image: string): Manifest => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'migrate',
      namespace: ns,
      annotations: { 'kustomize.toolkit.fluxcd.io/force': 'Enabled' },
    },
    spec: {
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image }] } },
    },
  });
  assert.equal((await m.applyAll([job('busybox:1.36')])).error, undefined);
  const res = await m.applyAll([job('busybox:1.37')]);
  assert.equal(res.error, undefined, res.error?.message);
  assert.equal(res.changeSet.find(`Job/${ns}/migrate`)?.note, 'recreated');
  const live = await client.get<Manifest>(`/apis/batch/v1/namespaces/${ns}/jobs/migrate`);
  const containers = (live.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template
    .spec.containers;
  assert.equal(containers[0]?.image, 'busybox:1.37');
});
