// OpenPGP private keys (armored, passphrase-less as Flux requires) and the unwrapping of a SOPS
// data key encrypted to them, with the openpgp library.
import type { PrivateKey } from 'openpgp';

export class PgpKeyError extends Error {}

export async function parsePgpKeys(armored: string): Promise<PrivateKey[]> {
  const openpgp = await import('openpgp');
  let keys: PrivateKey[];
  try {
    keys = await openpgp.readPrivateKeys({ armoredKeys: armored });
  } catch {
    throw new PgpKeyError('not an armored OpenPGP private key');
  }
  for (const k of keys) {
    if (!k.isDecrypted()) {
      throw new PgpKeyError(
        `OpenPGP key ${k.getFingerprint().toUpperCase()} is protected by a passphrase (not supported, as in Flux)`,
      );
    }
  }
  return keys;
}

export function fingerprints(key: PrivateKey): string[] {
  return [key.getFingerprint(), ...key.getSubkeys().map((s) => s.getFingerprint())].map((f) =>
    f.toUpperCase(),
  );
}

export async function openPgp(enc: string, keys: PrivateKey[]): Promise<Uint8Array | undefined> {
  if (keys.length === 0) return undefined;
  const openpgp = await import('openpgp');
  try {
    const message = await openpgp.readMessage({ armoredMessage: enc });
    const r = await openpgp.decrypt({ message, decryptionKeys: keys, format: 'binary' });
    return r.data as Uint8Array;
  } catch {
    return undefined;
  }
}
