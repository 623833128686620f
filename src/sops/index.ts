// SOPS decryption, knowing nothing of controllers: documents in, plain bytes out. Data keys are
// unwrapped once per SopsDecryptor (one build) and never leave it.
import { dataKey, dataKeyId, dataKeySync } from './datakey.js';
import { decryptDocument, emitPlain, readSops, type SopsDocument } from './document.js';
import type { SopsFormat } from './format.js';
import type { Keyring } from './keyring.js';

export { readSops, type SopsDocument } from './document.js';
export { SopsError, type SopsErrorKind } from './errors.js';
export { detectFormat, formatForPath, hasMarker, type SopsFormat } from './format.js';
export { addKeyFile, addKeyFiles, emptyKeyring, type Keyring, KeyringError } from './keyring.js';

export class SopsDecryptor {
  private readonly keys = new Map<string, Uint8Array>();
  private readonly waiting = new Map<string, SopsDocument>();

  constructor(private readonly ring: Keyring) {}

  /** Documents whose data key needs the asynchronous path (PGP, post-quantum age). */
  get pending(): number {
    return this.waiting.size;
  }

  /**
   * Decrypts synchronously when the data key is at hand or opens with classic age identities;
   * otherwise records the document and returns undefined (call unlockPending, then retry).
   */
  decryptSync(doc: SopsDocument, out: SopsFormat): Uint8Array | undefined {
    const id = dataKeyId(doc.metadata);
    let key = this.keys.get(id);
    if (!key) {
      key = dataKeySync(doc.metadata, this.ring, doc.file);
      if (!key) {
        this.waiting.set(id, doc);
        return undefined;
      }
      this.keys.set(id, key);
    }
    return emitPlain(decryptDocument(doc, key), out, doc.file);
  }

  /** Unwraps the data keys of the documents decryptSync could not open synchronously. */
  async unlockPending(): Promise<void> {
    for (const [id, doc] of this.waiting) {
      this.keys.set(id, await dataKey(doc.metadata, this.ring, doc.file));
      this.waiting.delete(id);
    }
  }

  async decrypt(doc: SopsDocument, out: SopsFormat): Promise<Uint8Array> {
    const id = dataKeyId(doc.metadata);
    let key = this.keys.get(id);
    if (!key) {
      key = await dataKey(doc.metadata, this.ring, doc.file);
      this.keys.set(id, key);
    }
    return emitPlain(decryptDocument(doc, key), out, doc.file);
  }

  /** Forgets every data key (the end of a build). */
  dispose(): void {
    for (const k of this.keys.values()) k.fill(0);
    this.keys.clear();
    this.waiting.clear();
  }
}

/** One-shot: decrypts a document in `format`, written in `out` (default: the same format). */
export async function decryptSops(
  bytes: Uint8Array,
  format: SopsFormat,
  ring: Keyring,
  file: string,
  out: SopsFormat = format,
): Promise<Uint8Array | undefined> {
  const doc = readSops(bytes, format, file);
  if (!doc) return undefined;
  const d = new SopsDecryptor(ring);
  try {
    return await d.decrypt(doc, out);
  } finally {
    d.dispose();
  }
}
