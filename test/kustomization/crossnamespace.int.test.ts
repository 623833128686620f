// Multi-tenancy lockdown: with --no-cross-namespace-refs a sourceRef or a dependsOn into another
// namespace is refused for good (Stalled, Ready=False AccessDenied) and nothing is applied, while
// same-namespace references still work; without the flag the same references work. Each controller
// watches every namespace but only objects with its own shard label.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { testNamespace } from '../helpers/cluster.js';
import { startController } from '../helpers/controller.js';
import { startAll } from '../helpers/fixtures.js';
import { conditionOf, configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-xns', controller: false });
const appNs = env.ns;
const srcNs = await testNamespace(env.kc, 'ks-xns-src');
const SHARD = 'test.mooring.dev/shard';
const locked = { [SHARD]: `locked-${randomBytes(4).toString('hex')}` };
const open = { [SHARD]: `open-${randomBytes(4).toString('hex')}` };
const controllers = await startAll([
  startController({
    kubeconfig: env.state.kubeconfig,
    labelSelector: `${SHARD}=${locked[SHARD]}`,
    args: ['--no-cross-namespace-refs'],
  }),
  startController({ kubeconfig: env.state.kubeconfig, labelSelector: `${SHARD}=${open[SHARD]}` }),
]);
after(() => Promise.all(controllers.map((c) => c.stop())));

const files = (name: string) => ({ 'app/cm.yaml': configMapYaml(name, { a: '1' }) });

test('--no-cross-namespace-refs: a sourceRef into another namespace is AccessDenied, nothing applied', async () => {
  await env.source('shared', files('locked-source'), { namespace: srcNs, labels: locked });
  await env.applyKustomization(
    'cross-source',
    {
      sourceRef: { kind: 'GitRepository', name: 'shared', namespace: srcNs },
      path: './app',
      targetNamespace: appNs,
    },
    { labels: locked },
  );
  const ks = await env.waitFailed('cross-source', 'AccessDenied');
  assert.equal(
    readyOf(ks)?.message,
    `cannot access GitRepository/${srcNs}/shared, cross-namespace references have been disabled`,
  );
  const stalled = conditionOf(ks, 'Stalled');
  assert.equal(stalled?.status, 'True', 'refused for good: Stalled');
  assert.equal(stalled?.reason, 'AccessDenied');
  assert.equal(ks.status?.observedGeneration, ks.metadata.generation);
  assert.equal(await env.configMap('locked-source'), undefined, 'nothing applied');
});

test('--no-cross-namespace-refs: a dependsOn into another namespace is AccessDenied too; same-namespace works', async () => {
  const local = await env.source('local', files('locked-local'), { labels: locked });
  await env.applyKustomization(
    'cross-dep',
    {
      sourceRef: { kind: 'GitRepository', name: 'local' },
      path: './app',
      targetNamespace: appNs,
      dependsOn: [{ name: 'base', namespace: srcNs }],
    },
    { labels: locked },
  );
  const ks = await env.waitFailed('cross-dep', 'AccessDenied');
  assert.equal(
    readyOf(ks)?.message,
    `cannot depend on Kustomization/${srcNs}/base, cross-namespace references have been disabled`,
  );
  assert.equal(conditionOf(ks, 'Stalled')?.status, 'True');
  assert.equal(await env.configMap('locked-local'), undefined, 'nothing applied');

  // Same-namespace references are untouched by the lockdown.
  await env.applyKustomization(
    'same-ns',
    { sourceRef: { kind: 'GitRepository', name: 'local' }, path: './app', targetNamespace: appNs },
    { labels: locked },
  );
  await env.waitApplied('same-ns', local.revision);
  assert.ok(await env.configMap('locked-local'));
});

test('without the flag, cross-namespace sourceRef and dependsOn work', async () => {
  const shared = await env.source('shared-open', files('open-base'), { namespace: srcNs, labels: open });
  await env.applyKustomization(
    'base',
    { sourceRef: { kind: 'GitRepository', name: 'shared-open' }, path: './app', targetNamespace: srcNs },
    { namespace: srcNs, labels: open },
  );
  await env.applyKustomization(
    'cross-open',
    {
      sourceRef: { kind: 'GitRepository', name: 'shared-open', namespace: srcNs },
      path: './app',
      targetNamespace: appNs,
      dependsOn: [{ name: 'base', namespace: srcNs }],
    },
    { labels: open },
  );
  await env.waitApplied('cross-open', shared.revision);
  await env.waitApplied('base', shared.revision, { namespace: srcNs });
  assert.ok(await env.configMap('open-base', srcNs));
  assert.ok(await env.configMap('open-base', appNs));
  assert.equal(conditionOf(await env.kustomization('cross-open'), 'Stalled'), undefined);
});
