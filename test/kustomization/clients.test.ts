// Remote kubeconfigs (spec.kubeConfig.secretRef) as the ClientFactory takes them: what is refused
// (exec plugins, files of the controller, insecure TLS without --insecure-kubeconfig-tls) and the
// identity requests carry (the kubeconfig's own, or the impersonated ServiceAccount).
import assert from 'node:assert/strict';
import type { RequestOptions } from 'node:https';
import { test } from 'node:test';
import { KubeClient } from '../../src/kube/client.js';
import { KubeConfig } from '../../src/kube/kubeconfig.js';
import { type ApplyTarget, ClientFactory } from '../../src/kustomization/clients.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function factory(opts: { insecureKubeConfigTLS?: boolean } = {}): ClientFactory {
  const base = new KubeConfig();
  base.loadFromString(`
current-context: c
clusters: [{name: k, cluster: {server: "https://127.0.0.1:1", certificate-authority-data: ${b64('LOCAL CA')}}}]
users: [{name: u, user: {token: controller-token}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`);
  return new ClientFactory(base, new KubeClient(base), () => undefined, opts);
}

function kubeconfig(cluster: string, user: string): string {
  return `
current-context: remote
clusters: [{name: far, cluster: {server: "https://192.0.2.10:6443", ${cluster}}}]
users: [{name: deployer, user: {${user}}}]
contexts: [{name: remote, context: {cluster: far, user: deployer}}]
`;
}

async function requestOptions(
  target: ApplyTarget,
): Promise<RequestOptions & { headers: Record<string, unknown> }> {
  const opts: RequestOptions = {};
  await target.client.kubeConfig.applyToHTTPSOptions(opts);
  return opts as RequestOptions & { headers: Record<string, unknown> };
}

const inlineCa = `certificate-authority-data: ${b64('REMOTE CA')}`;
const source = 'Secret team/remote-kubeconfig';

test('remote kubeconfigs: exec plugins, token/certificate/key/CA files are refused, naming the Secret', () => {
  const refused: Array<[string, string, RegExp]> = [
    [
      inlineCa,
      'exec: {command: /bin/sh, args: [-c, "echo pwned"]}',
      /uses an exec plugin, which is not allowed/,
    ],
    [
      inlineCa,
      'tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token',
      /refers to files on the controller/,
    ],
    [
      inlineCa,
      `client-certificate: /etc/ssl/client.pem, client-key-data: ${b64('K')}`,
      /refers to files on the controller/,
    ],
    [
      inlineCa,
      `client-certificate-data: ${b64('C')}, client-key: /etc/ssl/client.key`,
      /refers to files on the controller/,
    ],
    [
      'certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      'token: t',
      /use certificate-authority-data/,
    ],
  ];
  for (const [cluster, user, message] of refused) {
    assert.throws(
      () => factory().remote(kubeconfig(cluster, user), source),
      (err: Error) => message.test(err.message) && err.message.includes(source),
      `${cluster} / ${user}`,
    );
  }
});

test('insecure-skip-tls-verify is refused unless the controller runs with --insecure-kubeconfig-tls', async () => {
  const insecure = kubeconfig('insecure-skip-tls-verify: true', 'token: remote-token');
  assert.throws(
    () => factory().remote(insecure, source),
    /kubeconfig in Secret team\/remote-kubeconfig sets insecure-skip-tls-verify for cluster "far", which is refused unless the controller runs with --insecure-kubeconfig-tls/,
  );
  const allowed = factory({ insecureKubeConfigTLS: true }).remote(insecure, source);
  const opts = await requestOptions(allowed);
  assert.equal(opts.rejectUnauthorized, false, 'the flag lets the kubeconfig skip verification');
  assert.equal(opts.headers.Authorization, 'Bearer remote-token');

  // Verified TLS needs no flag, and the controller's own CA is not mixed in.
  const verified = await requestOptions(
    factory().remote(kubeconfig(inlineCa, 'token: remote-token'), source),
  );
  assert.notEqual(verified.rejectUnauthorized, false);
  assert.equal(String(verified.ca), 'REMOTE CA');
});

test('a ServiceAccount is impersonated on the remote cluster, replacing the kubeconfig`s own as/as-groups', async () => {
  const text = kubeconfig(inlineCa, 'token: remote-token, as: someone, as-groups: [system:masters]');
  const clients = factory();
  const plain = clients.remote(text, source);
  const plainOpts = await requestOptions(plain);
  assert.equal(
    plainOpts.headers['Impersonate-User'],
    'someone',
    'without a ServiceAccount: the kubeconfig as written',
  );
  assert.equal(plain.identity, 'the cluster in Secret team/remote-kubeconfig');

  const asSa = clients.remote(text, source, { namespace: 'team', name: 'deployer' });
  const opts = await requestOptions(asSa);
  assert.equal(opts.headers['Impersonate-User'], 'system:serviceaccount:team:deployer');
  assert.equal(opts.headers['Impersonate-Group'], undefined, 'no group of the kubeconfig survives');
  assert.equal(opts.headers.Authorization, 'Bearer remote-token', "the remote cluster's credentials");
  assert.equal(String(opts.ca), 'REMOTE CA');
  assert.equal(asSa.client.server.host, '192.0.2.10:6443');
  assert.equal(asSa.identity, 'ServiceAccount team/deployer on the cluster in Secret team/remote-kubeconfig');
  assert.notEqual(asSa, plain, 'one client per identity');
  assert.equal(clients.remote(text, source, { namespace: 'team', name: 'deployer' }), asSa, 'cached');
  clients.close();
});
