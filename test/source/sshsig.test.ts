// SSH signature verification (sshsig) against signatures made by OpenSSH's own `ssh-keygen -Y
// sign`, for every key type Git users sign with.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  parseAuthorizedKeys,
  parseSshSignature,
  SshSignatureError,
  verifySshSignature,
} from '../../src/source/sshsig.js';
import { verificationKeysFromSecret, verifySignature } from '../../src/source/verify.js';
import { tempDir } from '../helpers/gitserver.js';

const dir = tempDir('mooring-sshsig-');
after(() => rmSync(dir, { recursive: true, force: true }));

interface Key {
  pub: string;
  fingerprint: string;
  sign(message: string, namespace?: string): string;
}

let seq = 0;
function makeKey(type: string, bits?: number): Key {
  const file = join(dir, `key${seq++}`);
  execFileSync('ssh-keygen', [
    '-q',
    '-t',
    type,
    ...(bits ? ['-b', String(bits)] : []),
    '-N',
    '',
    '-C',
    'c',
    '-f',
    file,
  ]);
  const pub = readFileSync(`${file}.pub`, 'utf8');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`])
    .toString()
    .split(' ')[1]!;
  return {
    pub,
    fingerprint,
    sign: (message, namespace = 'git') => {
      const msg = join(dir, `msg${seq++}`);
      writeFileSync(msg, message);
      execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-n', namespace, '-f', file, msg]);
      return readFileSync(`${msg}.sig`, 'utf8');
    },
  };
}

const payload = 'tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 0 +0000\n\nsigned\n';

describe('sshsig verification', () => {
  for (const [type, bits] of [
    ['ed25519', undefined],
    ['ecdsa', 256],
    ['ecdsa', 384],
    ['ecdsa', 521],
    ['rsa', 2048],
  ] as const) {
    it(`verifies a ${type}${bits ? `-${bits}` : ''} signature made by ssh-keygen and names the key`, () => {
      const key = makeKey(type, bits);
      const sig = key.sign(payload);
      assert.equal(verifySshSignature(sig, payload, parseAuthorizedKeys(key.pub)), key.fingerprint);
      assert.throws(
        () => verifySshSignature(sig, `${payload}tampered`, parseAuthorizedKeys(key.pub)),
        /does not verify/,
      );
    });
  }

  it('refuses a signature by a key that is not trusted, and one in another namespace', () => {
    const signer = makeKey('ed25519');
    const other = makeKey('ed25519');
    assert.throws(
      () => verifySshSignature(signer.sign(payload), payload, parseAuthorizedKeys(other.pub)),
      (e: unknown) => e instanceof SshSignatureError && e.message.includes(signer.fingerprint),
    );
    assert.throws(
      () => verifySshSignature(signer.sign(payload, 'file'), payload, parseAuthorizedKeys(signer.pub)),
      /namespace 'file' is not 'git'/,
    );
  });

  it('reads authorized_keys with comments, options and several keys', () => {
    const a = makeKey('ed25519');
    const b = makeKey('ecdsa', 256);
    const keys = parseAuthorizedKeys(`# team keys\n\nno-pty ${a.pub}${b.pub}`);
    assert.deepEqual(
      keys.map((k) => k.fingerprint),
      [a.fingerprint, b.fingerprint],
    );
    assert.throws(() => parseAuthorizedKeys('not a key\n'), /unable to parse authorized key/);
  });

  it('rejects malformed and truncated signatures without reading past the end', () => {
    const sig = makeKey('ed25519').sign(payload);
    const parsed = parseSshSignature(sig);
    assert.equal(parsed.namespace, 'git');
    const body = sig.split('\n').slice(1, -2).join('');
    const truncated = `-----BEGIN SSH SIGNATURE-----\n${body.slice(0, 40)}\n-----END SSH SIGNATURE-----\n`;
    assert.throws(() => parseSshSignature(truncated), /truncated|SSHSIG/);
    assert.throws(() => parseSshSignature('garbage'), /not an armored SSH signature/);
  });

  it('verifySignature picks the key kind from the signature and the Secret key names', async () => {
    const key = makeKey('ed25519');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const keys = verificationKeysFromSecret({ 'dev.sshpub': b64(key.pub), 'other.txt': b64('x') });
    assert.deepEqual(keys.ssh, [key.pub]);
    assert.deepEqual(keys.pgp, []);
    const signed = { payload, armored: key.sign(payload) };
    assert.equal(await verifySignature(signed, 'commit c', keys), key.fingerprint);
    await assert.rejects(verifySignature(undefined, 'commit c', keys), /commit c is not signed/);
    await assert.rejects(verifySignature(signed, 'commit c', { pgp: [], ssh: [] }), /no '\*\.sshpub' keys/);
  });
});
