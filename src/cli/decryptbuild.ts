// `mooring build --decrypt-with`: the controller's build (decryption included) on a local
// directory, with keys from local files.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Kustomization } from '../api/kustomization.js';
import { BuildError } from '../kustomization/build.js';
import { buildManifestsDecrypting, DecryptionError } from '../kustomization/decrypt.js';
import type { Json, JsonObject } from '../kustomize/yaml-types.js';
import { stringifyStream } from '../kustomize/yaml-write.js';
import { addKeyFile, emptyKeyring, KeyringError } from '../sops/index.js';
import { substituteObjects } from './buildvars.js';
import { CliError } from './command.js';

export async function decryptedBuild(
  dir: string,
  root: string,
  keyFiles: string[],
  vars: Record<string, string> | undefined,
): Promise<string> {
  const ring = emptyKeyring();
  for (const f of keyFiles) {
    let data: Buffer;
    try {
      data = readFileSync(f);
    } catch {
      throw new CliError(`${f}: cannot read the key file`);
    }
    try {
      await addKeyFile(ring, f, data);
    } catch (err) {
      if (err instanceof KeyringError) throw new CliError(err.message);
      throw err;
    }
  }
  const ks = {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'local', namespace: 'default' },
    spec: { path: `./${path.relative(root, dir)}`, decryption: { provider: 'sops' } },
  } as unknown as Kustomization;
  try {
    const objects = await buildManifestsDecrypting({ root, ks }, ring);
    return stringifyStream(
      (vars ? substituteObjects(objects as unknown as JsonObject[], vars) : objects) as Json[],
    );
  } catch (err) {
    if (err instanceof DecryptionError || err instanceof BuildError)
      throw new CliError(err.message.replace(/\n/g, ' '));
    throw err;
  }
}
