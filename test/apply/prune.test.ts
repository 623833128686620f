// prune's decisions with an in-memory context: what it refuses to delete and why, what it
// reports for objects already gone, and how failures are kept for the next attempt. Deletion
// order and propagation on the real apiserver are in prune.int.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplyCache } from '../../src/apply/cache.js';
import { inventoryOf } from '../../src/apply/inventory.js';
import { ownerLabelsFor } from '../../src/apply/manager.js';
import { prune } from '../../src/apply/prune.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { apiError, fakeContext, putLive } from './fakecontext.js';

const owner = ownerLabelsFor('apps', 'flux-system');

const configMap = (name: string, labels: Record<string, string> = owner, annotations = {}): Manifest => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'apps', labels, annotations },
});

test('prune deletes what is still ours and skips objects marked prune: disabled or owned by someone else', async () => {
  const ctx = fakeContext(owner);
  const refs = [
    putLive(ctx, configMap('ours')),
    putLive(ctx, configMap('kept', owner, { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' })),
    putLive(ctx, configMap('excluded', owner, { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' })),
    putLive(ctx, configMap('adopted', ownerLabelsFor('other', 'flux-system'))),
    putLive(ctx, configMap('unlabelled', {})),
  ];
  const { changeSet, failed } = await prune(ctx, inventoryOf(refs));

  assert.deepEqual(failed, []);
  assert.deepEqual(
    changeSet.entries.map((e) => [e.subject, e.action, e.note]),
    [
      // Delete order: the reverse of apply order, down to the name.
      ['ConfigMap/apps/unlabelled', 'skipped', 'owner labels changed: not ours any more'],
      ['ConfigMap/apps/ours', 'deleted', undefined],
      ['ConfigMap/apps/kept', 'skipped', 'prune disabled'],
      ['ConfigMap/apps/excluded', 'skipped', 'prune disabled'],
      ['ConfigMap/apps/adopted', 'skipped', 'owner labels changed: not ours any more'],
    ],
  );
  assert.deepEqual(
    ctx.calls.filter((c) => c.startsWith('delete')),
    ['delete ConfigMap/apps/ours'],
  );
  assert.deepEqual([...ctx.objects.keys()].sort(), [
    'ConfigMap/apps/adopted',
    'ConfigMap/apps/excluded',
    'ConfigMap/apps/kept',
    'ConfigMap/apps/unlabelled',
  ]);
  // Skipped objects stay in the inventory; the deleted one leaves it.
  assert.deepEqual(
    changeSet.toInventory().map((e) => e.id),
    [
      'apps_adopted__ConfigMap',
      'apps_excluded__ConfigMap',
      'apps_kept__ConfigMap',
      'apps_unlabelled__ConfigMap',
    ],
  );
});

test('an object whose owner labels changed is not ours, even when it also says prune: disabled', async () => {
  const ctx = fakeContext(owner);
  const ref = putLive(
    ctx,
    configMap('moved', ownerLabelsFor('other', 'flux-system'), {
      'kustomize.toolkit.fluxcd.io/prune': 'disabled',
    }),
  );
  const { changeSet } = await prune(ctx, inventoryOf([ref]));
  assert.equal(changeSet.find('ConfigMap/apps/moved')?.note, 'owner labels changed: not ours any more');
});

test('objects already gone, or whose kind is no longer served, count as deleted without a DELETE', async () => {
  const ctx = fakeContext(owner);
  ctx.unserved.add('Widget');
  const entries = [
    { id: 'apps_gone__ConfigMap', v: 'v1' },
    { id: 'apps_w_example.com_Widget', v: 'v1' },
  ];
  const { changeSet, failed } = await prune(ctx, entries);
  assert.deepEqual(failed, []);
  assert.deepEqual(
    changeSet.entries.map((e) => [e.subject, e.action, e.note]),
    [
      ['Widget/apps/w', 'deleted', 'kind no longer served'],
      ['ConfigMap/apps/gone', 'deleted', 'already gone'],
    ],
  );
  // The kind that is not served is not even read.
  assert.deepEqual(ctx.calls, ['find Widget', 'find ConfigMap', 'get ConfigMap/apps/gone']);
});

test('pruned objects are forgotten by the apply cache; skipped ones stay cached', async () => {
  const ctx = fakeContext(owner);
  const ours = putLive(ctx, configMap('ours'));
  const kept = putLive(ctx, configMap('kept', owner, { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' }));
  const cache = new ApplyCache();
  for (const ref of [ours, kept]) cache.record(ref, { digest: 'd', fingerprint: 'f', action: 'unchanged' });
  await prune(ctx, inventoryOf([ours, kept]), { cache });
  assert.equal(cache.size, 1);
  assert.equal(cache.lookup(kept, 'd')?.digest, 'd');
  assert.equal(cache.lookup(ours, 'd'), undefined);
});

test('a malformed inventory id and a refused DELETE are failures kept for the next attempt; the rest is pruned', async () => {
  const ctx = fakeContext(owner);
  const refused = putLive(ctx, configMap('refused'));
  const ours = putLive(ctx, configMap('ours'));
  ctx.failures.set(
    'delete ConfigMap/apps/refused',
    apiError(403, 'Forbidden', 'configmaps "refused" is forbidden'),
  );
  const entries = [{ id: 'not-an-id', v: 'v1' }, ...inventoryOf([refused, ours])];
  const { changeSet, failed } = await prune(ctx, entries);

  assert.deepEqual(
    failed.map((f) => [f.entry.id, f.subject, f.message]),
    [
      ['not-an-id', 'not-an-id', 'malformed inventory id "not-an-id"'],
      [
        'apps_refused__ConfigMap',
        'ConfigMap/apps/refused',
        'ConfigMap/apps/refused delete failed: configmaps "refused" is forbidden',
      ],
    ],
  );
  assert.deepEqual(changeSet.lines(), ['ConfigMap/apps/ours deleted']);
  assert.ok(ctx.objects.has('ConfigMap/apps/refused'));
});

test('an error that is not an API answer (a transport failure) stops the prune', async () => {
  const ctx = fakeContext(owner);
  const a = putLive(ctx, configMap('a'));
  const b = putLive(ctx, configMap('b'));
  // b comes first in delete order.
  ctx.failures.set('get ConfigMap/apps/b', new Error('connection reset'));
  await assert.rejects(prune(ctx, inventoryOf([a, b])), /connection reset/);
  assert.ok(ctx.objects.has('ConfigMap/apps/a'), 'nothing after the failure was deleted');
});

test('prune stops between objects when its signal aborts', async () => {
  const ctx = fakeContext(owner);
  const a = putLive(ctx, configMap('a'));
  const b = putLive(ctx, configMap('b'));
  const abort = new AbortController();
  ctx.beforeGet = () => abort.abort(new Error('reconcile canceled'));
  await assert.rejects(prune(ctx, inventoryOf([a, b]), { signal: abort.signal }), /reconcile canceled/);
  assert.deepEqual(ctx.calls, ['find ConfigMap', 'get ConfigMap/apps/b', 'delete ConfigMap/apps/b']);
  assert.ok(ctx.objects.has('ConfigMap/apps/a'));
});
