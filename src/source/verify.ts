// Signature verification of the checked-out commit or tag (spec.verify), with PGP public keys from
// a Secret: keys named `*.asc` or without a suffix are armored PGP keys (Flux's convention).
import type { SignedPayload } from './git/types.js';

export class VerificationError extends Error {
  override readonly name = 'VerificationError';
}

/** Decoded Secret data → the armored PGP public keys it holds. */
export function pgpKeysFromSecret(data: Record<string, string>): string[] {
  return Object.entries(data)
    .filter(([k]) => k.endsWith('.asc') || !k.includes('.'))
    .map(([, v]) => Buffer.from(v, 'base64').toString('utf8'));
}

/** Verifies `signed` against the keys; returns the signing key's ID (hex) or throws VerificationError. */
export async function verifyPgp(
  signed: SignedPayload | undefined,
  what: string,
  armoredKeys: string[],
): Promise<string> {
  if (!signed) throw new VerificationError(`${what} is not signed`);
  if (!signed.armored.includes('BEGIN PGP SIGNATURE')) {
    throw new VerificationError(`${what} carries a non-PGP signature, which this version cannot verify`);
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
