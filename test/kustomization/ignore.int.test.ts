// spec.ignore on the real apiserver, as Flux's drift-ignore test: an out-of-band change to an
// ignored field survives new revisions and drift checks; a non-ignored field is restored; objects
// the target does not select are fully reconciled.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentType } from '../../src/kube/client.js';
import { configMapYaml, kustomizationEnv } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-ignore' });

const files = (managed: string) => ({
  'app/cm.yaml': configMapYaml('settings', { 'managed-key': managed, 'ignored-key': 'original' }),
  'app/other.yaml': configMapYaml('other', { 'managed-key': managed, 'ignored-key': 'original' }),
});

test('ignored fields are neither reported as drift nor overwritten', async () => {
  const src = await env.source('app', files('v1'));
  await env.applyKustomization('app', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './app',
    targetNamespace: env.ns,
    ignore: [{ paths: ['/data/ignored-key'], target: { kind: 'ConfigMap', name: 'settings' } }],
  });
  await env.waitApplied('app', src.revision);
  assert.equal((await env.configMap('settings'))?.data?.['ignored-key'], 'original', 'created whole');

  // Another controller (not kubectl, whose edits Flux takes over) changes the ConfigMaps.
  const patch = (name: string, data: Record<string, string>) =>
    env.client.patch(`/api/v1/namespaces/${env.ns}/configmaps/${name}`, { data }, ContentType.mergePatch, {
      query: { fieldManager: 'vpa-controller' },
    });
  await patch('settings', { 'ignored-key': 'modified-externally' });
  await patch('other', { 'ignored-key': 'modified-externally' });

  const v2 = await src.push(files('v2'));
  const ks = await env.waitApplied('app', v2);
  const settings = await env.configMap('settings');
  assert.equal(settings?.data?.['managed-key'], 'v2');
  assert.equal(settings?.data?.['ignored-key'], 'modified-externally', 'ignored field kept');
  assert.equal((await env.configMap('other'))?.data?.['ignored-key'], 'original', 'not selected: restored');

  // Drift only in the ignored field: a sync reports nothing and writes nothing.
  await patch('settings', { 'ignored-key': 'changed-again' });
  const before = (await env.configMap('settings'))?.metadata;
  const token = await env.requestReconcile('kustomization', 'app');
  await env.waitKustomization('app', 'sync handled', (k) => k.status?.lastHandledReconcileAt === token);
  const after = await env.configMap('settings');
  assert.equal(after?.data?.['ignored-key'], 'changed-again');
  assert.equal(
    (after?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion,
    (before as { resourceVersion?: string } | undefined)?.resourceVersion,
    'no write',
  );
  const events = await env.events('app');
  assert.ok(
    !events.some(
      (e) => /ConfigMap\/[^ ]+\/settings configured/.test(e.message) && e.message.includes('changed'),
    ),
    'no drift event for the ignored field',
  );
  assert.ok(ks);

  // A non-ignored field drifting is restored.
  await patch('settings', { 'managed-key': 'tampered' });
  const token2 = await env.requestReconcile('kustomization', 'app');
  await env.waitKustomization('app', 'sync handled', (k) => k.status?.lastHandledReconcileAt === token2);
  const restored = await env.configMap('settings');
  assert.equal(restored?.data?.['managed-key'], 'v2');
  assert.equal(restored?.data?.['ignored-key'], 'changed-again');
});

test('an invalid rule: Stalled naming spec.ignore', async () => {
  await env.source('bad', files('v1'));
  await env.applyKustomization('bad', {
    sourceRef: { kind: 'GitRepository', name: 'bad' },
    path: './app',
    targetNamespace: `${env.ns}-none`,
    ignore: [{ paths: ['data/x'] }],
  });
  const ks = await env.waitFailed('bad', 'ReconciliationFailed');
  assert.match(
    ks.status?.conditions?.find((c) => c.type === 'Stalled')?.message ?? '',
    /spec\.ignore\[0\]\.paths\[0\]/,
  );
});
