// dependsOn on the real cluster: a chain A ← B ← C is applied strictly in order, each link as soon
// as the one before it is Ready (the controller watches its dependencies instead of waiting for
// the --requeue-dependency delay, which is set to 30s here so that waiting for it would show), a
// new revision walks the chain again, and a dependency that does not exist is reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { eventually } from '../helpers/cluster.js';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const REQUEUE_DEPENDENCY_MS = 30_000;
const env = await kustomizationEnv({ prefix: 'ks-deps', controllerArgs: ['--requeue-dependency', '30s'] });

const src = await env.source('app', {
  'a/cm.yaml': configMapYaml('link-a', { rev: '1' }),
  'b/cm.yaml': configMapYaml('link-b', { rev: '1' }),
  'c/cm.yaml': configMapYaml('link-c', { rev: '1' }),
});
const sourceRef = { kind: 'GitRepository' as const, name: 'app' };
const targetNamespace = env.ns;

function readyAt(k: Kustomization | undefined): number | undefined {
  const ready = readyOf(k);
  return ready?.status === 'True' ? Date.parse(ready.lastTransitionTime) : undefined;
}

test('A ← B ← C: nothing runs ahead of its dependency, each link follows the previous at once', async () => {
  // A is suspended, so it never becomes Ready on its own.
  await env.applyKustomization('a', { sourceRef, targetNamespace, path: './a', suspend: true });
  await env.waitKustomization('a', 'finalizer added', (k) => Boolean(k.metadata.finalizers?.length));
  await env.applyKustomization('b', { sourceRef, targetNamespace, path: './b', dependsOn: [{ name: 'a' }] });
  await env.waitKustomization('b', 'finalizer added', (k) => Boolean(k.metadata.finalizers?.length));
  await env.applyKustomization('c', { sourceRef, targetNamespace, path: './c', dependsOn: [{ name: 'b' }] });

  const b = await env.waitFailed('b', 'DependencyNotReady');
  assert.match(readyOf(b)!.message, new RegExp(`dependency '${env.ns}/a' is not ready`));
  const c = await env.waitFailed('c', 'DependencyNotReady');
  assert.match(readyOf(c)!.message, new RegExp(`dependency '${env.ns}/b' is not ready`));
  assert.equal(await env.configMap('link-b'), undefined);
  assert.equal(await env.configMap('link-c'), undefined);
  await env.waitEvent(
    'b',
    'a Normal (not Warning) event says the dependency is not ready',
    (e) => e.type === 'Normal' && e.reason === 'DependencyNotReady',
  );

  // Resume A: the chain follows, link by link, without waiting for the requeue delay.
  const resumed = Date.now();
  await env.kubectl(['patch', 'kustomization', 'a', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
  const [ka, kb, kc] = await eventually(
    'a, b and c applied',
    async () => {
      const all = await Promise.all(['a', 'b', 'c'].map((n) => env.kustomization(n)));
      return all.every((k) => k?.status?.lastAppliedRevision === src.revision) ? all : undefined;
    },
    REQUEUE_DEPENDENCY_MS,
  );
  const took = Date.now() - resumed;
  assert.ok(took < REQUEUE_DEPENDENCY_MS / 3, `the chain took ${took} ms: it waited for a requeue`);

  // Server timestamps (seconds): B became Ready no earlier than A, C no earlier than B; each
  // ConfigMap was created no earlier than its dependency became Ready.
  const [ta, tb, tc] = [readyAt(ka), readyAt(kb), readyAt(kc)];
  assert.ok(ta !== undefined && tb !== undefined && tc !== undefined);
  assert.ok(ta <= tb && tb <= tc, `Ready order a ${ta} ≤ b ${tb} ≤ c ${tc}`);
  const created = async (n: string) => Date.parse((await env.configMap(n))!.metadata.creationTimestamp!);
  assert.ok((await created('link-b')) >= ta, 'link-b created after a was Ready');
  assert.ok((await created('link-c')) >= tb, 'link-c created after b was Ready');
});

test('a new revision walks the chain again, each link after its dependency applied it', async () => {
  const started = Date.now();
  const next = await src.push({
    'a/cm.yaml': configMapYaml('link-a', { rev: '2' }),
    'b/cm.yaml': configMapYaml('link-b', { rev: '2' }),
    'c/cm.yaml': configMapYaml('link-c', { rev: '2' }),
  });
  const applied = await eventually(
    'the chain at the new revision',
    async () => {
      const all = await Promise.all(['a', 'b', 'c'].map((n) => env.kustomization(n)));
      return all.every((k) => k?.status?.lastAppliedRevision === next) ? all : undefined;
    },
    REQUEUE_DEPENDENCY_MS,
  );
  const took = Date.now() - started;
  assert.ok(took < REQUEUE_DEPENDENCY_MS / 3, `the chain took ${took} ms: it waited for a requeue`);
  for (const n of ['link-a', 'link-b', 'link-c']) assert.equal((await env.configMap(n))?.data?.rev, '2');
  const [ta, tb, tc] = applied.map(readyAt);
  assert.ok(ta! <= tb! && tb! <= tc!, `Ready order a ${ta} ≤ b ${tb} ≤ c ${tc}`);
});

test('a dependency on a Kustomization that does not exist: DependencyNotReady naming it', async () => {
  await env.applyKustomization('orphan', {
    sourceRef,
    targetNamespace,
    path: './a',
    dependsOn: [{ name: 'ghost' }],
  });
  const k = await env.waitFailed('orphan', 'DependencyNotReady');
  const ready = readyOf(k)!;
  assert.match(ready.message, new RegExp(`dependency '${env.ns}/ghost' not found`));
  assert.match(ready.message, /retrying in 30s/);
  assert.equal(k.status?.lastAppliedRevision, undefined);
  assert.equal(k.status?.inventory, undefined, 'nothing applied');
});
