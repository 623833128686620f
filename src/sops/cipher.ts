// SOPS's value cipher (aes/cipher.go): AES-256-GCM with the value's tree path as additional data.
import { createDecipheriv } from 'node:crypto';

export type DecryptedValue = string | number | boolean | Uint8Array;

interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

const prefix = 'ENC[AES256_GCM,';

export function isEncryptedValue(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(prefix);
}

/** Parses `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` without a backtracking regex. */
function parse(value: string): EncryptedValue | undefined {
  if (!value.startsWith(prefix)) return undefined;
  const close = value.lastIndexOf(']');
  if (close < prefix.length) return undefined;
  const fields = value.slice(prefix.length, close).split(',');
  if (fields.length !== 4) return undefined;
  const out: Record<string, string> = Object.create(null);
  for (const [i, name] of ['data', 'iv', 'tag', 'type'].entries()) {
    const f = fields[i]!;
    if (!f.startsWith(`${name}:`) || f.length === name.length + 1) return undefined;
    out[name] = f.slice(name.length + 1);
  }
  const b64 = (s: string) => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) ? Buffer.from(s, 'base64') : undefined);
  const data = b64(out.data!);
  const iv = b64(out.iv!);
  const tag = b64(out.tag!);
  if (!data || !iv || !tag || iv.length === 0 || tag.length !== 16) return undefined;
  return { data, iv, tag, type: out.type! };
}

export class ValueError extends Error {}

/** Decrypts one value. Errors never include the value. */
export function decryptValue(ciphertext: string, key: Uint8Array, additionalData: string): DecryptedValue {
  if (ciphertext === '') return '';
  const ev = parse(ciphertext);
  if (!ev) throw new ValueError("a value does not match SOPS's encrypted value format");
  let plain: Buffer;
  try {
    const d = createDecipheriv('aes-256-gcm', key, ev.iv);
    d.setAAD(Buffer.from(additionalData, 'utf8'));
    d.setAuthTag(ev.tag);
    plain = Buffer.concat([d.update(ev.data), d.final()]);
  } catch {
    throw new ValueError(
      'a value could not be decrypted with AES-GCM (wrong data key, or the value or its path was changed)',
    );
  }
  const text = plain.toString('utf8');
  switch (ev.type) {
    case 'str':
      return text;
    case 'int':
    case 'int64': {
      if (!/^[+-]?\d+$/.test(text)) throw new ValueError('an int value does not decode to an integer');
      return Number(text);
    }
    case 'float': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n))
        throw new ValueError('a float value does not decode to a number');
      return n;
    }
    case 'bool': {
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
      throw new ValueError('a bool value does not decode to a boolean');
    }
    case 'bytes':
      return new Uint8Array(plain);
    case 'comment':
      return text;
    default:
      throw new ValueError(`unknown value type '${ev.type.slice(0, 20)}'`);
  }
}
