// SSH signatures of Git commits and tags (OpenSSH PROTOCOL.sshsig, namespace "git"): the
// semantics of `ssh-keygen -Y verify` against a set of trusted public keys, as fluxcd/pkg
// git/signatures does with hiddeco/sshsig. Pure: node:crypto only, no processes or files.
import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';

const MAGIC = Buffer.from('SSHSIG');
const ARMOR_BEGIN = '-----BEGIN SSH SIGNATURE-----';
const ARMOR_END = '-----END SSH SIGNATURE-----';
/** Git signs in this namespace (gpg-interface.c). */
export const GIT_NAMESPACE = 'git';
/** A signature blob is a few hundred bytes (RSA-16384 stays far below this). */
const MAX_ARMORED = 64 * 1024;

export class SshSignatureError extends Error {
  override readonly name = 'SshSignatureError';
}

/** A public key from an authorized_keys line. */
export interface SshPublicKey {
  type: string;
  /** The wire-format key blob. */
  blob: Buffer;
  /** `SHA256:<base64>`, as ssh-keygen -l prints it. */
  fingerprint: string;
}

export interface SshSignature {
  publicKey: Buffer;
  namespace: string;
  hashAlgorithm: string;
  /** The signature blob: string format, string signature bytes. */
  signature: Buffer;
}

/** Reads SSH wire-format fields, failing on truncation instead of reading past the end. */
class WireReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}

  uint32(): number {
    if (this.off + 4 > this.buf.length) throw new SshSignatureError('truncated SSH signature');
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }

  bytes(): Buffer {
    const len = this.uint32();
    if (this.off + len > this.buf.length) throw new SshSignatureError('truncated SSH signature');
    const v = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return v;
  }

  string(): string {
    return this.bytes().toString('latin1');
  }

  raw(n: number): Buffer {
    if (this.off + n > this.buf.length) throw new SshSignatureError('truncated SSH signature');
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
}

function sshString(value: Buffer | string): Buffer {
  const b = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

export function isSshSignature(armored: string): boolean {
  return armored.trimStart().startsWith(ARMOR_BEGIN);
}

/** The armored `-----BEGIN SSH SIGNATURE-----` block → its fields. */
export function parseSshSignature(armored: string): SshSignature {
  if (armored.length > MAX_ARMORED) throw new SshSignatureError('SSH signature is too large');
  const text = armored.trim();
  if (!text.startsWith(ARMOR_BEGIN) || !text.endsWith(ARMOR_END)) {
    throw new SshSignatureError('not an armored SSH signature');
  }
  const body = text.slice(ARMOR_BEGIN.length, text.length - ARMOR_END.length).replace(/\s+/g, '');
  const raw = Buffer.from(body, 'base64');
  const r = new WireReader(raw);
  if (!r.raw(MAGIC.length).equals(MAGIC)) throw new SshSignatureError('not an SSHSIG signature');
  const version = r.uint32();
  if (version !== 1) throw new SshSignatureError(`unsupported SSHSIG version ${version}`);
  const publicKey = r.bytes();
  const namespace = r.string();
  r.bytes(); // reserved
  const hashAlgorithm = r.string();
  const signature = r.bytes();
  return { publicKey, namespace, hashAlgorithm, signature };
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9-]+@openssh\.com)$/;

/**
 * authorized_keys content → keys. Empty lines and `#` comments are skipped; options before the
 * key type are allowed; a line without a key is an error (Flux fails on it too).
 */
export function parseAuthorizedKeys(text: string): SshPublicKey[] {
  const keys: SshPublicKey[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const at = fields.findIndex((f) => KEY_TYPE.test(f));
    const b64 = at >= 0 ? fields[at + 1] : undefined;
    if (!b64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      throw new SshSignatureError('unable to parse authorized key: no key type and base64 key found');
    }
    const blob = Buffer.from(b64, 'base64');
    const type = new WireReader(blob).string();
    if (type !== fields[at]) throw new SshSignatureError(`unable to parse authorized key: type mismatch`);
    keys.push({ type, blob, fingerprint: fingerprint(blob) });
  }
  return keys;
}

const b64url = (b: Buffer) => b.toString('base64url');
/** An mpint without its sign byte, left-padded to `size` bytes when given. */
function unsigned(b: Buffer, size?: number): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  if (size !== undefined) {
    if (v.length > size) throw new SshSignatureError('malformed ECDSA signature');
    v = Buffer.concat([Buffer.alloc(size - v.length), v]);
  }
  return v;
}

const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

interface Verifier {
  key: KeyObject;
  check(format: string, sig: Buffer, data: Buffer): boolean;
}

function verifierFor(blob: Buffer): Verifier {
  const r = new WireReader(blob);
  const type = r.string();
  if (type === 'ssh-ed25519') {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(r.bytes()) }, format: 'jwk' });
    return { key, check: (format, sig, data) => format === type && verify(null, data, key, sig) };
  }
  if (type === 'ssh-rsa') {
    const e = unsigned(r.bytes());
    const n = unsigned(r.bytes());
    const key = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
    return {
      key,
      check: (format, sig, data) => {
        // SHA-1 RSA signatures are refused by ssh-keygen -Y verify as well.
        const hash = format === 'rsa-sha2-512' ? 'sha512' : format === 'rsa-sha2-256' ? 'sha256' : undefined;
        return hash !== undefined && verify(hash, data, key, sig);
      },
    };
  }
  const ec = /^ecdsa-sha2-(nistp\d+)$/.exec(type);
  const curve = ec ? CURVES[ec[1]!] : undefined;
  if (curve) {
    if (r.string() !== ec![1]) throw new SshSignatureError('malformed ECDSA key');
    const q = r.bytes();
    if (q[0] !== 4 || q.length !== 1 + 2 * curve.size) throw new SshSignatureError('malformed ECDSA key');
    const x = q.subarray(1, 1 + curve.size);
    const y = q.subarray(1 + curve.size);
    const key = createPublicKey({
      key: { kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) },
      format: 'jwk',
    });
    return {
      key,
      check: (format, sig, data) => {
        if (format !== type) return false;
        const s = new WireReader(sig);
        const p1363 = Buffer.concat([unsigned(s.bytes(), curve.size), unsigned(s.bytes(), curve.size)]);
        return verify(curve.hash, data, { key, dsaEncoding: 'ieee-p1363' }, p1363);
      },
    };
  }
  throw new SshSignatureError(`unsupported SSH key type '${type}'`);
}

/**
 * Verifies `payload` against an armored SSH signature made by one of `trusted` in `namespace`.
 * Returns the fingerprint of the signing key; throws SshSignatureError otherwise.
 */
export function verifySshSignature(
  armored: string,
  payload: Buffer | string,
  trusted: readonly SshPublicKey[],
  namespace = GIT_NAMESPACE,
): string {
  const sig = parseSshSignature(armored);
  if (sig.namespace !== namespace) {
    throw new SshSignatureError(`SSH signature namespace '${sig.namespace}' is not '${namespace}'`);
  }
  if (sig.hashAlgorithm !== 'sha256' && sig.hashAlgorithm !== 'sha512') {
    throw new SshSignatureError(`unsupported SSH signature hash '${sig.hashAlgorithm}'`);
  }
  const signer = trusted.find((k) => k.blob.equals(sig.publicKey));
  if (!signer) {
    throw new SshSignatureError(
      `signed by key ${fingerprint(sig.publicKey)}, which is not in the verification Secret`,
    );
  }
  const digest = createHash(sig.hashAlgorithm).update(payload).digest();
  const signedData = Buffer.concat([
    MAGIC,
    sshString(namespace),
    sshString(''),
    sshString(sig.hashAlgorithm),
    sshString(digest),
  ]);
  const s = new WireReader(sig.signature);
  const format = s.string();
  const bytes = s.bytes();
  let ok = false;
  try {
    ok = verifierFor(signer.blob).check(format, bytes, signedData);
  } catch (err) {
    if (err instanceof SshSignatureError) throw err;
    ok = false;
  }
  if (!ok) throw new SshSignatureError(`SSH signature does not verify with key ${signer.fingerprint}`);
  return signer.fingerprint;
}
