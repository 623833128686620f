// A build with SOPS decryption (Flux's spec.decryption): the decrypting file-system layer under
// the engine, a second pass when some data keys needed the asynchronous path (PGP, post-quantum
// age), then Secret data values that are whole SOPS files (Flux's DecryptResource). Pure over the
// build's inputs and a keyring: it can run wherever the build runs. Plain values live in memory only.
import * as path from 'node:path';
import type { Manifest } from '../kube/dynamic.js';
import {
  addKeyFiles,
  detectFormat,
  emptyKeyring,
  formatForPath,
  type Keyring,
  KeyringError,
  readSops,
  SopsDecryptor,
  SopsError,
} from '../sops/index.js';
import {
  type BuildInput,
  type BuildJob,
  type BuiltManifests,
  buildManifests,
  manifestsDigest,
} from './build.js';
import { RecordingFileSystem } from './buildinputs.js';
import { DecryptingFileSystem, DecryptionNotConfigured, decryptAnnotation } from './sopsfs.js';

export class DecryptionError extends Error {
  constructor(
    message: string,
    /** Only a provider Mooring does not support can open the file: retrying will not help. */
    readonly stalled: boolean,
  ) {
    super(message);
  }
}

function asDecryptionError(err: unknown): DecryptionError | undefined {
  if (err instanceof SopsError)
    return new DecryptionError(`decryption failed for ${err.message}`, err.kind === 'unsupported');
  if (err instanceof DecryptionNotConfigured) return new DecryptionError(err.message, false);
  return undefined;
}

/** Key files as the controller read them, with where they came from (for error messages). */
export interface KeyFiles {
  from: string;
  files: { name: string; data: Uint8Array }[];
}

/** A build job that may decrypt: `decryption` undefined means no decryption is configured. */
export interface DecryptingBuildJob extends BuildJob {
  decryption?: KeyFiles[];
}

/** The keyring of the key files; a key that cannot be read is a DecryptionError naming its file. */
export async function keyringOf(keys: KeyFiles[]): Promise<Keyring> {
  const ring = emptyKeyring();
  try {
    for (const k of keys) await addKeyFiles(ring, k.files, k.from);
  } catch (err) {
    if (err instanceof KeyringError) throw new DecryptionError(err.message, false);
    throw err;
  }
  return ring;
}

/** A build with decryption that records every read of the artifact (what a build process runs). */
export async function buildDecryptingRecorded(job: DecryptingBuildJob): Promise<BuiltManifests> {
  const { decryption, ...input } = job;
  const keyring = decryption ? await keyringOf(decryption) : undefined;
  let recorder: RecordingFileSystem | undefined;
  const manifests = await buildManifestsDecrypting(
    {
      ...input,
      wrapFs: (fs) => {
        recorder = new RecordingFileSystem(fs, fs.root);
        return recorder;
      },
    },
    keyring,
  );
  return { manifests, reads: recorder?.reads ?? new Map(), digest: manifestsDigest(manifests) };
}

/**
 * Builds with decryption. `keyring` undefined means no decryption is configured: any
 * SOPS-encrypted input fails the build with a DecryptionError naming it.
 */
export async function buildManifestsDecrypting(
  input: BuildInput,
  keyring: Keyring | undefined,
): Promise<Manifest[]> {
  const decryptor = keyring ? new SopsDecryptor(keyring) : undefined;
  let layer: DecryptingFileSystem | undefined;
  const attempt = (): Manifest[] | undefined => {
    try {
      return buildManifests({
        ...input,
        wrapFs: (fs) => {
          const inner = input.wrapFs ? input.wrapFs(fs) : fs;
          layer = new DecryptingFileSystem(inner, decryptor, (p) => path.relative(fs.root, p) || '.');
          return layer;
        },
      });
    } catch (err) {
      const d = asDecryptionError(layer?.failure);
      if (d) throw d;
      if (decryptor && decryptor.pending > 0) return undefined;
      throw err;
    }
  };
  try {
    let manifests = attempt();
    if (decryptor && decryptor.pending > 0) {
      try {
        await decryptor.unlockPending();
      } catch (err) {
        throw asDecryptionError(err) ?? err;
      }
      manifests = attempt();
    }
    if (!manifests)
      throw new DecryptionError('decryption failed: data keys still missing after unwrapping', false);
    await decryptObjects(manifests, decryptor);
    return manifests;
  } finally {
    decryptor?.dispose();
  }
}

const idOf = (o: Manifest) =>
  `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/**
 * What the file layer cannot see: objects still carrying SOPS metadata (refused, as Flux refuses
 * them without decryption) and Secret data values that are whole SOPS documents (decrypted,
 * written in the format the data key's extension names, as Flux does).
 */
async function decryptObjects(objects: Manifest[], decryptor: SopsDecryptor | undefined): Promise<void> {
  for (const o of objects) {
    const ann = o.metadata.annotations?.[decryptAnnotation];
    if (typeof ann === 'string' && ann.toLowerCase() === 'disabled') continue;
    const sops = (o as Record<string, unknown>).sops;
    if (typeof sops === 'object' && sops !== null && 'mac' in sops) {
      throw new DecryptionError(
        decryptor
          ? `${idOf(o)} is still SOPS encrypted after the build (its file was not recognised as SOPS)`
          : `${idOf(o)} is SOPS encrypted, configuring decryption is required for this secret to be reconciled`,
        false,
      );
    }
    if (o.kind !== 'Secret' || o.apiVersion !== 'v1') continue;
    const data = (o as { data?: Record<string, unknown> }).data;
    if (!data || typeof data !== 'object') continue;
    for (const key of Object.keys(data)) {
      const value = data[key];
      if (typeof value !== 'string') continue;
      const bytes = Buffer.from(value, 'base64');
      const format = detectFormat(bytes);
      if (!format) continue;
      const where = `${idOf(o)} data '${key}'`;
      let doc: ReturnType<typeof readSops>;
      try {
        doc = readSops(bytes, format, where);
      } catch {
        continue; // not a SOPS document after all: left for the apply to validate
      }
      if (!doc) continue;
      if (!decryptor) {
        throw new DecryptionError(`${where} is SOPS encrypted, configuring decryption is required`, false);
      }
      try {
        data[key] = Buffer.from(await decryptor.decrypt(doc, formatForPath(key))).toString('base64');
      } catch (err) {
        throw asDecryptionError(err) ?? err;
      }
    }
  }
}
