// Signature verification of the checked-out commit or tag (spec.verify), with public keys from a
// Secret: keys named `*.asc` or without a suffix are armored PGP keys, keys named `*.sshpub` hold
// SSH public keys in authorized_keys format (Flux's conventions).
import type { SignedPayload } from './git/types.js';
import { isSshSignature, parseAuthorizedKeys, SshSignatureError, verifySshSignature } from './sshsig.js';

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

/** Decoded Secret data → the armored PGP public keys it holds. */
export function pgpKeysFromSecret(data: Record<string, string>): string[] {
  return Object.entries(data)
    .filter(([k]) => k.endsWith('.asc') || !k.includes('.'))
    .map(([, v]) => Buffer.from(v, 'base64').toString('utf8'));
}

/** The trusted keys of a verification Secret, by kind. */
export interface VerificationKeys {
  pgp: string[];
  /** authorized_keys texts. */
  ssh: string[];
}

/** Decoded Secret data → PGP and SSH public keys. */
export function verificationKeysFromSecret(data: Record<string, string>): VerificationKeys {
  const ssh = Object.entries(data)
    .filter(([k]) => k.endsWith('.sshpub'))
    .map(([, v]) => Buffer.from(v, 'base64').toString('utf8'));
  return { pgp: pgpKeysFromSecret(data), ssh };
}

/**
 * Verifies a commit or tag signature of either kind; returns the signing key (PGP key ID or SSH
 * `SHA256:` fingerprint) or throws VerificationError.
 */
export async function verifySignature(
  signed: SignedPayload | undefined,
  what: string,
  keys: VerificationKeys,
): Promise<string> {
  if (!signed) throw new VerificationError(`${what} is not signed`);
  if (!isSshSignature(signed.armored)) return verifyPgp(signed, what, keys.pgp);
  if (keys.ssh.length === 0) {
    throw new VerificationError(
      `${what} carries an SSH signature and the verification Secret has no '*.sshpub' keys`,
    );
  }
  try {
    const trusted = keys.ssh.flatMap((text) => parseAuthorizedKeys(text));
    return verifySshSignature(signed.armored, signed.payload, trusted);
  } catch (err) {
    if (err instanceof SshSignatureError) throw new VerificationError(`signature of ${what}: ${err.message}`);
    throw err;
  }
}

/** Verifies `signed` against the keys; returns the signing key's ID (hex) or throws VerificationError. */
export async function verifyPgp(
  signed: SignedPayload | undefined,
  what: string,
  armoredKeys: string[],
): Promise<string> {
  if (!signed) throw new VerificationError(`${what} is not signed`);
  if (!signed.armored.includes('BEGIN PGP SIGNATURE')) {
    throw new VerificationError(`${what} carries a signature that is neither PGP nor SSH`);
  }
  if (armoredKeys.length === 0)
    throw new VerificationError('no PGP public keys found in the verification Secret');
  const openpgp = await import('openpgp'); // ~15 MB loaded; only when verification is configured
  const keys = (await Promise.all(armoredKeys.map((k) => openpgp.readKeys({ armoredKeys: k })))).flat();
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: Buffer.from(signed.payload, 'utf8') }),
    signature: await openpgp.readSignature({ armoredSignature: signed.armored }),
    verificationKeys: keys,
  });
  for (const sig of result.signatures) {
    try {
      await sig.verified;
      return sig.keyID.toHex().toUpperCase();
    } catch {
      // try the next signature
    }
  }
  throw new VerificationError(`signature of ${what} does not verify with any key in the verification Secret`);
}
