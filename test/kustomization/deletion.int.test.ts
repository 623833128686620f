// Deleting a Kustomization: what happens to the objects it applied under each deletionPolicy
// (MirrorPrune following spec.prune, Delete, Orphan, WaitForTermination), and a suspended
// Kustomization, which deletes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeletionPolicy } from '../../src/api/kustomization.js';
import { eventually } from '../helpers/cluster.js';
import { configMapYaml, kustomizationEnv } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-del' });
const HOLD = 'test.mooring.dev/hold';

const src = await env.source('app', {
  'mirror-prune/cm.yaml': configMapYaml('mirror-prune', { a: '1' }),
  'mirror-keep/cm.yaml': configMapYaml('mirror-keep', { a: '1' }),
  'delete/cm.yaml': configMapYaml('delete', { a: '1' }),
  'orphan/cm.yaml': configMapYaml('orphan', { a: '1' }),
  'suspended/cm.yaml': configMapYaml('suspended', { a: '1' }),
  'wait/plain.yaml': configMapYaml('wait-plain', { a: '1' }),
  'wait/held.yaml': configMapYaml('wait-held', { a: '1' }, `  finalizers:\n    - ${HOLD}\n`),
});

async function deploy(name: string, prune: boolean, deletionPolicy?: DeletionPolicy): Promise<void> {
  await env.applyKustomization(name, {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: `./${name}`,
    targetNamespace: env.ns,
    prune,
    timeout: '2m',
    ...(deletionPolicy ? { deletionPolicy } : {}),
  });
  await env.waitApplied(name, src.revision);
}

async function deleteKustomization(name: string): Promise<void> {
  await env.kubectl(['delete', 'kustomization', name, '--wait=false']);
}

async function gone(name: string): Promise<void> {
  await eventually(
    `Kustomization ${name} deleted`,
    async () => (await env.kustomization(name)) === undefined,
  );
}

test('MirrorPrune (the default) follows spec.prune: prune true deletes, prune false keeps', async () => {
  await deploy('mirror-prune', true);
  await deploy('mirror-keep', false);
  await deleteKustomization('mirror-prune');
  await deleteKustomization('mirror-keep');
  await gone('mirror-prune');
  await gone('mirror-keep');
  await eventually(
    'mirror-prune ConfigMap deleted',
    async () => (await env.configMap('mirror-prune')) === undefined,
  );
  assert.ok(await env.configMap('mirror-keep'), 'prune false: the ConfigMap is kept');
});

test('Delete deletes even with prune false; Orphan keeps even with prune true', async () => {
  await deploy('delete', false, 'Delete');
  await deploy('orphan', true, 'Orphan');
  await deleteKustomization('delete');
  await deleteKustomization('orphan');
  await gone('delete');
  await gone('orphan');
  await eventually('delete ConfigMap deleted', async () => (await env.configMap('delete')) === undefined);
  assert.ok(await env.configMap('orphan'), 'Orphan: the ConfigMap is kept');
});

test('WaitForTermination: the Kustomization stays until every object it deleted is gone', async () => {
  await deploy('wait', false, 'WaitForTermination');
  await deleteKustomization('wait');
  // The plain ConfigMap goes at once; the held one is Terminating until its finalizer is removed.
  await eventually('objects deleted, one still terminating', async () => {
    const plain = await env.configMap('wait-plain');
    const held = await env.configMap('wait-held');
    return plain === undefined && held?.metadata.deletionTimestamp !== undefined;
  });
  const waiting = await env.kustomization('wait');
  assert.ok(waiting?.metadata.deletionTimestamp, 'the Kustomization waits for the terminating object');

  await env.kubectl([
    'patch',
    'configmap',
    'wait-held',
    '--type=json',
    '-p',
    '[{"op":"remove","path":"/metadata/finalizers"}]',
  ]);
  await eventually('held ConfigMap gone', async () => (await env.configMap('wait-held')) === undefined);
  await gone('wait');
});

test('deleting a suspended Kustomization deletes nothing', async () => {
  await deploy('suspended', true);
  await env.kubectl([
    'patch',
    'kustomization',
    'suspended',
    '--type=merge',
    '-p',
    '{"spec":{"suspend":true}}',
  ]);
  await env.waitKustomization('suspended', 'suspension observed', (k) => k.status?.observedGeneration === 2);
  await deleteKustomization('suspended');
  await gone('suspended');
  assert.ok(await env.configMap('suspended'), 'the ConfigMap is kept');
});
