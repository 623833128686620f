// The dynamic client and RESTMapper on the real apiserver: a kind created a moment ago becomes
// usable without a restart, and manifests reach the server byte-faithfully (mixed-case names,
// fields no typed model knows).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RESTMapper } from '../../src/kube/discovery.js';
import { DynamicClient, type Manifest } from '../../src/kube/dynamic.js';
import { eventually } from '../helpers/cluster.js';
import { crd, setup, suffix } from './fixtures.js';

const env = await setup();
const { client } = env;
const cleanup: string[] = [];
after(async () => {
  for (const path of cleanup) await client.delete(path).catch(() => undefined);
});

test('a CRD created a moment ago is found by the RESTMapper without a restart', async () => {
  const group = `d${suffix()}.mooring.dev`;
  const mapper = new RESTMapper(client, { refreshIntervalMs: 0 });
  const gvk = { group, version: 'v1', kind: 'Doodad' };
  assert.equal(await mapper.find(gvk), undefined, 'unknown before the CRD exists');

  const def = crd(group, 'Doodad');
  cleanup.push(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${def.metadata.name}`);
  await client.post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', def);
  const type = await eventually('Doodad served', () => mapper.find(gvk));
  assert.deepEqual(type, { group, version: 'v1', kind: 'Doodad', plural: 'doodads', namespaced: true });
  const core = await mapper.find({ group: '', version: 'v1', kind: 'Namespace' });
  assert.equal(core?.namespaced, false);
});

test('manifests are sent as given: mixed-case names and unknown fields arrive intact', async () => {
  const dyn = new DynamicClient(client, new RESTMapper(client));
  const name = `Mixed:Case-${suffix()}`;
  cleanup.push(`/apis/rbac.authorization.k8s.io/v1/clusterroles/${encodeURIComponent(name)}`);
  const role: Manifest = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, annotations: { date: '2024-01-01' } },
    rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
  };
  const applied = await dyn.apply(role, { fieldManager: 'mooring-test', force: true });
  assert.equal(applied.metadata.name, name);
  assert.equal(applied.metadata.annotations?.date, '2024-01-01', 'a date-like string stays a string');
  const live = await dyn.get({
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'ClusterRole',
    namespace: '',
    name,
  });
  assert.equal(live?.metadata.name, name);

  // A field the typed client-node model does not have (dependencies.md §2 bug 1): the server,
  // not the client, decides. v1.20 refuses it under server-side apply (500, "field not declared
  // in schema"), which proves it was sent.
  const ns = `default`;
  await assert.rejects(
    dyn.apply(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `future-${suffix()}`, namespace: ns },
        data: { a: '1' },
        futureField: { enabled: true },
      },
      { fieldManager: 'mooring-test', dryRun: true },
    ),
    /futureField/,
  );
});
