// The data key of a document: each key group yields a part (from any of its keys); one group's
// part is the key, several groups' parts are combined with Shamir's threshold (sops.go
// GetDataKeyWithKeyServices). The classic-age path is synchronous; PGP and post-quantum age are not.
import { createHash } from 'node:crypto';
import { openAgeWithLibrary, openAgeX25519 } from './age.js';
import { SopsError } from './errors.js';
import type { Keyring } from './keyring.js';
import type { KeyGroup, SopsMetadata } from './metadata.js';
import { fingerprints, openPgp } from './pgp.js';
import { combine } from './shamir.js';

/** Identifies a data key: the same sealed key material always opens to the same data key. */
export function dataKeyId(meta: SopsMetadata): string {
  return createHash('sha256').update(JSON.stringify(meta.keyGroups)).digest('hex');
}

function groupPartSync(g: KeyGroup, ring: Keyring): Uint8Array | undefined {
  const classic = ring.age.filter((i) => i.kind === 'x25519');
  if (classic.length === 0) return undefined;
  // Recipients named in the metadata first: the usual case is one matching identity.
  const ordered = [...g.age].sort(
    (a, b) =>
      Number(classic.some((i) => i.recipient === b.recipient)) -
      Number(classic.some((i) => i.recipient === a.recipient)),
  );
  for (const k of ordered) {
    try {
      const part = openAgeX25519(k.enc, classic);
      if (part) return part;
    } catch {
      // a malformed or tampered stanza: try the next key
    }
  }
  return undefined;
}

async function groupPart(g: KeyGroup, ring: Keyring): Promise<Uint8Array | undefined> {
  const sync = groupPartSync(g, ring);
  if (sync) return sync;
  const pq = ring.age.filter((i) => i.kind === 'pq');
  for (const k of g.age) {
    if (pq.length === 0) break;
    if (!k.recipient.startsWith('age1pq1')) continue;
    const part = await openAgeWithLibrary(k.enc, pq);
    if (part) return part;
  }
  for (const k of g.pgp) {
    const fp = k.fingerprint.toUpperCase();
    const keys = ring.pgp.filter((key) => fingerprints(key).some((f) => f.endsWith(fp) || fp.endsWith(f)));
    const part = (await openPgp(k.enc, keys.length > 0 ? keys : ring.pgp)) ?? undefined;
    if (part) return part;
  }
  return undefined;
}

function assemble(parts: (Uint8Array | undefined)[], meta: SopsMetadata, file: string): Uint8Array {
  const got = parts.filter((p): p is Uint8Array => p !== undefined);
  if (meta.keyGroups.length === 1) {
    if (got.length === 1) return got[0]!;
  } else if (got.length >= meta.shamirThreshold) {
    try {
      return combine(got.slice(0, meta.shamirThreshold));
    } catch (err) {
      throw new SopsError(file, 'format', `the key group parts do not combine: ${(err as Error).message}`);
    }
  }
  throw groupsError(parts, meta, file);
}

function describeGroup(g: KeyGroup): string {
  const what: string[] = [];
  if (g.age.length > 0)
    what.push(`age recipient(s) ${g.age.map((k) => `${k.recipient.slice(0, 16)}…`).join(', ')}`);
  if (g.pgp.length > 0) what.push(`PGP fingerprint(s) ${g.pgp.map((k) => k.fingerprint).join(', ')}`);
  for (const r of g.remote) what.push(`${r.provider} key ${r.id}`);
  return what.join('; ') || 'no keys';
}

function groupsError(parts: (Uint8Array | undefined)[], meta: SopsMetadata, file: string): SopsError {
  const failed = meta.keyGroups.filter((_, i) => parts[i] === undefined);
  const need = meta.keyGroups.length === 1 ? 1 : meta.shamirThreshold;
  const have = parts.filter((p) => p !== undefined).length;
  const onlyRemote =
    failed.length > 0 && failed.every((g) => g.age.length === 0 && g.pgp.length === 0 && g.remote.length > 0);
  const providers = [...new Set(failed.flatMap((g) => g.remote.map((r) => r.provider)))];
  const groups = failed
    .map((g) => `key group ${meta.keyGroups.indexOf(g) + 1} (${describeGroup(g)})`)
    .join(', ');
  const count = meta.keyGroups.length > 1 ? ` (${have} of the ${need} key groups needed opened)` : '';
  if (onlyRemote) {
    return new SopsError(
      file,
      'unsupported',
      `cannot get the SOPS data key${count}: ${groups} can only be opened with ${providers.join(', ')}, which Mooring does not support; add an age or PGP recipient to the file`,
    );
  }
  const remoteNote = providers.length > 0 ? ` (${providers.join(', ')} not supported by Mooring)` : '';
  return new SopsError(
    file,
    'key',
    `cannot get the SOPS data key${count}: no identity opens ${groups}${remoteNote}`,
  );
}

/** The data key with classic age identities only, or undefined when the async path is needed. */
export function dataKeySync(meta: SopsMetadata, ring: Keyring, file: string): Uint8Array | undefined {
  const parts = meta.keyGroups.map((g) => groupPartSync(g, ring));
  try {
    return assemble(parts, meta, file);
  } catch (err) {
    const couldDoMore = ring.pgp.length > 0 || ring.age.some((i) => i.kind === 'pq');
    if (couldDoMore && err instanceof SopsError && err.kind !== 'format') return undefined;
    throw err;
  }
}

export async function dataKey(meta: SopsMetadata, ring: Keyring, file: string): Promise<Uint8Array> {
  const parts: (Uint8Array | undefined)[] = [];
  for (const g of meta.keyGroups) {
    parts.push(await groupPart(g, ring));
    if (meta.keyGroups.length > 1 && parts.filter(Boolean).length === meta.shamirThreshold) break;
  }
  while (parts.length < meta.keyGroups.length) parts.push(undefined);
  return assemble(parts, meta, file);
}
