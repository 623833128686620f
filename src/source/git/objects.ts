// Reading raw commit and tag objects: subject lines and signatures for spec.verify. The
// payload is exactly what the signer signed (the object without its signature).
import type { SignedPayload } from './types.js';

const SIGNATURE_HEADERS = ['gpgsig', 'gpgsig-sha256'];

/** Split a raw commit object into the signed payload and its `gpgsig` signature. */
export function commitSignature(raw: string): SignedPayload | undefined {
  const headerEnd = raw.indexOf('\n\n');
  const headers = headerEnd >= 0 ? raw.slice(0, headerEnd + 1) : raw;
  const body = headerEnd >= 0 ? raw.slice(headerEnd + 1) : '';
  const kept: string[] = [];
  const sig: string[] = [];
  let inSig = false;
  for (const line of headers.split('\n')) {
    if (inSig && line.startsWith(' ')) {
      sig.push(line.slice(1));
      continue;
    }
    inSig = false;
    const key = line.split(' ', 1)[0] ?? '';
    if (SIGNATURE_HEADERS.includes(key) && sig.length === 0) {
      inSig = true;
      sig.push(line.slice(key.length + 1));
      continue;
    }
    kept.push(line);
  }
  if (sig.length === 0) return undefined;
  // `kept` ends with the empty string after the final header newline.
  return { payload: kept.join('\n') + body, armored: `${sig.join('\n').trimEnd()}\n` };
}

const TAG_SIGNATURE_START = /^-----BEGIN (PGP|SSH) SIGNATURE-----$/m;

/** Split a raw tag object into payload and the signature appended to its message. */
export function tagSignature(raw: string): SignedPayload | undefined {
  const m = TAG_SIGNATURE_START.exec(raw);
  if (!m) return undefined;
  return { payload: raw.slice(0, m.index), armored: raw.slice(m.index) };
}

/** First line of an object's message (after the header block), without the signature. */
export function messageSubject(raw: string): string {
  const headerEnd = raw.indexOf('\n\n');
  if (headerEnd < 0) return '';
  const message = raw.slice(headerEnd + 2);
  const line = message.split('\n', 1)[0] ?? '';
  return line.trim();
}
