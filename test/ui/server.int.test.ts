// The `mooring ui` server's API against the real apiserver (no controller): overview and detail,
// the live stream, the Host/Origin checks that keep other sites and DNS rebinding out, actions
// with the user's own rights (an RBAC refusal comes back verbatim) and drift without an artifact.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KubeClient } from '../../src/kube/client.js';
import { KubeConfig } from '../../src/kube/kubeconfig.js';
import { createLogger } from '../../src/runtime/logger.js';
import { UiServer } from '../../src/ui/server.js';
import { UiStore } from '../../src/ui/store.js';
import { repoRoot } from '../config/dashboard.js';
import { kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { installCrds } from '../helpers/crds.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'ui-api');
const logger = createLogger({ level: 'error', silent: true });
const assetsDir = join(repoRoot, 'dist', 'ui', 'web');

const ks = (name: string) => ({
  apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
  kind: 'Kustomization',
  metadata: { name, namespace: ns },
  spec: { interval: '10m', path: './', prune: true, sourceRef: { kind: 'GitRepository', name: 'fleet' } },
});

let store: UiStore;
let server: UiServer;
let denied: { client: KubeClient; server: UiServer } | undefined;

before(async () => {
  await client.post(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories`, {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'fleet', namespace: ns },
    spec: { url: 'https://example.invalid/fleet.git', interval: '10m', ref: { branch: 'main' } },
  });
  await client.post(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`, ks('apps'));
  store = new UiStore(client, ns, logger);
  store.start();
  await store.waitForSync(30_000);
  server = new UiServer({ store, client, logger, address: '127.0.0.1', port: 0, assetsDir });
  await server.listen();
});

after(async () => {
  await denied?.server.close();
  denied?.client.close();
  await server?.close();
  await store?.stop();
  client.close();
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  base: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, base),
      { method: opts.method ?? 'GET', headers: opts.headers, timeout: 30_000 },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

const origin = () => server.url.replace(/\/$/, '');
const post = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  request(base, '/api/actions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: base.replace(/\/$/, ''), ...headers },
    body: JSON.stringify(body),
  });

test('overview and detail list what the user can read; unknown objects are a clear 404', async () => {
  const overview = JSON.parse((await request(server.url, '/api/overview')).body) as {
    scope: string;
    rows: Array<{ kind: string; name: string; status: string; source?: { name: string } }>;
  };
  assert.equal(overview.scope, ns);
  assert.deepEqual(
    overview.rows.map((r) => `${r.kind}/${r.name}/${r.status}`),
    ['GitRepository/fleet/Unknown', 'Kustomization/apps/Unknown'],
  );
  const detail = await request(server.url, `/api/kustomizations/${ns}/apps`);
  assert.equal(detail.status, 200);
  assert.equal((JSON.parse(detail.body) as { spec: { path: string } }).spec.path, './');
  const missing = await request(server.url, `/api/kustomizations/${ns}/nope`);
  assert.equal(missing.status, 404);
  assert.match(missing.body, /Kustomization '.*\/nope' not found/);
  const outside = await request(server.url, '/api/kustomizations/kube-system/apps');
  assert.match(outside.body, /outside the namespace this UI watches/);
  if (existsSync(assetsDir)) {
    const page = await request(server.url, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.match(page.body, /\/assets\/app\.js/);
  }
});

test('another Host (DNS rebinding) is refused; writes need this origin and a JSON body', async () => {
  const rebound = await request(server.url, '/api/overview', { headers: { Host: 'attacker.example:80' } });
  assert.equal(rebound.status, 421);
  const body = { action: 'suspend', kind: 'Kustomization', namespace: ns, name: 'apps' };
  const noOrigin = await request(server.url, '/api/actions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(noOrigin.status, 403);
  assert.equal((await post(server.url, body, { Origin: 'http://attacker.example' })).status, 403);
  assert.equal((await post(server.url, body, { Origin: 'null' })).status, 403);
  assert.equal((await post(server.url, body, { 'Content-Type': 'text/plain' })).status, 415);
  assert.equal(
    (await request(server.url, '/api/actions', { method: 'PUT', headers: { Origin: origin() } })).status,
    405,
  );
  const live = await client.get<{ spec: { suspend?: boolean } }>(
    `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations/apps`,
  );
  assert.notEqual(live.spec.suspend, true, 'no refused request changed the object');
});

test('the stream sends the overview, then a delta when an object appears', async () => {
  const events: Array<{ event: string; data: string }> = [];
  const req = http.get(new URL('/api/stream', server.url));
  const waitFor = (pred: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no ${what} within 20 s`)), 20_000);
      const check = setInterval(() => {
        if (pred()) {
          clearInterval(check);
          clearTimeout(deadline);
          resolve();
        }
      }, 50);
    });
  try {
    req.on('response', (res) => {
      assert.match(res.headers['content-type'] ?? '', /text\/event-stream/);
      let buf = '';
      res.on('data', (c) => {
        buf += c;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data });
        }
      });
    });
    await waitFor(() => events.some((e) => e.event === 'overview'), 'overview event');
    await client.post(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`, ks('late'));
    await waitFor(
      () => events.some((e) => e.event === 'delta' && e.data.includes('"name":"late"')),
      'delta for late',
    );
  } finally {
    req.destroy();
  }
});

test('actions run with the user own rights: suspend works, an RBAC refusal is shown verbatim', async () => {
  const ok = await post(server.url, {
    action: 'suspend',
    kind: 'Kustomization',
    namespace: ns,
    name: 'apps',
  });
  assert.equal(ok.status, 202, ok.body);
  assert.equal((JSON.parse(ok.body) as { state: string }).state, 'succeeded');
  const live = await client.get<{ spec: { suspend?: boolean } }>(
    `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations/apps`,
  );
  assert.equal(live.spec.suspend, true);

  // Sync of a suspended object is refused with the CLI's words.
  const suspended = await post(server.url, {
    action: 'sync',
    kind: 'Kustomization',
    namespace: ns,
    name: 'apps',
  });
  assert.equal(suspended.status, 409);
  assert.match(suspended.body, /is suspended; resume it/);

  // A user without rights: the apiserver's refusal, word for word.
  const user = `system:serviceaccount:${ns}:viewer`;
  const weak = new KubeConfig();
  weak.loadFromFile(state.kubeconfig);
  const current = weak.getCurrentUser();
  assert.ok(current);
  current.impersonateUser = user;
  const weakClient = new KubeClient(weak);
  denied = {
    client: weakClient,
    server: new UiServer({ store, client: weakClient, logger, address: '127.0.0.1', port: 0, assetsDir }),
  };
  const url = await denied.server.listen();
  const refused = await post(url, { action: 'resume', kind: 'Kustomization', namespace: ns, name: 'apps' });
  assert.equal(refused.status, 403);
  assert.equal(
    (JSON.parse(refused.body) as { error: string }).error,
    `kustomizations.kustomize.toolkit.fluxcd.io "apps" is forbidden: User "${user}" cannot patch resource "kustomizations" in API group "kustomize.toolkit.fluxcd.io" in the namespace "${ns}"`,
  );
});

test('drift before the source has an artifact says so', async () => {
  const r = await request(server.url, `/api/kustomizations/${ns}/apps/drift`);
  assert.equal(r.status, 409);
  assert.match(r.body, /GitRepository '.*\/fleet' has no artifact yet/);
});
