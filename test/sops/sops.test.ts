import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseAgeKeyFile } from '../../src/sops/age.js';
import {
  addKeyFile,
  addKeyFiles,
  decryptSops,
  emptyKeyring,
  type Keyring,
  type SopsError,
  type SopsFormat,
} from '../../src/sops/index.js';
import { combine, split } from '../../src/sops/shamir.js';
import { encryptYaml } from './encrypt.js';

export const fixtures = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../test/sops/fixtures',
);
const read = (f: string) => readFileSync(path.join(fixtures, f));

async function ring(...keys: string[]): Promise<Keyring> {
  const r = emptyKeyring();
  for (const k of keys) await addKeyFile(r, k, read(`keys/${k}`));
  return r;
}

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString('utf8');

async function rejects(p: Promise<unknown>, kind: string, match: RegExp): Promise<SopsError> {
  try {
    await p;
  } catch (err) {
    const e = err as SopsError;
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, match);
    return e;
  }
  assert.fail('expected an error');
}

test('every fixture encrypted by the sops CLI decrypts to its plaintext, MAC verified', async () => {
  const all = await ring('age.txt', 'age-pq.txt', 'age-global.txt', 'pgp.asc');
  const cases: [string, SopsFormat, (out: string) => void][] = [
    ['algorithms/age.yaml', 'yaml', (o) => assert.equal(parse(o).stringData.key, 'value')],
    ['algorithms/age-pq.yaml', 'yaml', (o) => assert.equal(parse(o).stringData.key, 'value')],
    ['algorithms/pgp.yaml', 'yaml', (o) => assert.equal(parse(o).stringData.key, 'value')],
    ['global/secret.yaml', 'yaml', (o) => assert.equal(parse(o).stringData.key, 'global-value')],
    ['patches/merge1.yaml', 'yaml', (o) => assert.equal(parse(o).stringData.key, 'merge1')],
    ['patches/merge2.yaml', 'yaml', (o) => assert.equal(parse(o).stringData.merge2, 'merge2')],
    ['envs/env.env', 'dotenv', (o) => assert.equal(o, 'key=value\n')],
    ['component/env.env', 'dotenv', (o) => assert.equal(o, 'key=value\n')],
    ['files/file.txt', 'binary', (o) => assert.equal(o, 'value')],
  ];
  for (const [file, format, check] of cases) {
    const out = text(await decryptSops(read(file), format, all, file));
    check(out);
    assert.doesNotMatch(out, /ENC\[|sops/, file);
  }
  // A Secret whose data value is a whole SOPS JSON document (the `inside` fixture).
  const inside = Buffer.from(parse(read('inside/secret.yaml').toString()).data.key, 'base64');
  assert.equal(text(await decryptSops(inside, 'json', all, 'inside', 'binary')), 'value');
  // Unencrypted metadata stays as written.
  assert.equal(
    parse(text(await decryptSops(read('algorithms/age.yaml'), 'yaml', all, 'f'))).metadata.name,
    'age',
  );
});

test('each identity kind opens only its own documents', async () => {
  assert.equal(
    parse(text(await decryptSops(read('algorithms/age.yaml'), 'yaml', await ring('age.txt'), 'f'))).stringData
      .key,
    'value',
  );
  assert.ok(await decryptSops(read('algorithms/age-pq.yaml'), 'yaml', await ring('age-pq.txt'), 'f'));
  assert.ok(await decryptSops(read('algorithms/pgp.yaml'), 'yaml', await ring('pgp.asc'), 'f'));
  const e = await rejects(
    decryptSops(
      read('algorithms/age.yaml'),
      'yaml',
      await ring('age-global.txt', 'pgp.asc'),
      'algorithms/age.yaml',
    ),
    'key',
    /^algorithms\/age\.yaml: cannot get the SOPS data key: no identity opens key group 1 \(age recipient\(s\) age1l44xcng8dqj3/,
  );
  assert.doesNotMatch(e.message, /AGE-SECRET-KEY/);
});

test('a tampered value, an edited plain value or a removed key fails the MAC, naming the file and never a value', async () => {
  const all = await ring('age.txt');
  const src = read('algorithms/age.yaml').toString();
  const renamed = src.replace('name: age\n', 'name: agf\n');
  await rejects(
    decryptSops(Buffer.from(renamed), 'yaml', all, 'algorithms/age.yaml'),
    'mac',
    /^algorithms\/age\.yaml: MAC mismatch/,
  );
  const removed = src.replace('apiVersion: v1\n', '');
  await rejects(decryptSops(Buffer.from(removed), 'yaml', all, 'f.yaml'), 'mac', /MAC mismatch/);
  const env = read('envs/env.env').toString();
  await rejects(
    decryptSops(Buffer.from(`extra_unencrypted=1\n${env}`), 'dotenv', all, 'env.env'),
    'mac',
    /MAC mismatch/,
  );
  // The ciphertext of a value swapped for another's: AES-GCM refuses it (its path is its additional data).
  const other = /data:[^,]+,iv:[^,]+,tag:[^,]+/.exec(read('patches/merge1.yaml').toString())![0];
  const swapped = src.replace(/data:[^,]+,iv:[^,]+,tag:[^,]+/, other);
  const e = await rejects(
    decryptSops(Buffer.from(swapped), 'yaml', all, 'f.yaml'),
    'value',
    /'stringData\.key'/,
  );
  assert.doesNotMatch(e.message, /merge1|ENC\[/);
  // A forged MAC.
  const forged = src.replace(
    /mac: ENC\[AES256_GCM,data:./,
    (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'),
  );
  await rejects(decryptSops(Buffer.from(forged), 'yaml', all, 'f.yaml'), 'mac', /MAC/);
});

async function identity() {
  const { bech32 } = await import('@scure/base');
  const der = generateKeyPairSync('x25519').privateKey.export({ format: 'der', type: 'pkcs8' });
  const scalar = der.subarray(der.length - 32);
  const secret = bech32.encode('AGE-SECRET-KEY-', bech32.toWords(scalar), false).toUpperCase();
  const [id] = parseAgeKeyFile(`# test key\n${secret}\n`);
  return { secret, publicKey: id!.publicKey! };
}

const keyringOf = async (...secrets: string[]) =>
  addKeyFiles(
    emptyKeyring(),
    secrets.map((s, i) => ({ name: `k${i}.agekey`, data: Buffer.from(s) })),
    'test',
  );

test('every value type decrypts to its type; encrypted_regex leaves other values plain', async () => {
  const a = await identity();
  const doc = encryptYaml(
    {
      kind: 'Config',
      data: { s: 'text', i: 42, f: 1.5, t: true, n: false, list: ['x', 7], empty: '' },
      other: 3,
    },
    { groups: [[a.publicKey]], encryptedRegex: '^data$' },
  );
  assert.match(doc, /other: 3/);
  const out = parse(text(await decryptSops(Buffer.from(doc), 'yaml', await keyringOf(a.secret), 'c.yaml')));
  assert.deepEqual(out, {
    kind: 'Config',
    data: { s: 'text', i: 42, f: 1.5, t: true, n: false, list: ['x', 7], empty: '' },
    other: 3,
  });
});

test('mac_only_encrypted: the MAC covers only encrypted values', async () => {
  const a = await identity();
  const ring1 = await keyringOf(a.secret);
  const doc = encryptYaml(
    { metadata: { name: 'n' }, stringData: { password: 'hunter2' } },
    { groups: [[a.publicKey]], encryptedRegex: '^stringData$', macOnlyEncrypted: true },
  );
  assert.equal(
    parse(text(await decryptSops(Buffer.from(doc), 'yaml', ring1, 'm.yaml'))).stringData.password,
    'hunter2',
  );
  // A plain value may change (e.g. a rename) without breaking the MAC...
  const renamed = doc.replace('name: n', 'name: renamed');
  assert.equal(
    parse(text(await decryptSops(Buffer.from(renamed), 'yaml', ring1, 'm.yaml'))).metadata.name,
    'renamed',
  );
  // ...but the flag itself is part of the MAC's initialisation: removing it fails.
  const unflagged = doc.replace(/\n\s*mac_only_encrypted: true/, '');
  await rejects(decryptSops(Buffer.from(unflagged), 'yaml', ring1, 'm.yaml'), 'mac', /MAC mismatch/);
});

test('key groups with a Shamir threshold: enough groups open it, a missing group is named', async () => {
  const [a, b, c] = [await identity(), await identity(), await identity()];
  const two = encryptYaml({ data: { k: 'v' } }, { groups: [[a.publicKey], [b.publicKey]] });
  assert.equal(
    parse(text(await decryptSops(Buffer.from(two), 'yaml', await keyringOf(a.secret, b.secret), 't.yaml')))
      .data.k,
    'v',
  );
  await rejects(
    decryptSops(Buffer.from(two), 'yaml', await keyringOf(a.secret), 't.yaml'),
    'key',
    /^t\.yaml: cannot get the SOPS data key \(1 of the 2 key groups needed opened\): no identity opens key group 2/,
  );
  const twoOfThree = encryptYaml(
    { data: { k: 'v3' } },
    { groups: [[a.publicKey], [b.publicKey], [c.publicKey]], threshold: 2 },
  );
  assert.equal(
    parse(
      text(await decryptSops(Buffer.from(twoOfThree), 'yaml', await keyringOf(c.secret, a.secret), 't.yaml')),
    ).data.k,
    'v3',
  );
});

test('a document only a HashiCorp Vault key opens is refused naming the provider; another group may open it', async () => {
  const a = await identity();
  const vault = {
    hc_vault: [
      {
        vault_address: 'https://vault:8200',
        engine_path: 'sops',
        key_name: 'k',
        created_at: '2025-01-01T00:00:00Z',
        enc: 'vault:v1:xyz',
      },
    ],
  };
  const doc = encryptYaml({ data: { k: 'v' } }, { groups: [[a.publicKey]] });
  // Replace the age recipients with the Vault key only.
  const vaultOnly = doc
    .replace(/ {2}age:\n(?: {4}.*\n)+/, '')
    .replace(
      'sops:\n',
      `sops:\n  hc_vault:\n    - vault_address: https://vault:8200\n      engine_path: sops\n      key_name: k\n      created_at: "2025-01-01T00:00:00Z"\n      enc: vault:v1:xyz\n`,
    );
  await rejects(
    decryptSops(Buffer.from(vaultOnly), 'yaml', await keyringOf(a.secret), 'v.yaml'),
    'unsupported',
    /HashiCorp Vault key https:\/\/vault:8200\/v1\/sops\/keys\/k.*Mooring does not support/,
  );
  const both = encryptYaml({ data: { k: 'v' } }, { groups: [[a.publicKey]], extraMetadata: vault });
  assert.equal(
    parse(text(await decryptSops(Buffer.from(both), 'yaml', await keyringOf(a.secret), 'v.yaml'))).data.k,
    'v',
  );
});

test('Shamir split and combine round-trip', () => {
  const secret = Buffer.from('0123456789abcdef0123456789abcdef');
  const parts = split(secret, 5, 3, (n) =>
    Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256))),
  );
  assert.deepEqual(Buffer.from(combine([parts[0]!, parts[2]!, parts[4]!])), secret);
  assert.notDeepEqual(Buffer.from(combine([parts[0]!, parts[2]!])), secret);
});

test('key files: comments allowed, errors name the file never the content', async () => {
  const r = await addKeyFiles(
    emptyKeyring(),
    [
      { name: 'a.agekey', data: read('keys/age.txt') },
      { name: 'ignored.txt', data: Buffer.from('x') },
    ],
    'Secret s',
  );
  assert.equal(r.age.length, 1);
  await assert.rejects(
    addKeyFiles(
      emptyKeyring(),
      [{ name: 'bad.agekey', data: Buffer.from('AGE-SECRET-KEY-1NOTAKEY') }],
      "Secret 'ns/s'",
    ),
    (e: Error) =>
      /failed to import 'bad\.agekey' from Secret 'ns\/s': line 1: malformed age identity/.test(e.message) &&
      !e.message.includes('NOTAKEY'),
  );
});
