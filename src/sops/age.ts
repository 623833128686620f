// age identities and the unwrapping of a SOPS data key sealed to them.
//
// Classic X25519 stanzas are opened here with node:crypto (X25519, HKDF, ChaCha20-Poly1305 are all
// native and synchronous): measured ~25x faster than the pure-JS curve the age-encryption library
// uses, which matters with one data key per file (500 files). Everything else, in particular the
// post-quantum ML-KEM-768+X25519 stanzas, goes through age-encryption (typage, the reference
// TypeScript implementation).
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  timingSafeEqual,
} from 'node:crypto';
import { bech32 } from '@scure/base';

export interface AgeIdentity {
  kind: 'x25519' | 'pq';
  /** The identity string (AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…). Never logged. */
  secret: string;
  /** The recipient (public key) for classic identities; undefined for PQ ones (derived by the library). */
  recipient?: string;
  /** X25519 private key object (classic identities). */
  key?: ReturnType<typeof createPrivateKey>;
  publicKey?: Buffer;
}

const pkcs8Prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');
const spkiPrefix = Buffer.from('302a300506032b656e032100', 'hex');

export class AgeKeyError extends Error {}

/** Parses the identities of an age key file: one per line, `#` comments and blank lines allowed. */
export function parseAgeKeyFile(text: string): AgeIdentity[] {
  const out: AgeIdentity[] = [];
  const lines = text.split(/\r?\n/);
  for (const [n, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(parseAgeIdentity(line, n + 1));
  }
  return out;
}

function parseAgeIdentity(line: string, lineNo: number): AgeIdentity {
  const upper = line.toUpperCase();
  if (upper.startsWith('AGE-SECRET-KEY-PQ-1')) {
    try {
      const d = bech32.decodeToBytes(line.toLowerCase() as `${string}1${string}`);
      if (d.prefix !== 'age-secret-key-pq-') throw new Error('prefix');
    } catch {
      throw new AgeKeyError(`line ${lineNo}: malformed post-quantum age identity`);
    }
    return { kind: 'pq', secret: line };
  }
  if (upper.startsWith('AGE-SECRET-KEY-1')) {
    let scalar: Uint8Array;
    try {
      const d = bech32.decodeToBytes(line.toLowerCase() as `${string}1${string}`);
      if (d.prefix !== 'age-secret-key-' || d.bytes.length !== 32) throw new Error('length');
      scalar = d.bytes;
    } catch {
      throw new AgeKeyError(`line ${lineNo}: malformed age identity`);
    }
    const key = createPrivateKey({ key: Buffer.concat([pkcs8Prefix, scalar]), format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    const publicKey = spki.subarray(spki.length - 32);
    return {
      kind: 'x25519',
      secret: line,
      key,
      publicKey,
      recipient: bech32.encode('age', bech32.toWords(publicKey), false),
    };
  }
  if (upper.startsWith('AGE-PLUGIN-'))
    throw new AgeKeyError(`line ${lineNo}: age plugin identities are not supported`);
  throw new AgeKeyError(
    `line ${lineNo}: not an age identity (expected AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1…)`,
  );
}

/** The binary age file inside SOPS's armored `enc` (PEM-like, base64 lines). */
export function dearmor(enc: string): Buffer {
  const lines = enc
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (
    lines[0] === '-----BEGIN AGE ENCRYPTED FILE-----' &&
    lines[lines.length - 1] === '-----END AGE ENCRYPTED FILE-----'
  ) {
    const body = lines.slice(1, -1).join('');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new AgeKeyError('malformed age armor');
    return Buffer.from(body, 'base64');
  }
  return Buffer.from(enc, 'utf8');
}

interface Header {
  stanzas: { type: string; args: string[]; body: Buffer }[];
  /** The header bytes the MAC covers (up to and including `---`). */
  macInput: Buffer;
  mac: Buffer;
  payload: Buffer;
}

const rawB64 = (s: string): Buffer => {
  if (!/^[A-Za-z0-9+/]*$/.test(s)) throw new AgeKeyError('malformed age header');
  return Buffer.from(s, 'base64');
};

function parseHeader(file: Buffer): Header {
  const intro = 'age-encryption.org/v1\n';
  if (!file.subarray(0, intro.length).equals(Buffer.from(intro))) throw new AgeKeyError('not an age file');
  const end = file.indexOf('\n--- ');
  if (end < 0) throw new AgeKeyError('malformed age header');
  const macEnd = file.indexOf('\n', end + 5);
  if (macEnd < 0) throw new AgeKeyError('malformed age header');
  const lines = file.subarray(intro.length, end).toString('latin1').split('\n');
  const stanzas: Header['stanzas'] = [];
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    if (!line.startsWith('-> ')) throw new AgeKeyError('malformed age header');
    const [type = '', ...args] = line.slice(3).split(' ');
    const body: string[] = [];
    i++;
    for (;;) {
      const l = lines[i];
      if (l === undefined) throw new AgeKeyError('malformed age stanza');
      body.push(l);
      i++;
      if (l.length < 64) break;
    }
    stanzas.push({ type, args, body: rawB64(body.join('')) });
  }
  return {
    stanzas,
    macInput: file.subarray(0, end + 4),
    mac: rawB64(file.subarray(end + 5, macEnd).toString('latin1')),
    payload: file.subarray(macEnd + 1),
  };
}

function chachaOpen(key: Buffer, nonce: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < 16) return undefined;
  try {
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]);
  } catch {
    return undefined;
  }
}

const hkdf = (ikm: Buffer, salt: Buffer, info: string) =>
  Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));

/**
 * Opens an age file with classic X25519 identities. Returns undefined when no X25519 stanza opens
 * with them (the caller may then try the library with post-quantum identities).
 */
export function openAgeX25519(enc: string, identities: AgeIdentity[]): Uint8Array | undefined {
  const file = dearmor(enc);
  const h = parseHeader(file);
  let fileKey: Buffer | undefined;
  for (const s of h.stanzas) {
    if (s.type !== 'X25519' || s.args.length !== 1 || s.body.length !== 32) continue;
    const share = rawB64(s.args[0]!);
    if (share.length !== 32) continue;
    // JWK import measured ~3x cheaper than SPKI DER for X25519 public keys.
    const ephemeral = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: share.toString('base64url') },
      format: 'jwk',
    });
    for (const id of identities) {
      if (id.kind !== 'x25519' || !id.key || !id.publicKey) continue;
      let shared: Buffer;
      try {
        shared = diffieHellman({ privateKey: id.key, publicKey: ephemeral });
      } catch {
        continue;
      }
      if (shared.every((b) => b === 0)) continue;
      const wrap = hkdf(shared, Buffer.concat([share, id.publicKey]), 'age-encryption.org/v1/X25519');
      fileKey = chachaOpen(wrap, Buffer.alloc(12), s.body);
      if (fileKey) break;
    }
    if (fileKey) break;
  }
  if (!fileKey) return undefined;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(h.macInput)
    .digest();
  if (mac.length !== h.mac.length || !timingSafeEqual(mac, h.mac))
    throw new AgeKeyError('age header MAC mismatch');
  return decryptPayload(fileKey, h.payload);
}

function decryptPayload(fileKey: Buffer, payload: Buffer): Uint8Array {
  if (payload.length < 16) throw new AgeKeyError('age payload too short');
  const key = hkdf(fileKey, payload.subarray(0, 16), 'payload');
  const chunkSize = 64 * 1024 + 16;
  const body = payload.subarray(16);
  const out: Buffer[] = [];
  for (let off = 0, counter = 0; ; counter++) {
    const last = body.length - off <= chunkSize;
    const nonce = Buffer.alloc(12);
    nonce.writeUIntBE(counter, 5, 6);
    if (last) nonce[11] = 1;
    const plain = chachaOpen(key, nonce, body.subarray(off, Math.min(off + chunkSize, body.length)));
    if (!plain) throw new AgeKeyError('age payload does not decrypt');
    out.push(plain);
    off += chunkSize;
    if (last) break;
  }
  return new Uint8Array(Buffer.concat(out));
}

/** Opens an age file with the age-encryption library (post-quantum and classic identities). */
export async function openAgeWithLibrary(
  enc: string,
  identities: AgeIdentity[],
): Promise<Uint8Array | undefined> {
  if (identities.length === 0) return undefined;
  const age = await import('age-encryption');
  const d = new age.Decrypter();
  for (const id of identities) d.addIdentity(id.secret);
  try {
    return await d.decrypt(dearmor(enc));
  } catch {
    return undefined;
  }
}

/** Seals data to X25519 recipients the way age does (for tests: building SOPS fixtures). */
export function sealAgeX25519(
  data: Uint8Array,
  recipientPublicKey: Buffer,
  random: (n: number) => Buffer,
): string {
  const fileKey = random(16);
  const eph = createPrivateKey({
    key: Buffer.concat([pkcs8Prefix, random(32)]),
    format: 'der',
    type: 'pkcs8',
  });
  const ephSpki = createPublicKey(eph).export({ format: 'der', type: 'spki' });
  const share = ephSpki.subarray(ephSpki.length - 32);
  const shared = diffieHellman({
    privateKey: eph,
    publicKey: createPublicKey({
      key: Buffer.concat([spkiPrefix, recipientPublicKey]),
      format: 'der',
      type: 'spki',
    }),
  });
  const wrap = hkdf(shared, Buffer.concat([share, recipientPublicKey]), 'age-encryption.org/v1/X25519');
  const c = createCipheriv('chacha20-poly1305', wrap, Buffer.alloc(12), { authTagLength: 16 });
  const body = Buffer.concat([c.update(fileKey), c.final(), c.getAuthTag()]);
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  const header = `age-encryption.org/v1\n-> X25519 ${b64(share)}\n${b64(body)}\n---`;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header'))
    .update(header)
    .digest();
  const nonce = random(16);
  const pc = createCipheriv(
    'chacha20-poly1305',
    hkdf(fileKey, nonce, 'payload'),
    Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    { authTagLength: 16 },
  );
  const payload = Buffer.concat([pc.update(data), pc.final(), pc.getAuthTag()]);
  const file = Buffer.concat([Buffer.from(`${header} ${b64(mac)}\n`), nonce, payload]);
  const lines = file.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN AGE ENCRYPTED FILE-----\n${lines.join('\n')}\n-----END AGE ENCRYPTED FILE-----\n`;
}
