// The `sops` metadata of a document: key groups, threshold, encryption rules, MAC
// (stores/stores.go Metadata and ToInternal).

export interface AgeKey {
  recipient: string;
  enc: string;
}
export interface PgpKey {
  fingerprint: string;
  enc: string;
}
/** A key of a provider that needs a cloud service or a server (AWS/GCP KMS, Azure Key Vault, Vault). */
export interface RemoteKey {
  provider: 'AWS KMS' | 'GCP KMS' | 'Azure Key Vault' | 'HashiCorp Vault';
  id: string;
}
export interface KeyGroup {
  age: AgeKey[];
  pgp: PgpKey[];
  remote: RemoteKey[];
}

export interface SopsMetadata {
  keyGroups: KeyGroup[];
  shamirThreshold: number;
  lastModified: string;
  mac: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  unencryptedCommentRegex?: string;
  encryptedCommentRegex?: string;
  macOnlyEncrypted: boolean;
  version: string;
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : [];

function groupFrom(o: Record<string, unknown>): KeyGroup {
  return {
    age: list(o.age).map((k) => ({ recipient: str(k.recipient), enc: str(k.enc) })),
    pgp: list(o.pgp).map((k) => ({ fingerprint: str(k.fp), enc: str(k.enc) })),
    remote: [
      ...list(o.kms).map((k) => ({ provider: 'AWS KMS' as const, id: str(k.arn) })),
      ...list(o.gcp_kms).map((k) => ({ provider: 'GCP KMS' as const, id: str(k.resource_id) })),
      ...list(o.azure_kv).map((k) => ({
        provider: 'Azure Key Vault' as const,
        id: `${str(k.vault_url)}/keys/${str(k.name)}`,
      })),
      ...list(o.hc_vault).map((k) => ({
        provider: 'HashiCorp Vault' as const,
        id: `${str(k.vault_address)}/v1/${str(k.engine_path)}/keys/${str(k.key_name)}`,
      })),
    ],
  };
}

const groupSize = (g: KeyGroup) => g.age.length + g.pgp.length + g.remote.length;

export function parseMetadata(m: Record<string, unknown>): SopsMetadata {
  const top = groupFrom(m);
  let keyGroups: KeyGroup[];
  if (groupSize(top) > 0) keyGroups = [top];
  else keyGroups = list(m.key_groups).map(groupFrom);
  if (keyGroups.length === 0) throw new Error('no keys found in the SOPS metadata');
  const rules = ['unencrypted_suffix', 'encrypted_suffix', 'unencrypted_regex', 'encrypted_regex'].filter(
    (k) => str(m[k]) !== '',
  );
  if (rules.length > 1) {
    throw new Error(
      'cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex or unencrypted_regex in the same file',
    );
  }
  const threshold = Number(m.shamir_threshold ?? 0);
  if (!Number.isInteger(threshold) || threshold < 0) throw new Error('shamir_threshold is not an integer');
  if (str(m.lastmodified) === '') throw new Error('the SOPS metadata has no lastmodified');
  const opt = (k: string) => (str(m[k]) === '' ? undefined : str(m[k]));
  return {
    keyGroups,
    shamirThreshold: threshold === 0 ? keyGroups.length : threshold,
    lastModified: str(m.lastmodified),
    mac: str(m.mac),
    unencryptedSuffix: rules.length === 0 ? '_unencrypted' : opt('unencrypted_suffix'),
    encryptedSuffix: opt('encrypted_suffix'),
    unencryptedRegex: opt('unencrypted_regex'),
    encryptedRegex: opt('encrypted_regex'),
    unencryptedCommentRegex: opt('unencrypted_comment_regex'),
    encryptedCommentRegex: opt('encrypted_comment_regex'),
    macOnlyEncrypted: m.mac_only_encrypted === true || m.mac_only_encrypted === 'true',
    version: str(m.version),
  };
}

/**
 * lastmodified as Go's time.Format(time.RFC3339) writes it after time.Parse: the MAC's additional
 * data. Fractional seconds are dropped and a zero offset is written `Z`.
 */
export function rfc3339(lastModified: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(lastModified);
  if (!m) throw new Error('lastmodified is not an RFC 3339 time');
  const zone = m[3]!.toUpperCase() === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : m[3]!;
  return `${m[1]}T${m[2]}${zone}`;
}
