// A FileSystem layer that hands the kustomize engine the plain form of SOPS-encrypted files, in
// memory: resources (YAML, JSON), the files and env files generators read, and patches. The
// format of a generator source is known from the kustomization that names it (read through this
// layer before the source, as the engine always loads a kustomization first), as in Flux's
// decryptor: `files` by the key's extension, `envs` by the file's (dotenv by default), patches by
// theirs; anything else is a YAML or JSON resource.
import * as path from 'node:path';
import { parse } from 'yaml';
import { type FileSystem, KustomizeFsError } from '../kustomize/fs.js';
import { kustomizationFileNames } from '../kustomize/kustomization.js';
import {
  formatForPath,
  hasMarker,
  readSops,
  type SopsDecryptor,
  SopsError,
  type SopsFormat,
} from '../sops/index.js';

export const decryptAnnotation = 'kustomize.toolkit.fluxcd.io/decrypt';

/** A SOPS-encrypted file or object met while no decryption is configured. */
export class DecryptionNotConfigured extends Error {}

export class DecryptingFileSystem implements FileSystem {
  private readonly formats = new Map<string, SopsFormat>();
  private readonly plain = new Map<string, Uint8Array>();
  /** The first decryption failure: the build error that follows is about it. */
  failure: Error | undefined;

  constructor(
    private readonly inner: FileSystem,
    /** undefined: no decryption configured, an encrypted file fails the build. */
    private readonly decryptor: SopsDecryptor | undefined,
    /** How errors name a file (relative to the artifact). */
    private readonly name: (file: string) => string,
  ) {}

  readFile(file: string): string {
    return Buffer.from(this.readFileBytes(file)).toString('utf8');
  }

  readFileBytes(file: string): Uint8Array {
    const cached = this.plain.get(file);
    if (cached) return cached;
    const bytes = this.inner.readFileBytes(file);
    if (kustomizationFileNames.includes(path.posix.basename(file))) this.register(file, bytes);
    try {
      return this.decrypt(file, bytes);
    } catch (err) {
      if (err instanceof SopsError || err instanceof DecryptionNotConfigured) {
        this.failure ??= err;
        throw new KustomizeFsError(err.message);
      }
      throw err;
    }
  }

  readDir(dir: string): string[] {
    return this.inner.readDir(dir);
  }

  stat(p: string): 'file' | 'dir' | undefined {
    return this.inner.stat(p);
  }

  private decrypt(file: string, bytes: Uint8Array): Uint8Array {
    const format =
      this.formats.get(file) ?? (path.posix.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
    if (!hasMarker(bytes, format)) return bytes;
    const name = this.name(file);
    const doc = readSops(bytes, format, name);
    if (!doc) return bytes;
    if (format === 'yaml' || format === 'json') {
      if (doc.branches.some(decryptionDisabled)) return bytes;
    }
    if (!this.decryptor) {
      throw new DecryptionNotConfigured(
        `${name} is SOPS encrypted, configuring decryption (spec.decryption) is required to build it`,
      );
    }
    const out = this.decryptor.decryptSync(doc, format);
    if (!out) return bytes; // its data key is being unwrapped asynchronously: the build is re-run
    this.plain.set(file, out);
    return out;
  }

  /** Notes the formats of the generator sources and patches a kustomization file names. */
  private register(file: string, bytes: Uint8Array): void {
    let k: unknown;
    try {
      k = parse(Buffer.from(bytes).toString('utf8'), { maxAliasCount: 100 });
    } catch {
      return; // the engine reports it
    }
    if (typeof k !== 'object' || k === null) return;
    const dir = path.posix.dirname(file);
    const at = (p: string) => path.posix.resolve(dir, p);
    const kus = k as Record<string, unknown>;
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    for (const gen of [...list(kus.secretGenerator), ...list(kus.configMapGenerator)]) {
      if (typeof gen !== 'object' || gen === null) continue;
      const g = gen as Record<string, unknown>;
      for (const src of list(g.files)) {
        if (typeof src !== 'string') continue;
        const eq = src.indexOf('=');
        const key = eq >= 0 ? src.slice(0, eq) : src;
        const p = eq >= 0 ? src.slice(eq + 1) : src;
        this.formats.set(at(p), formatForPath(key));
      }
      for (const env of [...list(g.envs), ...(typeof g.env === 'string' ? [g.env] : [])]) {
        if (typeof env !== 'string') continue;
        const f = formatForPath(env);
        this.formats.set(at(env), f === 'binary' ? 'dotenv' : f);
      }
    }
    for (const p of list(kus.patches)) {
      const pathOf = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).path : undefined;
      if (typeof pathOf === 'string' && !/^[a-z]+:\/\//i.test(pathOf))
        this.formats.set(at(pathOf), formatForPath(pathOf));
    }
  }
}

function decryptionDisabled(b: { get(key: string): unknown }): boolean {
  const meta = b.get('metadata') as { get?(key: string): unknown } | undefined;
  const ann = meta?.get?.('annotations') as { get?(key: string): unknown } | undefined;
  const v = ann?.get?.(decryptAnnotation);
  return typeof v === 'string' && v.toLowerCase() === 'disabled';
}
