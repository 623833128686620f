// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// `--events-addr`: every event also reaches Flux's notification-controller, in its format. A real
// HTTP receiver on loopback stands in for notification-controller: it answers 202 as it does, and
// 503 to the first post so that the retry is exercised.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { after, test } from 'node:test';
import type { GitRepository } from '../../src/api/gitrepository.js';
import { eventually } from '../helpers/wait.js';
import { configMapYaml, kustomizationEnv } from './harness.js';

interface Posted {
  involvedObject: Record<string, string>;
  severity: string;
  timestamp: string;
  message: string;
  reason: string;
  metadata?: Record<string, string>;
  reportingController: string;
  reportingInstance?: string;
}

const received: Posted[] = [];
const rawBodies: string[] = [];
let posts = 0;
let refusedBody = '';
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (d: Buffer) => {
    body += d.toString();
  });
  req.on('end', () => {
    posts++;
    if (posts === 1) {
      refusedBody = body;
      res.writeHead(503).end();
      return;
    }
    rawBodies.push(body);
    received.push(JSON.parse(body) as Posted);
    res.writeHead(202).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const port = (receiver.address() as AddressInfo).port;
after(() => new Promise<void>((r) => receiver.close(() => r())));

const SECRET_VALUE = 'n0t-for-alerts-7f3a9c';
const env = await kustomizationEnv({
  prefix: 'ks-notify',
  controllerArgs: ['--events-addr', `http://127.0.0.1:${port}/`],
});

const waitPosted = (what: string, match: (e: Posted) => boolean) =>
  eventually(`posted event: ${what}`, async () => received.find(match), 60_000);

test("events reach the events address in Flux's format: NewArtifact with digest, change set, ReconciliationSucceeded with commit status", async () => {
  await env.kubectl(['create', 'secret', 'generic', 'vars', `--from-literal=password=${SECRET_VALUE}`]);
  const src = await env.source('app', {
    'app/cm.yaml': configMapYaml('notified', { password: '${password}' }),
  });
  await env.applyKustomization('app', {
    sourceRef: { kind: 'GitRepository', name: 'app' },
    path: './app',
    targetNamespace: env.ns,
    postBuild: { substituteFrom: [{ kind: 'Secret', name: 'vars' }] },
  });
  const ks = await env.waitApplied('app', src.revision);
  const repo = await env.client.get<GitRepository>(
    `/apis/source.toolkit.fluxcd.io/v1/namespaces/${env.ns}/gitrepositories/app`,
  );

  const artifact = await waitPosted('NewArtifact', (e) => e.reason === 'NewArtifact');
  assert.deepEqual(artifact.involvedObject, {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    name: 'app',
    namespace: env.ns,
    uid: repo.metadata.uid,
    resourceVersion: artifact.involvedObject.resourceVersion,
  });
  assert.equal(artifact.severity, 'info');
  assert.equal(artifact.reportingController, 'mooring');
  assert.equal(artifact.reportingInstance, hostname());
  assert.match(artifact.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(artifact.message, "stored artifact for commit 'first'");
  assert.deepEqual(artifact.metadata, {
    'source.toolkit.fluxcd.io/revision': src.revision,
    'source.toolkit.fluxcd.io/digest': repo.status?.artifact?.digest,
  });
  assert.match(artifact.metadata?.['source.toolkit.fluxcd.io/digest'] ?? '', /^sha256:[0-9a-f]{64}$/);

  const changeSet = await waitPosted('change set', (e) => e.reason === 'Progressing');
  assert.match(changeSet.message, /ConfigMap\/.*notified created/);
  assert.equal(changeSet.metadata?.['kustomize.toolkit.fluxcd.io/revision'], src.revision);

  const finished = await waitPosted('ReconciliationSucceeded', (e) => e.reason === 'ReconciliationSucceeded');
  assert.deepEqual(finished.involvedObject, {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    name: 'app',
    namespace: env.ns,
    uid: ks.metadata.uid,
    resourceVersion: finished.involvedObject.resourceVersion,
  });
  assert.equal(finished.severity, 'info');
  assert.equal(finished.message, `Reconciliation finished revision ${src.revision}, next run in 10m0s`);
  const token = finished.metadata?.['kustomize.toolkit.fluxcd.io/token'] ?? '';
  assert.match(token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(finished.metadata, {
    'kustomize.toolkit.fluxcd.io/revision': src.revision,
    'kustomize.toolkit.fluxcd.io/commit_status': 'update',
    'kustomize.toolkit.fluxcd.io/token': token,
  });

  // Each pass posts its own success event, with a new token; none is written to the apiserver.
  await env.requestReconcile('kustomization', 'app');
  const again = await waitPosted(
    'a second ReconciliationSucceeded',
    (e) =>
      e.reason === 'ReconciliationSucceeded' && e.metadata?.['kustomize.toolkit.fluxcd.io/token'] !== token,
  );
  assert.equal(again.message, finished.message);
  const kubeEvents = (await env.events('app')).filter((e) => e.reason === 'ReconciliationSucceeded');
  assert.deepEqual(kubeEvents, [], 'a steady pass writes no Kubernetes Event');

  // The first post was answered 503: it was retried, not lost (the first event posted is here).
  assert.ok(refusedBody && rawBodies.includes(refusedBody), 'the event answered 503 was posted again');
  for (const body of rawBodies) assert.ok(!body.includes(SECRET_VALUE), `secret in payload: ${body}`);
});

test('a failure is posted with severity error and the revision; event annotations of the object travel along', async () => {
  const src = await env.source('broken', { 'app/cm.yaml': configMapYaml('fine', {}) });
  await env.applyKustomization(
    'broken',
    {
      sourceRef: { kind: 'GitRepository', name: 'broken' },
      path: './missing',
      targetNamespace: env.ns,
    },
    { annotations: { 'event.toolkit.fluxcd.io/team': 'payments' } },
  );
  await env.waitFailed('broken', 'ArtifactFailed', { revision: src.revision });
  const failed = await waitPosted(
    'a failure of broken',
    (e) => e.involvedObject.name === 'broken' && e.severity === 'error',
  );
  assert.equal(failed.reason, 'ArtifactFailed');
  assert.match(failed.message, /missing/);
  assert.equal(failed.metadata?.['kustomize.toolkit.fluxcd.io/revision'], src.revision);
  assert.equal(failed.metadata?.['event.toolkit.fluxcd.io/team'], 'payments');
  assert.equal(failed.metadata?.['kustomize.toolkit.fluxcd.io/commit_status'], undefined);
});
