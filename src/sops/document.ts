// One SOPS document: read (any format), decrypt every value with the data key (the tree path as
// additional data), verify the MAC, write the plain form. Follows sops.go's Tree.Decrypt walk.
import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { decryptValue, isEncryptedValue, ValueError } from './cipher.js';
import { SopsError } from './errors.js';
import type { SopsFormat } from './format.js';
import { parseMetadata, rfc3339, type SopsMetadata } from './metadata.js';
import { emitStore, formatFloat, loadStore } from './stores.js';
import { Branch, type TreeValue } from './tree.js';

export interface SopsDocument {
  file: string;
  metadata: SopsMetadata;
  branches: Branch[];
}

/** The bytes MAC_ONLY_ENCRYPTED MACs start with (sops.go MACOnlyEncryptedInitialization). */
const macOnlyEncryptedInit = Buffer.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97,
  0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

/** Reads a SOPS document; undefined when the bytes carry no SOPS metadata. */
export function readSops(bytes: Uint8Array, format: SopsFormat, file: string): SopsDocument | undefined {
  let loaded: ReturnType<typeof loadStore>;
  try {
    loaded = loadStore(bytes, format);
  } catch (err) {
    throw new SopsError(file, 'format', `failed to load encrypted ${format} data: ${(err as Error).message}`);
  }
  if (!loaded.metadata) return undefined;
  try {
    return { file, metadata: parseMetadata(loaded.metadata), branches: loaded.branches };
  } catch (err) {
    throw new SopsError(file, 'format', `invalid SOPS metadata: ${(err as Error).message}`);
  }
}

type Rule = (path: string[], value: TreeValue) => boolean;

function compile(re: string, file: string, field: string): RE2JS {
  try {
    return RE2JS.compile(re);
  } catch {
    throw new SopsError(file, 'format', `${field} is not a valid regular expression`);
  }
}

/** sops.go shouldBeEncrypted, over key paths. RE2 (re2js): linear time on Git content. */
function encryptionRule(m: SopsMetadata, file: string): Rule {
  if (m.encryptedCommentRegex !== undefined || m.unencryptedCommentRegex !== undefined) {
    // Comments are not kept in the tree: with comment rules the encrypted values are the ones in
    // SOPS's encrypted form (see docs/sops.md).
    return (_p, v) => isEncryptedValue(v);
  }
  const unencRe =
    m.unencryptedRegex !== undefined ? compile(m.unencryptedRegex, file, 'unencrypted_regex') : undefined;
  const encRe =
    m.encryptedRegex !== undefined ? compile(m.encryptedRegex, file, 'encrypted_regex') : undefined;
  return (path) => {
    let encrypted = true;
    if (m.unencryptedSuffix !== undefined && path.some((p) => p.endsWith(m.unencryptedSuffix!)))
      encrypted = false;
    if (m.encryptedSuffix !== undefined) encrypted = path.some((p) => p.endsWith(m.encryptedSuffix!));
    if (unencRe && path.some((p) => unencRe.matcher(p).find())) encrypted = false;
    if (encRe) encrypted = path.some((p) => encRe.matcher(p).find());
    return encrypted;
  };
}

function toBytes(v: TreeValue): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'number') return Buffer.from(formatFloat(v), 'utf8');
  if (typeof v === 'boolean') return Buffer.from(v ? 'True' : 'False', 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v);
  throw new Error('not a leaf');
}

/** Decrypts the document's values in place and verifies its MAC. */
export function decryptDocument(doc: SopsDocument, key: Uint8Array): Branch[] {
  const { metadata: m, file } = doc;
  const rule = encryptionRule(m, file);
  const hash = createHash('sha512');
  if (m.macOnlyEncrypted) hash.update(macOnlyEncryptedInit);
  const where = (path: string[]) => (path.length > 0 ? `'${path.join('.')}'` : 'the document');
  const leaf = (v: TreeValue, path: string[]): TreeValue => {
    const encrypted = rule(path, v);
    let out = v;
    if (encrypted) {
      if (typeof v !== 'string') {
        throw new SopsError(
          file,
          'value',
          `the value at ${where(path)} should be encrypted but is not an encrypted string`,
        );
      }
      try {
        out = decryptValue(v, key, `${path.join(':')}:`);
      } catch (err) {
        if (err instanceof ValueError)
          throw new SopsError(file, 'value', `the value at ${where(path)}: ${err.message}`);
        throw err;
      }
    }
    if (!m.macOnlyEncrypted || encrypted) hash.update(toBytes(out));
    return out;
  };
  const walk = (v: TreeValue, path: string[]): TreeValue => {
    if (v === null) return null;
    if (v instanceof Branch) {
      for (const item of v.items) item.value = walk(item.value, [...path, item.key]);
      return v;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]!, path);
      return v;
    }
    return leaf(v, path);
  };
  for (const b of doc.branches) walk(b, []);
  const computed = hash.digest('hex').toUpperCase();
  if (m.mac === '') throw new SopsError(file, 'mac', 'the document has no MAC');
  let stored: string;
  try {
    stored = String(decryptValue(m.mac, key, rfc3339(m.lastModified)));
  } catch {
    throw new SopsError(file, 'mac', 'the MAC does not decrypt (the MAC or lastmodified was changed)');
  }
  if (stored !== computed) {
    throw new SopsError(
      file,
      'mac',
      'MAC mismatch: the document was changed after it was encrypted (a value, key or the order of keys was edited, added or removed)',
    );
  }
  return doc.branches;
}

export function emitPlain(branches: Branch[], format: SopsFormat, file: string): Uint8Array {
  try {
    return emitStore(branches, format);
  } catch (err) {
    throw new SopsError(
      file,
      'format',
      `cannot write the decrypted document as ${format}: ${(err as Error).message}`,
    );
  }
}
