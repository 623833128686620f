// OpenSSH known_hosts matching for the ssh2 transport: plain and hashed (`|1|salt|hash`) host
// names, `[host]:port` for non-standard ports, wildcards and negation, `@revoked` lines.
// `@cert-authority` lines are not supported (host certificates are not accepted).
import { createHmac } from 'node:crypto';

export interface KnownHostEntry {
  marker?: 'revoked' | 'cert-authority';
  patterns: string;
  keyType: string;
  /** The decoded public key blob. */
  key: Buffer;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields.shift() === '@revoked' ? 'revoked' : 'cert-authority';
    }
    const [patterns, keyType, keyB64] = fields;
    if (!patterns || !keyType || !keyB64) continue;
    const entry: KnownHostEntry = { patterns, keyType, key: Buffer.from(keyB64, 'base64') };
    if (marker) entry.marker = marker;
    entries.push(entry);
  }
  return entries;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** ASCII lower case, as OpenSSH's match_hostname folds both the host and the pattern. */
function lowerAscii(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * OpenSSH's match_pattern: `*` matches any run of characters, `?` any one, anything else itself.
 * Written as the greedy matcher that only ever returns to the last `*` (earlier stars never need
 * to take more), so a hostile pattern like `*a*a*a…b` costs O(name × pattern), not exponential time.
 */
export function wildcardMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    const pc = pattern[p];
    if (pc !== undefined && pc !== '*' && (pc === '?' || pc === name[n])) {
      p++;
      n++;
    } else if (pc === '*') {
      starP = p++;
      starN = n;
    } else if (starP >= 0) {
      p = starP + 1;
      n = ++starN;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

function globMatch(pattern: string, name: string): boolean {
  return wildcardMatch(lowerAscii(pattern), lowerAscii(name));
}

/** Whether a host-pattern field (comma list, hashed or with wildcards/negation) matches `name`. */
export function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) {
      matched = true;
    }
  }
  return matched;
}

export type HostKeyVerdict = 'trusted' | 'unknown' | 'mismatch' | 'revoked';

/** Check a presented host key blob for `name` against known_hosts entries. */
export function verifyHostKey(entries: readonly KnownHostEntry[], name: string, key: Buffer): HostKeyVerdict {
  let hostKnown = false;
  for (const e of entries) {
    if (e.marker === 'revoked' && e.key.equals(key)) return 'revoked';
  }
  for (const e of entries) {
    if (e.marker) continue;
    if (!hostMatches(e.patterns, name)) continue;
    hostKnown = true;
    if (e.key.equals(key)) return 'trusted';
  }
  return hostKnown ? 'mismatch' : 'unknown';
}

/** The key algorithms known_hosts lists for `name`, to offer them first in the handshake. */
export function hostKeyAlgorithms(entries: readonly KnownHostEntry[], name: string): string[] {
  const algos = new Set<string>();
  for (const e of entries) if (!e.marker && hostMatches(e.patterns, name)) algos.add(e.keyType);
  return [...algos];
}
