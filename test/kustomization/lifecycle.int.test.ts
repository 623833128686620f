// When the controller acts: a source's new revision triggers its Kustomizations at once (no
// requestedAt on them, interval 10m), and a suspended Kustomization applies nothing — not a new
// revision, not a sync request — until it is resumed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../helpers/wait.js';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-life' });

test("a source's new revision triggers the Kustomization at once", async () => {
  const src = await env.source('follow', { 'app/cm.yaml': configMapYaml('follow', { version: '1' }) });
  await env.applyKustomization('follow', {
    sourceRef: { kind: 'GitRepository', name: 'follow' },
    path: './app',
    targetNamespace: env.ns,
  });
  await env.waitApplied('follow', src.revision);
  const requestedBefore = (await env.kustomization('follow'))?.metadata.annotations?.[
    'reconcile.fluxcd.io/requestedAt'
  ];

  // Only the GitRepository is asked to sync (as a push webhook would); the Kustomization's
  // interval is 10m, so only the source watch can apply the new revision in time.
  const next = await src.push({ 'app/cm.yaml': configMapYaml('follow', { version: '2' }) });
  const ks = await env.waitApplied('follow', next, { timeoutMs: 20_000 });
  assert.equal(ks.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'], requestedBefore);
  assert.equal((await env.configMap('follow'))?.data?.version, '2');
  const applied = await env.waitEvent(
    'follow',
    'a Normal event carries the new revision',
    (e) =>
      e.type === 'Normal' &&
      e.reason === 'Progressing' &&
      e.metadata.annotations?.['kustomize.toolkit.fluxcd.io/revision'] === next,
  );
  assert.match(applied.message, /ConfigMap\/.*follow configured/);
});

test('suspend: nothing is applied while suspended, even on request; resume applies', async () => {
  const src = await env.source('held', { 'app/cm.yaml': configMapYaml('held', { version: '1' }) });
  const spec = {
    sourceRef: { kind: 'GitRepository' as const, name: 'held' },
    path: './app',
    targetNamespace: env.ns,
  };
  await env.applyKustomization('held', spec);
  await env.waitApplied('held', src.revision);

  await env.applyKustomization('held', { ...spec, suspend: true });
  const next = await src.push({ 'app/cm.yaml': configMapYaml('held', { version: '2' }) });
  await src.waitArtifact(next);
  const token = await env.requestReconcile('kustomization', 'held');
  // The controller handles the request (as Flux does, it records it and, being Ready, marks the
  // suspended generation observed) but applies nothing.
  const ks = await env.waitKustomization(
    'held',
    'sync request handled while suspended',
    (k) => k.status?.lastHandledReconcileAt === token,
  );
  assert.equal(ks.status?.observedGeneration, ks.metadata.generation, 'suspended generation observed');
  assert.equal(ks.status?.lastAppliedRevision, src.revision, 'still at the first revision');
  assert.equal(readyOf(ks)?.message, `Applied revision: ${src.revision}`);
  assert.equal((await env.configMap('held'))?.data?.version, '1', 'the cluster did not change');

  await env.applyKustomization('held', { ...spec, suspend: false });
  await env.waitApplied('held', next);
  assert.equal((await env.configMap('held'))?.data?.version, '2');
});

test('a new revision that leaves a Kustomization unchanged is recorded without applying; a sync request checks drift', async () => {
  const src = await env.source('shared', {
    'a/cm.yaml': configMapYaml('shared-a', { version: '1' }),
    'b/cm.yaml': configMapYaml('shared-b', { version: '1' }),
  });
  for (const app of ['a', 'b']) {
    await env.applyKustomization(`shared-${app}`, {
      sourceRef: { kind: 'GitRepository', name: 'shared' },
      path: `./${app}`,
      targetNamespace: env.ns,
    });
  }
  await env.waitApplied('shared-a', src.revision);
  await env.waitApplied('shared-b', src.revision);
  // Someone edits shared-a by hand.
  await env.kubectl([
    'patch',
    'configmap',
    'shared-a',
    '--type=merge',
    '-p',
    '{"data":{"version":"edited"}}',
  ]);

  // A commit that only touches b: a's manifests are byte-identical, so a records the revision
  // without contacting the cluster (its drift is left for its interval or a sync request).
  const next = await src.push({ 'b/cm.yaml': configMapYaml('shared-b', { version: '2' }) });
  await env.waitApplied('shared-b', next, { timeoutMs: 20_000 });
  assert.equal((await env.configMap('shared-b'))?.data?.version, '2');
  const a = await env.waitApplied('shared-a', next, { timeoutMs: 20_000 });
  assert.equal(a.status?.lastAttemptedRevision, next);
  assert.equal((await env.configMap('shared-a'))?.data?.version, 'edited', 'no apply for an unchanged build');

  // A sync request is a full pass: the drift is corrected.
  await env.requestReconcile('kustomization', 'shared-a');
  await eventually(
    'the requested sync restores shared-a',
    async () => (await env.configMap('shared-a'))?.data?.version === '1',
  );
});
