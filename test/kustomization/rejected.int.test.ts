// An object the API server rejects, pushed among valid changes: the Kustomization says which
// object and what the server said (Ready=False ReconciliationFailed), nothing of that revision is
// applied, and what already runs is untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-rej' });

const service = (name: string, port: number) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: web
  ports:
    - port: ${port}
`;

test('a rejected object among valid ones: ReconciliationFailed naming it, nothing applied', async () => {
  const src = await env.source('app', {
    'app/settings.yaml': configMapYaml('settings', { version: '1' }),
    'app/web.yaml': service('web', 80),
  });
  await env.applyKustomization('app', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './app',
    targetNamespace: env.ns,
  });
  await env.waitApplied('app', src.revision);

  const broken = await src.push({
    'app/settings.yaml': configMapYaml('settings', { version: '2' }),
    'app/extra.yaml': configMapYaml('extra', { a: '1' }),
    'app/web.yaml': service('web', 8080),
    'app/bad.yaml': service('bad', 99999),
  });
  const ks = await env.waitFailed('app', 'ReconciliationFailed', { revision: broken });
  const ready = readyOf(ks)!;
  assert.match(ready.message, new RegExp(`Service/${env.ns}/bad`), 'names the object');
  assert.match(ready.message, /must be between 1 and 65535/, "quotes the server's message");
  assert.doesNotMatch(ready.message, /Service\/[^/]+\/web/, 'does not blame the valid objects');
  assert.equal(ks.status?.lastAppliedRevision, src.revision);

  assert.equal((await env.configMap('settings'))?.data?.version, '1', 'running ConfigMap untouched');
  assert.equal(await env.configMap('extra'), undefined, 'new valid object not created');
  const web = (await env.get(`/api/v1/namespaces/${env.ns}/services/web`)) as unknown as {
    spec: { ports: { port: number }[] };
  };
  assert.equal(web.spec.ports[0]!.port, 80, 'running Service untouched');
  assert.equal(await env.get(`/api/v1/namespaces/${env.ns}/services/bad`), undefined);
  assert.deepEqual(
    ks.status?.inventory?.entries.map((e) => e.id).sort(),
    [`${env.ns}_settings__ConfigMap`, `${env.ns}_web__Service`],
    'the inventory still lists what runs',
  );
  const warning = await env.waitEvent(
    'app',
    'a Warning event',
    (e) => e.type === 'Warning' && e.reason === 'ReconciliationFailed',
  );
  assert.equal(warning.metadata.annotations?.['kustomize.toolkit.fluxcd.io/revision'], broken);

  // Fixing the object in Git applies the whole revision.
  const fixed = await src.push({ 'app/bad.yaml': service('bad', 9999) });
  await env.waitApplied('app', fixed);
  assert.equal((await env.configMap('settings'))?.data?.version, '2');
  assert.ok(await env.configMap('extra'));
});
