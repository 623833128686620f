// The sops CLI's fixtures (test/sops/fixtures) in a temporary copy, and their keys.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addKeyFile, emptyKeyring, type Keyring } from '../../src/sops/index.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/sops/fixtures');

/** The fixtures with the remote resource replaced by a local file. */
export function fixtureTree(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sops-fixtures-'));
  cpSync(fixtures, dir, { recursive: true });
  const k = path.join(dir, 'remote/kustomization.yaml');
  writeFileSync(k, readFileSync(k, 'utf8').replace(/- https:\/\/\S+/, '- namespace.yaml'));
  writeFileSync(
    path.join(dir, 'remote/namespace.yaml'),
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: sops-remote\n',
  );
  return dir;
}

export async function fixtureKeys(...names: string[]): Promise<Keyring> {
  const r = emptyKeyring();
  for (const n of names) await addKeyFile(r, n, readFileSync(path.join(fixtures, 'keys', n)));
  return r;
}
