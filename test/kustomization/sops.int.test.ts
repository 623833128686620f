// SOPS decryption on the real apiserver: the sops CLI's fixtures (age, post-quantum age, PGP; in
// resources, env files, files, patches, components, Secret data) applied with spec.decryption
// carry their plain values; an encrypted file without decryption fails before anything is
// applied; a file only HashiCorp Vault opens makes the Kustomization Stalled.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { mooring } from '../cli/mooring.js';
import type { FileContent } from '../helpers/gitserver.js';
import { encryptYaml } from '../sops/encrypt.js';
import { fixtureTree } from '../sops/fixtures.js';
import { configMapYaml, kustomizationEnv, readyOf } from './harness.js';

const env = await kustomizationEnv({ prefix: 'sops' });
const tree = fixtureTree();
after(() => rmSync(tree, { recursive: true, force: true }));

function filesOf(dir: string, prefix = ''): Record<string, FileContent> {
  const out: Record<string, FileContent> = {};
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (name === 'keys') continue; // keys never go to Git
    if (statSync(p).isDirectory()) Object.assign(out, filesOf(p, `${prefix}${name}/`));
    else out[`${prefix}${name}`] = readFileSync(p);
  }
  return out;
}

const keyFile = (n: string) => path.join(tree, 'keys', n);

// A file only a Vault key opens (made with the test encryptor, its age group swapped for Vault).
const vaultOnly = encryptYaml(
  { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'vault-only' }, stringData: { k: 'v' } },
  { groups: [[Buffer.alloc(32, 9)]], encryptedRegex: '^(data|stringData)$' },
)
  .replace(/ {2}age:\n(?: {4}.*\n)+/, '')
  .replace(
    'sops:\n',
    'sops:\n  hc_vault:\n    - vault_address: https://vault.example:8200\n      engine_path: sops\n      key_name: team\n      created_at: "2025-01-01T00:00:00Z"\n      enc: vault:v1:abc\n',
  );

const source = await env.source('sops', {
  ...filesOf(tree),
  // Not part of the root kustomization: the no-decryption case.
  'nodec/kustomization.yaml': 'namePrefix: nodec-\nresources:\n- cm.yaml\n- age.yaml\n',
  'nodec/cm.yaml': configMapYaml('plain', { a: '1' }),
  'nodec/age.yaml': readFileSync(path.join(tree, 'algorithms/age.yaml')),
  'vault/secret.yaml': vaultOnly,
});

await env.kubectl([
  'create',
  'secret',
  'generic',
  'sops-keys',
  `--from-file=age.agekey=${keyFile('age.txt')}`,
  `--from-file=pq.agekey=${keyFile('age-pq.txt')}`,
  `--from-file=pgp.asc=${keyFile('pgp.asc')}`,
]);

const sourceRef = { kind: 'GitRepository' as const, name: 'sops' };
const decryption = { provider: 'sops' as const, secretRef: { name: 'sops-keys' } };

async function secretValue(name: string, key: string): Promise<string | undefined> {
  const o = (await env.get(`/api/v1/namespaces/${env.ns}/secrets/${name}`)) as
    | { data?: Record<string, string> }
    | undefined;
  const v = o?.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

test('the fixtures apply with spec.decryption: every Secret carries its plain value', {
  timeout: 180_000,
}, async () => {
  await env.applyKustomization('all', { sourceRef, path: './', targetNamespace: env.ns, decryption });
  await env.waitApplied('all', source.revision, { timeoutMs: 150_000 });
  const expected: [string, string, string][] = [
    ['sops-algo-age', 'key', 'value'],
    ['sops-algo-age-pq', 'key', 'value'],
    ['sops-algo-pgp', 'key', 'value'],
    ['sops-envs-secret', 'key', 'value'],
    ['sops-files-secret', 'key', 'value'],
    ['sops-patches-secret', 'key', 'merge1'],
    ['sops-patches-secret', 'merge2', 'merge2'],
    ['sops-inside-secret', 'key', 'value'],
    ['sops-remote-secret', 'key', 'value'],
    ['sops-component', 'key', 'value'],
  ];
  for (const [name, key, value] of expected)
    assert.equal(await secretValue(name, key), value, `${name}.${key}`);
  assert.equal((await env.configMap('sops-envs-configmap'))?.data?.key, 'value');

  // `mooring diff` reads the decryption Secret with the user's rights: the same build, no change.
  const diff = await mooring([
    'diff',
    'kustomization',
    'all',
    '--path',
    tree,
    '--kubeconfig',
    env.state.kubeconfig,
    '-n',
    env.ns,
  ]);
  assert.equal(diff.code, 0, `${diff.stdout}${diff.stderr}`);
  assert.match(diff.stderr, /no changes/);
  // A file whose authenticated data changed (its MAC no longer matches) cannot be diffed: exit 2,
  // naming the failure, never printing a plain value.
  const f = path.join(tree, 'patches/merge1.yaml');
  const original = readFileSync(f);
  writeFileSync(
    f,
    readFileSync(path.join(tree, 'algorithms/age.yaml'), 'utf8').replace('name: age', 'name: secret'),
  );
  try {
    const drift = await mooring([
      'diff',
      'kustomization',
      'all',
      '--path',
      tree,
      '--kubeconfig',
      env.state.kubeconfig,
      '-n',
      env.ns,
    ]);
    assert.equal(drift.code, 2, drift.stderr);
    assert.match(drift.stdout, /MAC mismatch/);
    // `merge1` is also the plain value of the patch: only the file's name may show it.
    assert.ok(
      !drift.stdout.replaceAll('patches/merge1.yaml', '').includes('merge1'),
      'no plain value printed',
    );
  } finally {
    writeFileSync(f, original);
  }
});

test('an encrypted file without spec.decryption: DecryptionFailed naming it, nothing applied', {
  timeout: 120_000,
}, async () => {
  await env.applyKustomization('nodec', { sourceRef, path: './nodec', targetNamespace: env.ns });
  const k = await env.waitFailed('nodec', 'DecryptionFailed', { timeoutMs: 90_000 });
  assert.match(readyOf(k)!.message, /nodec\/age\.yaml is SOPS encrypted, configuring decryption/);
  assert.equal(
    await env.configMap('nodec-plain'),
    undefined,
    'the plain ConfigMap beside it was not applied',
  );
  assert.equal(await secretValue('nodec-age', 'key'), undefined);
});

test('a file only HashiCorp Vault opens: Stalled, naming the provider', { timeout: 120_000 }, async () => {
  await env.applyKustomization('vault', { sourceRef, path: './vault', targetNamespace: env.ns, decryption });
  const k = await env.waitKustomization(
    'vault',
    'Stalled=True',
    (o) => o.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True') === true,
    { timeoutMs: 90_000 },
  );
  const stalled = k.status!.conditions!.find((c) => c.type === 'Stalled')!;
  assert.equal(stalled.reason, 'DecryptionFailed');
  assert.match(
    stalled.message,
    /vault\/secret\.yaml: .*HashiCorp Vault key https:\/\/vault\.example:8200.*not support/,
  );
  assert.equal(await secretValue('vault-only', 'k'), undefined);
});
