// The identities a decryption may use, read from Flux's key files: `*.agekey` (age identities)
// and `*.asc` (armored OpenPGP private keys). Errors name the key file, never its content.
import type { PrivateKey } from 'openpgp';
import { type AgeIdentity, AgeKeyError, parseAgeKeyFile } from './age.js';
import { PgpKeyError, parsePgpKeys } from './pgp.js';

export interface Keyring {
  age: AgeIdentity[];
  pgp: PrivateKey[];
}

export const emptyKeyring = (): Keyring => ({ age: [], pgp: [] });

export class KeyringError extends Error {}

/**
 * Adds the keys of named key files to a keyring. Names ending in `.agekey` hold age identities,
 * `.asc` armored OpenPGP keys; other names are ignored (Flux reads cloud credentials from them).
 */
export async function addKeyFiles(
  ring: Keyring,
  files: { name: string; data: Uint8Array }[],
  from: string,
): Promise<Keyring> {
  for (const f of files) {
    const text = Buffer.from(f.data).toString('utf8');
    try {
      if (f.name.endsWith('.agekey')) ring.age.push(...parseAgeKeyFile(text));
      else if (f.name.endsWith('.asc')) ring.pgp.push(...(await parsePgpKeys(text)));
    } catch (err) {
      if (err instanceof AgeKeyError || err instanceof PgpKeyError) {
        throw new KeyringError(`failed to import '${f.name}' from ${from}: ${err.message}`);
      }
      throw err;
    }
  }
  return ring;
}

/** A key file given by path (CLI, SOPS_AGE_KEY_FILE): age unless it is an armored PGP key. */
export async function addKeyFile(ring: Keyring, name: string, data: Uint8Array): Promise<Keyring> {
  const text = Buffer.from(data).toString('utf8');
  const isPgp = text.includes('-----BEGIN PGP PRIVATE KEY BLOCK-----');
  return addKeyFiles(ring, [{ name: isPgp ? `${name}.asc` : `${name}.agekey`, data }], name);
}
