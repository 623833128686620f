// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Secrets never leak: one controller at trace level runs scenarios with known secret values — HTTP
// basic auth (wrong then right password), a bearer token, SSH deploy keys (plain, encrypted with a
// passphrase, and a key the server refuses), a webhook token (bad and good signatures), SOPS (a
// value decrypted and applied, a tampered file, no decryption configured), and a substituteFrom
// Secret whose values are partly substituted, and values that reach the error paths of
// substitution (a name that becomes a number, an alias to no anchor), YAML's silent readings
// (`!tag`, `&anchor`) and an API server error that echoes a value (`Invalid value: "…"`) — then
// the controller's whole log, every Event of the namespace, the status of every object and
// `mooring get` output are searched for each secret value (and its base64). Substituted values
// legitimately reach the applied ConfigMap, so only values that never reach the cluster are
// searched for.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { bech32 } from '@scure/base';
import type { KustomizationSpec } from '../../src/api/kustomization.js';
import { parseAgeKeyFile } from '../../src/sops/age.js';
import { signGitHub } from '../../src/webhook/signature.js';
import { eventually } from '../helpers/cluster.js';
import { mooringBin } from '../helpers/controller.js';
import { startAll } from '../helpers/fixtures.js';
import { makeRepo, startGitHttpServer, startSshGitServer, tempDir } from '../helpers/gitserver.js';
import { configMapYaml, kustomizationEnv, readyOf } from '../kustomization/harness.js';
import { encryptYaml } from '../sops/encrypt.js';

const execFileP = promisify(execFile);
const env = await kustomizationEnv({ prefix: 'rel-sec', controllerArgs: ['--log-level', 'trace'] });
const GR_API = '/apis/source.toolkit.fluxcd.io/v1';
const mark = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

const password = mark('gitpass');
const wrongPassword = mark('wrongpass');
const bearer = mark('bearer');
const webhookToken = mark('hooktoken');
const usedValue = mark('usedvalue');
const unusedValue = mark('unusedvalue');
// Values that reach the error paths: each in its own Kustomization, which fails (or drops it).
const failedPassword = mark('failedpass');
const numericName = `7${randomBytes(6).readUIntBE(0, 6).toString().padStart(14, '0')}`;
const alias = mark('*alias');
const tag = mark('!tag');
const anchor = mark('&anchor');
const badLabel = `${mark('bad label')}!`;
// SOPS: a value only the decryption reveals, and the age identity that opens it.
const sopsValue = mark('sopsvalue');
const sopsIdentity = bech32.encode('AGE-SECRET-KEY-', bech32.toWords(randomBytes(32)), false).toUpperCase();
const sopsDoc = encryptYaml(
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sops-planted' }, stringData: { token: sopsValue } },
  { groups: [[parseAgeKeyFile(sopsIdentity)[0]!.publicKey!]], encryptedRegex: '^(data|stringData)$' },
);

const root = tempDir('mooring-rel-sec-');
const files = { 'app/cm.yaml': configMapYaml('plain', { a: '1' }) };
await makeRepo(join(root, 'app.git'), { commits: [{ files }] });
await makeRepo(join(root, 'subst.git'), {
  commits: [
    {
      files: {
        'app/cm.yaml': configMapYaml('subst', { used: '${USED}' }),
        'strict/cm.yaml': configMapYaml('strict', { used: '${USED}', missing: '${NOT_SET}' }),
        // `name: ${NAME}` with NAME all digits: the name becomes a number, the object is refused.
        'numeric/secret.yaml':
          'apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${NUMERIC_NAME}\nstringData:\n  password: ${FAILED_PASSWORD}\n',
        'alias/cm.yaml': configMapYaml('alias', { a: '${ALIAS}', p: '${FAILED_PASSWORD}' }),
        'tags/cm.yaml': configMapYaml('tags', { t: '${TAG}', n: '${ANCHOR}' }),
        'invalid/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: invalid\n  labels:\n    l: \${BAD_LABEL}\ndata:\n  p: \${FAILED_PASSWORD}\n`,
      },
    },
  ],
});
const [basic, bearerServer, ssh] = await startAll([
  startGitHttpServer({ root, auth: { type: 'basic', username: 'git', password } }),
  startGitHttpServer({ root, auth: { type: 'bearer', token: bearer } }),
  startSshGitServer({ root }),
]);
after(async () => {
  await Promise.all([basic.stop(), bearerServer.stop(), ssh.stop()]);
});

/** Long, distinctive lines of each private key (the armour lines are public knowledge). */
const keyLines = (pem: string) => pem.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----'));

const secretValues: Record<string, string> = {
  sopsValue,
  sopsIdentity,
  password,
  wrongPassword,
  bearer,
  webhookToken,
  unusedValue,
  passphrase: ssh.clientKeyPassphrase,
  failedPassword,
  numericName,
  alias,
  'alias without its *': alias.slice(1),
  tag,
  'tag without its !': tag.slice(1),
  anchor,
  'anchor without its &': anchor.slice(1),
  badLabel,
};
for (const [name, pem] of [
  ['identity', ssh.clientKey],
  ['encryptedIdentity', ssh.encryptedClientKey],
  ['wrongIdentity', ssh.wrongKey],
] as const) {
  keyLines(pem).forEach((line, i) => {
    secretValues[`${name}[${i}]`] = line;
  });
}

const secretManifest = (name: string, stringData: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name },
  stringData,
});

const gitRepositoryManifest = (name: string, url: string, secretName: string, annotations = {}) => ({
  apiVersion: 'source.toolkit.fluxcd.io/v1',
  kind: 'GitRepository',
  metadata: { name, annotations },
  spec: { interval: '10m', timeout: '30s', url, ref: { branch: 'main' }, secretRef: { name: secretName } },
});

const ready = async (name: string) =>
  readyOf(
    (await env.get(`${GR_API}/namespaces/${env.ns}/gitrepositories/${name}`)) as unknown as
      | Parameters<typeof readyOf>[0]
      | undefined,
  );
const waitSource = (name: string, status: 'True' | 'False') =>
  eventually(
    `GitRepository ${name} Ready=${status}`,
    async () => (await ready(name))?.status === status,
    90_000,
  );
const isReady = (k: Parameters<typeof readyOf>[0]) => readyOf(k)?.status === 'True';

test('scenarios with known secrets run: failures and successes', { timeout: 240_000 }, async () => {
  // Every case is independent: one `kubectl apply` sets up all Secrets and sources, one more all
  // Kustomizations, and they all run at once.
  await env.applyList([
    secretManifest('basic-wrong', { username: 'git', password: wrongPassword }),
    secretManifest('basic-right', { username: 'git', password }),
    secretManifest('bearer', { bearerToken: bearer }),
    secretManifest('ssh-plain', { identity: ssh.clientKey, known_hosts: ssh.knownHosts }),
    secretManifest('ssh-enc', {
      identity: ssh.encryptedClientKey,
      password: ssh.clientKeyPassphrase,
      known_hosts: ssh.knownHosts,
    }),
    secretManifest('ssh-wrong', { identity: ssh.wrongKey, known_hosts: ssh.knownHosts }),
    secretManifest('hook', { token: webhookToken }),
    secretManifest('vars', {
      USED: usedValue,
      UNUSED: unusedValue,
      FAILED_PASSWORD: failedPassword,
      NUMERIC_NAME: numericName,
      ALIAS: alias,
      TAG: tag,
      ANCHOR: anchor,
      BAD_LABEL: badLabel,
    }),
    secretManifest('sops-keys', { 'id.agekey': sopsIdentity }),
    gitRepositoryManifest('basic', basic.url('app.git'), 'basic-wrong'),
    gitRepositoryManifest('bearer', bearerServer.url('subst.git'), 'bearer', {
      'mooring.dev/webhook-secret': 'hook',
    }),
    gitRepositoryManifest('ssh', ssh.url('app.git'), 'ssh-plain'),
    gitRepositoryManifest('ssh-enc', ssh.url('app.git'), 'ssh-enc'),
    gitRepositoryManifest('ssh-wrong', ssh.url('app.git'), 'ssh-wrong'),
  ]);
  // SOPS: decrypted and applied, a tampered copy (MAC failure), and no decryption configured.
  await env.source('sopsleak', {
    'ok/secret.yaml': sopsDoc,
    'bad/secret.yaml': sopsDoc.replace('name: sops-planted', 'name: sops-tampered'),
  });
  // substituteFrom: one value substituted, one never used; a strict failure with the Secret loaded;
  // and the error paths, each failing with a message that names what is wrong, never the value.
  const subst = (path: string): Partial<KustomizationSpec> => ({
    sourceRef: { kind: 'GitRepository', name: 'bearer' },
    path,
    targetNamespace: env.ns,
    postBuild: { substituteFrom: [{ kind: 'Secret', name: 'vars' }] },
  });
  const sops = (path: string, decrypt: boolean): Partial<KustomizationSpec> => ({
    sourceRef: { kind: 'GitRepository', name: 'sopsleak' },
    path,
    targetNamespace: env.ns,
    ...(decrypt ? { decryption: { provider: 'sops' as const, secretRef: { name: 'sops-keys' } } } : {}),
  });
  await env.applyKustomizations([
    { name: 'subst', spec: subst('./app') },
    { name: 'strict', spec: subst('./strict') },
    ...['numeric', 'alias', 'tags', 'invalid'].map((name) => ({ name, spec: subst(`./${name}`) })),
    {
      name: 'ssh',
      spec: { sourceRef: { kind: 'GitRepository', name: 'ssh' }, path: './app', targetNamespace: env.ns },
    },
    { name: 'sops-ok', spec: sops('./ok', true) },
    { name: 'sops-bad', spec: sops('./bad', true) },
    { name: 'sops-nodec', spec: sops('./ok', false) },
  ]);

  await Promise.all([
    waitSource('basic', 'False'),
    waitSource('ssh-wrong', 'False'),
    waitSource('bearer', 'True'),
    waitSource('ssh', 'True'),
    waitSource('ssh-enc', 'True'),
  ]);
  await env.kubectl([
    'patch',
    'gitrepository',
    'basic',
    '--type=merge',
    '-p',
    '{"spec":{"secretRef":{"name":"basic-right"}}}',
  ]);

  // Webhook: a bad signature, then a good one.
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const post = (headers: Record<string, string>) =>
    fetch(`http://127.0.0.1:${env.controller!.webhookPort}/hook/${env.ns}/bearer`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body,
    });
  assert.equal((await post({ 'X-Hub-Signature-256': signGitHub(body, 'not-the-token') })).status, 401);
  assert.equal((await post({ 'X-Gitlab-Token': `${webhookToken}x` })).status, 401);
  assert.equal(
    (await post({ 'X-Hub-Signature-256': signGitHub(body, webhookToken), 'X-GitHub-Event': 'push' })).status,
    202,
  );

  const wait = { timeoutMs: 90_000 };
  const [numeric, aliasFailed, invalid] = await Promise.all([
    env.waitFailed('numeric', 'BuildFailed', wait),
    env.waitFailed('alias', 'BuildFailed', wait),
    env.waitFailed('invalid', 'ReconciliationFailed', wait),
    waitSource('basic', 'True'),
    env.waitKustomization('subst', 'Ready=True', isReady, wait),
    env.waitFailed('strict', 'BuildFailed', wait),
    env.waitKustomization('ssh', 'Ready=True', isReady, wait),
    // `!tag` and `&anchor` read as YAML syntax, as in Flux: the empty string and null.
    env.waitKustomization('tags', 'Ready=True', isReady, wait),
    env.waitKustomization('sops-ok', 'Ready=True', isReady, wait),
    env.waitFailed('sops-bad', 'DecryptionFailed', wait),
    env.waitFailed('sops-nodec', 'DecryptionFailed', wait),
  ]);
  assert.equal((await env.configMap('subst'))?.data?.used, usedValue, 'the used value was substituted');
  assert.match(
    readyOf(numeric)?.message ?? '',
    /\(Secret\/[^/]+\/<a number>\) is not a Kubernetes object: metadata.name is a number/,
  );
  assert.match(
    readyOf(aliasFailed)?.message ?? '',
    /an alias \(\*\) names no anchor .* in the value of \$\{ALIAS\}/,
  );
  assert.match(
    readyOf(invalid)?.message ?? '',
    /Invalid value: "\*\*\*"/,
    'the API server echoed the value: redacted',
  );
  assert.equal((await env.configMap('tags'))?.data?.t, '');
  const planted = (await env.get(`/api/v1/namespaces/${env.ns}/secrets/sops-planted`)) as
    | { data?: Record<string, string> }
    | undefined;
  assert.equal(
    Buffer.from(planted?.data?.token ?? '', 'base64').toString(),
    sopsValue,
    'the value was decrypted',
  );
});

test('no secret value in the log, Events, statuses or `mooring get`', { timeout: 120_000 }, async () => {
  const kubeconfig = env.state.kubeconfig;
  const cli = async (args: string[]) => {
    const r = await execFileP(process.execPath, [
      mooringBin,
      ...args,
      '--kubeconfig',
      kubeconfig,
      '-n',
      env.ns,
    ]);
    return r.stdout + r.stderr;
  };
  const haystacks: Record<string, string> = {
    'controller log': env.controller!.logs(),
    events: await env.kubectl(['get', 'events', '-o', 'json']),
    gitrepositories: await env.kubectl(['get', 'gitrepositories', '-o', 'json']),
    kustomizations: await env.kubectl(['get', 'kustomizations', '-o', 'json']),
    'mooring get sources': await cli(['get', 'sources']),
    'mooring get ks': await cli(['get', 'ks']),
    'mooring get ks -o yaml': await cli(['get', 'ks', '-o', 'yaml']),
  };
  assert.ok(haystacks['controller log']!.length > 1000, 'the log is not empty');
  assert.ok(haystacks['controller log']!.includes('"level":"debug"'), 'the log has debug lines');
  assert.ok(haystacks['controller log']!.includes('AuthenticationFailed'), 'the log has the failures');
  const leaks: string[] = [];
  for (const [what, text] of Object.entries(haystacks)) {
    for (const [name, value] of Object.entries(secretValues)) {
      for (const form of [value, Buffer.from(value).toString('base64')]) {
        if (text.includes(form)) leaks.push(`${name} in ${what}`);
      }
    }
  }
  assert.deepEqual(leaks, [], 'no secret value appears anywhere');
});
