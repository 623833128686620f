// A minimal SOPS encryptor for tests (no sops CLI here): YAML documents with age key groups,
// Shamir threshold, value types, encrypted_regex and mac_only_encrypted, following sops.go.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { stringify } from 'yaml';
import { sealAgeX25519 } from '../../src/sops/age.js';
import { split } from '../../src/sops/shamir.js';

type Plain = string | number | boolean | Plain[] | { [k: string]: Plain };

export interface EncryptOptions {
  /** One list of age recipient public keys (raw 32 bytes) per key group. */
  groups: Buffer[][];
  threshold?: number;
  encryptedRegex?: string;
  macOnlyEncrypted?: boolean;
  /** Extra metadata entries (e.g. hc_vault) merged into the `sops` object. */
  extraMetadata?: Record<string, unknown>;
}

const lastModified = '2025-01-02T03:04:05Z';

function encryptValue(v: string | number | boolean, key: Buffer, aad: string): string {
  const [type, text] =
    typeof v === 'string'
      ? ['str', v]
      : typeof v === 'boolean'
        ? ['bool', v ? 'True' : 'False']
        : Number.isInteger(v)
          ? ['int', String(v)]
          : ['float', String(v)];
  if (text === '') return '';
  const iv = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad));
  const data = Buffer.concat([c.update(text, 'utf8'), c.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${c.getAuthTag().toString('base64')},type:${type}]`;
}

const macBytes = (v: string | number | boolean) =>
  typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);

export function encryptYaml(doc: Record<string, Plain>, opts: EncryptOptions): string {
  const key = randomBytes(32);
  const hash = createHash('sha512');
  const re = opts.encryptedRegex ? new RegExp(opts.encryptedRegex) : undefined;
  if (opts.macOnlyEncrypted) {
    hash.update(
      Buffer.from([
        0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b,
        0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
      ]),
    );
  }
  const walk = (v: Plain, path: string[]): Plain => {
    if (Array.isArray(v)) return v.map((x) => walk(x, path));
    if (typeof v === 'object') {
      const o: Record<string, Plain> = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x, [...path, k]);
      return o;
    }
    const encrypted = re ? path.some((p) => re.test(p)) : !path.some((p) => p.endsWith('_unencrypted'));
    if (!opts.macOnlyEncrypted || encrypted) hash.update(macBytes(v));
    return encrypted ? encryptValue(v, key, `${path.join(':')}:`) : v;
  };
  const out = walk(doc, []) as Record<string, Plain>;
  const mac = encryptValue(hash.digest('hex').toUpperCase(), key, lastModified);
  const threshold = opts.threshold ?? opts.groups.length;
  const parts =
    opts.groups.length > 1 ? split(key, opts.groups.length, threshold, (n) => randomBytes(n)) : [key];
  const groups = opts.groups.map((recipients, i) => ({
    age: recipients.map((r) => ({
      recipient: 'age1test',
      enc: sealAgeX25519(parts[i]!, r, (n) => randomBytes(n)),
    })),
  }));
  const sops: Record<string, unknown> = {
    ...(groups.length === 1 ? { age: groups[0]!.age } : { key_groups: groups, shamir_threshold: threshold }),
    lastmodified: lastModified,
    mac,
    ...(opts.encryptedRegex ? { encrypted_regex: opts.encryptedRegex } : {}),
    ...(opts.macOnlyEncrypted ? { mac_only_encrypted: true } : {}),
    version: '3.9.0',
    ...opts.extraMetadata,
  };
  return stringify({ ...out, sops });
}
