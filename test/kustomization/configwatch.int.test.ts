// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Flux's --watch-configs-label-selector: a ConfigMap or Secret labelled
// reconcile.fluxcd.io/watch: Enabled and named in postBuild.substituteFrom re-runs the
// Kustomizations that use it at once — the interval here is 10m, and nobody requests a sync.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../helpers/wait.js';
import { configMapYaml, kustomizationEnv } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-cfgwatch' });

const WATCH = 'reconcile.fluxcd.io/watch=Enabled';

test('a watched ConfigMap and Secret trigger the Kustomizations substituting from them at once', async () => {
  await env.kubectl(['create', 'configmap', 'settings', '--from-literal=color=blue']);
  await env.kubectl(['create', 'secret', 'generic', 'creds', '--from-literal=user=alice']);
  await env.kubectl(['label', 'configmap', 'settings', WATCH]);
  await env.kubectl(['label', 'secret', 'creds', WATCH]);
  const src = await env.source('app', {
    'app/cm.yaml': configMapYaml('rendered', { color: '${color}', user: '${user}' }),
  });
  await env.applyKustomization('app', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './app',
    targetNamespace: env.ns,
    interval: '10m',
    postBuild: {
      substituteFrom: [
        { kind: 'ConfigMap', name: 'settings' },
        { kind: 'Secret', name: 'creds' },
      ],
    },
  });
  await env.waitApplied('app', src.revision);
  assert.deepEqual((await env.configMap('rendered'))?.data, { color: 'blue', user: 'alice' });
  const requestedAt = (await env.kustomization('app'))?.metadata.annotations?.[
    'reconcile.fluxcd.io/requestedAt'
  ];

  const t0 = Date.now();
  await env.kubectl(['patch', 'configmap', 'settings', '--type=merge', '-p', '{"data":{"color":"green"}}']);
  await eventually(
    'the new color is applied',
    async () => (await env.configMap('rendered'))?.data?.color === 'green',
  );
  const configMapDelay = Date.now() - t0;

  const t1 = Date.now();
  await env.kubectl(['patch', 'secret', 'creds', '--type=merge', '-p', '{"stringData":{"user":"bob"}}']);
  await eventually(
    'the new user is applied',
    async () => (await env.configMap('rendered'))?.data?.user === 'bob',
  );
  const secretDelay = Date.now() - t1;

  const ks = await env.kustomization('app');
  assert.equal(
    ks?.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'],
    requestedAt,
    'no sync was requested',
  );
  process.stdout.write(
    `# config watch delay: ConfigMap change → applied ${configMapDelay} ms, Secret change → applied ${secretDelay} ms\n`,
  );
});
