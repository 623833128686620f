// The kubeconfig reader: what kubectl reads from a kubeconfig file, the in-cluster service
// account, and exec credential plugins, turned into node:https options.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KubeConfig } from '../../src/kube/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'mooring-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function httpsOptions(kc: KubeConfig): Promise<RequestOptions & { headers: Record<string, unknown> }> {
  const opts: RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return opts as RequestOptions & { headers: Record<string, unknown> };
}

test('contexts, clusters and users as kubectl reads them; relative files resolve against the kubeconfig', async () => {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  writeFileSync(join(dir, 'certs', 'ca.pem'), 'CA FROM FILE');
  writeFileSync(join(dir, 'certs', 'client.pem'), 'CERT FROM FILE');
  writeFileSync(join(dir, 'certs', 'client.key'), 'KEY FROM FILE');
  const file = join(dir, 'config');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: dev
clusters:
  - name: prod
    cluster: {server: "https://prod.example:6443", certificate-authority-data: ${b64('CA DATA')}, tls-server-name: api.prod}
  - name: dev
    cluster: {server: "https://127.0.0.1:6443", certificate-authority: certs/ca.pem}
users:
  - name: alice
    user: {client-certificate: certs/client.pem, client-key: certs/client.key, as: bob, as-groups: [ops, dev]}
  - name: ci
    user: {token: s3cret-token}
  - name: basic
    user: {username: admin, password: pw}
contexts:
  - name: dev
    context: {cluster: dev, user: alice, namespace: apps}
  - name: prod
    context: {cluster: prod, user: ci}
  - name: old
    context: {cluster: prod, user: basic}
`,
  );
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  assert.equal(kc.getCurrentContext(), 'dev');
  assert.equal(kc.getContextObject('dev')?.namespace, 'apps');
  assert.equal(kc.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
  let opts = await httpsOptions(kc);
  assert.equal(String(opts.ca), 'CA FROM FILE');
  assert.equal(String(opts.cert), 'CERT FROM FILE');
  assert.equal(String(opts.key), 'KEY FROM FILE');
  assert.equal(opts.headers['Impersonate-User'], 'bob');
  assert.deepEqual(opts.headers['Impersonate-Group'], ['ops', 'dev']);
  assert.equal(opts.headers.Authorization, undefined);

  kc.setCurrentContext('prod');
  opts = await httpsOptions(kc);
  assert.equal(String(opts.ca), 'CA DATA');
  assert.equal(opts.servername, 'api.prod');
  assert.equal(opts.headers.Authorization, 'Bearer s3cret-token');

  kc.setCurrentContext('old');
  opts = await httpsOptions(kc);
  assert.equal(opts.headers.Authorization, `Basic ${b64('admin:pw')}`);
});

test('the in-cluster service account: server from the environment, token re-read from its file', async () => {
  const sa = join(dir, 'sa');
  mkdirSync(sa, { recursive: true });
  writeFileSync(join(sa, 'token'), 'token-1\n');
  writeFileSync(join(sa, 'ca.crt'), 'CLUSTER CA');
  writeFileSync(join(sa, 'namespace'), 'mooring-system');
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = '10.0.0.1';
  process.env.KUBERNETES_SERVICE_PORT = '443';
  try {
    const kc = new KubeConfig();
    kc.loadFromCluster(sa);
    assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:443');
    assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'mooring-system');
    assert.equal((await httpsOptions(kc)).headers.Authorization, 'Bearer token-1');
    writeFileSync(join(sa, 'token'), 'token-2\n'); // kubelet rotates it
    assert.equal((await httpsOptions(kc)).headers.Authorization, 'Bearer token-2');
    assert.equal(String((await httpsOptions(kc)).ca), 'CLUSTER CA');
  } finally {
    if (saved.host === undefined) delete process.env.KUBERNETES_SERVICE_HOST;
    else process.env.KUBERNETES_SERVICE_HOST = saved.host;
    if (saved.port === undefined) delete process.env.KUBERNETES_SERVICE_PORT;
    else process.env.KUBERNETES_SERVICE_PORT = saved.port;
  }
});

test('exec credential plugins: token from ExecCredential, cached until it expires; failures are clear', async () => {
  const counter = join(dir, 'exec-count');
  const plugin = join(dir, 'plugin.sh');
  writeFileSync(
    plugin,
    `#!/bin/sh
echo x >> ${counter}
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$TOKEN_VALUE"
`,
  );
  chmodSync(plugin, 0o755);
  const kc = new KubeConfig();
  kc.loadFromString(`
current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users:
  - name: u
    user:
      exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, env: [{name: TOKEN_VALUE, value: from-plugin}]}
  - name: broken
    user:
      exec: {command: /nonexistent/plugin}
  - name: legacy
    user:
      auth-provider: {name: gcp}
contexts: [{name: c, context: {cluster: k, user: u}}, {name: b, context: {cluster: k, user: broken}}, {name: l, context: {cluster: k, user: legacy}}]
`);
  const opts = await httpsOptions(kc);
  assert.equal(opts.headers.Authorization, 'Bearer from-plugin');
  assert.equal(opts.rejectUnauthorized, false);
  await httpsOptions(kc);
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(counter, 'utf8').trim().split('\n').length, 1, 'cached until it expires');

  kc.setCurrentContext('b');
  await assert.rejects(httpsOptions(kc), /exec plugin "\/nonexistent\/plugin" failed/);
  kc.setCurrentContext('l');
  await assert.rejects(httpsOptions(kc), /auth-provider "gcp", which is not supported/);
});

test('a missing or malformed kubeconfig is one clear error', () => {
  const kc = new KubeConfig();
  assert.throws(() => kc.loadFromFile(join(dir, 'nope')), /cannot read kubeconfig .*nope: ENOENT/);
  assert.throws(() => kc.loadFromString('clusters: [\n'), /kubeconfig is not valid YAML/);
});
