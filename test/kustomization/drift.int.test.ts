// Drift as information on the real apiserver: a Deployment's replicas and a ConfigMap value changed
// by hand. Correcting (the default): written back, with an event naming objects and fields, the
// counter and the Drifted condition. Report-only (mooring.dev/drift: report): the Drifted
// condition and the gauge, nothing written to the objects, Git's own changes still applied; and
// removing the annotation corrects the drift on the next pass.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ContentType } from '../../src/kube/client.js';
import { mooring } from '../cli/mooring.js';
import { startController } from '../helpers/controller.js';
import { freePort } from '../helpers/gitserver.js';
import { conditionOf, configMapYaml, kustomizationEnv } from './harness.js';

const env = await kustomizationEnv({ prefix: 'ks-drift', controller: false });
const metricsPort = await freePort();
const controller = await startController({
  kubeconfig: env.state.kubeconfig,
  namespace: env.ns,
  metricsPort,
});
after(() => controller.stop());

const deploymentYaml = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
        - name: app
          image: registry.example/app:1.0
`;

const app = (prefix: string, other = 'v1') => ({
  [`${prefix}/deploy.yaml`]: deploymentYaml(`${prefix}-web`),
  [`${prefix}/cm.yaml`]: configMapYaml(`${prefix}-settings`, { color: 'blue' }),
  [`${prefix}/other.yaml`]: configMapYaml(`${prefix}-other`, { version: other }),
});

interface Live {
  metadata: { resourceVersion?: string; generation?: number };
  spec?: { replicas?: number };
  data?: Record<string, string>;
}
const deployment = async (name: string) =>
  (await env.get(`/apis/apps/v1/namespaces/${env.ns}/deployments/${name}`)) as Live | undefined;
const configMap = async (name: string) => (await env.configMap(name)) as Live | undefined;

/** Another actor (not kubectl, whose fields Flux takes over) edits the objects. */
async function driftByHand(prefix: string): Promise<void> {
  await env.client.patch(
    `/apis/apps/v1/namespaces/${env.ns}/deployments/${prefix}-web`,
    { spec: { replicas: 3 } },
    ContentType.mergePatch,
    { query: { fieldManager: 'by-hand' } },
  );
  await env.client.patch(
    `/api/v1/namespaces/${env.ns}/configmaps/${prefix}-settings`,
    { data: { color: 'red' } },
    ContentType.mergePatch,
    { query: { fieldManager: 'by-hand' } },
  );
}

async function metric(name: string, ks: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find(
      (l) => l.startsWith(`${name}{`) && l.includes(`namespace="${env.ns}"`) && l.includes(`name="${ks}"`),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function sync(name: string) {
  const token = await env.requestReconcile('kustomization', name);
  return env.waitKustomization(name, 'sync handled', (k) => k.status?.lastHandledReconcileAt === token);
}

test('correcting (the default): written back, with an event, the counter and the last correction', async () => {
  const src = await env.source('fix', app('fix'));
  await env.applyKustomization('fix', {
    sourceRef: { kind: 'GitRepository', name: 'fix' },
    path: './fix',
    targetNamespace: env.ns,
  });
  await env.waitApplied('fix', src.revision);
  assert.equal(conditionOf(await env.kustomization('fix'), 'Drifted'), undefined, 'no drift, no condition');

  await driftByHand('fix');
  const ks = await sync('fix');
  assert.equal((await deployment('fix-web'))?.spec?.replicas, 1, 'replicas corrected');
  assert.equal((await configMap('fix-settings'))?.data?.color, 'blue', 'value corrected');

  const events = await env.events('fix');
  const corrected = events.find((e) => e.reason === 'DriftCorrected');
  assert.ok(corrected, `a DriftCorrected event: ${JSON.stringify(events.map((e) => e.reason))}`);
  assert.match(corrected.message, new RegExp(`Deployment/${env.ns}/fix-web: spec\\.replicas`));
  assert.match(corrected.message, new RegExp(`ConfigMap/${env.ns}/fix-settings: data\\.color`));
  assert.ok(!corrected.message.includes('red'), 'names fields, not values');

  assert.equal(await metric('mooring_drift_corrections_total', 'fix'), 2);
  const drifted = conditionOf(ks, 'Drifted');
  assert.equal(drifted?.status, 'False');
  assert.equal(drifted?.reason, 'DriftCorrected');
  assert.match(drifted?.message ?? '', /^2 objects corrected: /);
  assert.equal(conditionOf(ks, 'Ready')?.status, 'True');

  const get = await mooring(['get', 'ks', 'fix', '-n', env.ns, '--kubeconfig', env.state.kubeconfig]);
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /^NAME\s+REVISION\s+SUSPENDED\s+READY\s+DRIFT\s+MESSAGE\s+AGE$/m);
  assert.match(get.stdout, /^fix\s+\S+\s+false\s+True\s+2 corrected \d+s ago\s+Applied revision/m);

  // A pass with nothing to correct keeps the last correction and counts nothing more.
  await sync('fix');
  assert.equal(await metric('mooring_drift_corrections_total', 'fix'), 2);
  assert.equal(conditionOf(await env.kustomization('fix'), 'Drifted')?.reason, 'DriftCorrected');
});

test('report-only: condition and gauge, nothing written; Git changes applied; removing the annotation corrects', async () => {
  const src = await env.source('watch', app('watch'));
  await env.applyKustomization(
    'watch',
    { sourceRef: { kind: 'GitRepository', name: 'watch' }, path: './watch', targetNamespace: env.ns },
    { annotations: { 'mooring.dev/drift': 'report' } },
  );
  await env.waitApplied('watch', src.revision);

  await driftByHand('watch');
  const deployBefore = await deployment('watch-web');
  const cmBefore = await configMap('watch-settings');
  const ks = await sync('watch');

  const drifted = conditionOf(ks, 'Drifted');
  assert.equal(drifted?.status, 'True', JSON.stringify(ks.status?.conditions));
  assert.equal(drifted?.reason, 'DriftDetected');
  assert.match(drifted?.message ?? '', /^2 objects drifted/);
  assert.match(drifted?.message ?? '', new RegExp(`Deployment/${env.ns}/watch-web \\(spec\\.replicas\\)`));
  assert.match(drifted?.message ?? '', new RegExp(`ConfigMap/${env.ns}/watch-settings \\(data\\.color\\)`));
  assert.equal(conditionOf(ks, 'Ready')?.status, 'True', 'Ready is about applying Git');
  assert.equal(await metric('mooring_drifted_objects', 'watch'), 2);

  const deployAfter = await deployment('watch-web');
  const cmAfter = await configMap('watch-settings');
  assert.equal(deployAfter?.spec?.replicas, 3, 'replicas left as they are');
  assert.equal(deployAfter?.metadata.generation, deployBefore?.metadata.generation, 'no spec write');
  assert.equal(cmAfter?.data?.color, 'red', 'value left as it is');
  assert.equal(cmAfter?.metadata.resourceVersion, cmBefore?.metadata.resourceVersion, 'no write at all');
  assert.equal(await metric('mooring_drift_corrections_total', 'watch'), undefined, 'nothing corrected');
  const detected = (await env.events('watch')).find((e) => e.reason === 'DriftDetected');
  assert.match(detected?.message ?? '', /spec\.replicas/);

  // A change from Git is applied; the drifted objects (manifests unchanged) are still left alone.
  const v2 = await src.push(app('watch', 'v2'));
  const ks2 = await env.waitApplied('watch', v2);
  assert.equal((await configMap('watch-other'))?.data?.version, 'v2');
  assert.equal((await deployment('watch-web'))?.spec?.replicas, 3);
  assert.equal(
    (await configMap('watch-settings'))?.metadata.resourceVersion,
    cmBefore?.metadata.resourceVersion,
  );
  assert.equal(conditionOf(ks2, 'Drifted')?.status, 'True');

  const get = await mooring(['get', 'ks', 'watch', '-n', env.ns, '--kubeconfig', env.state.kubeconfig]);
  assert.match(get.stdout, /^watch\s+\S+\s+false\s+True\s+2 drifted\s+Applied revision/m);

  // Removing the annotation: the next pass corrects.
  await env.kubectl(['annotate', 'kustomization', 'watch', 'mooring.dev/drift-']);
  const ks3 = await sync('watch');
  assert.equal((await deployment('watch-web'))?.spec?.replicas, 1);
  assert.equal((await configMap('watch-settings'))?.data?.color, 'blue');
  assert.equal(conditionOf(ks3, 'Drifted')?.reason, 'DriftCorrected');
  assert.equal(await metric('mooring_drifted_objects', 'watch'), 0);
  assert.equal(await metric('mooring_drift_corrections_total', 'watch'), 2);
});

test('an unknown drift mode is refused: Stalled naming the annotation', async () => {
  await env.source('bad', app('bad'));
  await env.applyKustomization(
    'bad',
    { sourceRef: { kind: 'GitRepository', name: 'bad' }, path: './bad', targetNamespace: env.ns },
    { annotations: { 'mooring.dev/drift': 'ignore' } },
  );
  const ks = await env.waitFailed('bad', 'ReconciliationFailed');
  assert.match(conditionOf(ks, 'Stalled')?.message ?? '', /mooring\.dev\/drift/);
});
