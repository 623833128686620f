// `mooring install [--export]`: the CRDs (crds/) and the controller manifests (config/default),
// built with our kustomize engine, then printed or applied server-side (field manager `mooring`),
// waiting until the CRDs are Established.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResourceManager } from '../apply/manager.js';
import { type Manifest, refOf } from '../kube/dynamic.js';
import { CoreTypes, objectPath } from '../kube/resource.js';
import { generatedKustomization } from '../kustomization/buildkustomization.js';
import { buildDirectory, KustomizeError, toObjects } from '../kustomize/build.js';
import { KustomizeFsError } from '../kustomize/fs.js';
import type { Json } from '../kustomize/yaml-types.js';
import { stringifyStream } from '../kustomize/yaml-write.js';
import { CliError, type Command } from './command.js';
import { connectionFlags, parseTimeout, type Session, withSession } from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';

export const INSTALL_FIELD_MANAGER = 'mooring';

const { namespace: _namespace, ...kubeFlags } = connectionFlags;

const flags = {
  ...kubeFlags,
  export: { type: 'boolean', default: false, help: 'Print the manifests as YAML instead of applying them' },
  'crds-only': {
    type: 'boolean',
    default: false,
    help: 'Only the CRDs (crds/), e.g. for a controller run outside the cluster',
  },
  timeout: {
    type: 'string',
    default: '2m',
    help: 'How long to wait for the CRDs to be Established',
    value: 'DURATION',
  },
} satisfies FlagSpecs;

/** The installed package's root: the directory holding package.json named "mooring" and crds/. */
export function packageRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'crds'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mooring') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new CliError('cannot find the mooring package (crds/ next to package.json)');
    dir = parent;
  }
}

export interface InstallManifests {
  objects: Manifest[];
  /** Directories built, relative to the package root. */
  sources: string[];
}

/** crds/ and, when present, config/default, built with the kustomize engine; duplicates dropped. */
export function installManifests(root = packageRoot(), crdsOnly = false): InstallManifests {
  const sources = (crdsOnly ? ['crds'] : ['crds', join('config', 'default')]).filter((d) =>
    existsSync(join(root, d)),
  );
  const byId = new Map<string, Manifest>();
  for (const dir of sources) {
    let objects: Manifest[];
    try {
      objects = toObjects(
        buildDirectory(join(root, dir), root, { missingKustomization: generatedKustomization }),
      ) as unknown as Manifest[];
    } catch (err) {
      if (err instanceof KustomizeError || err instanceof KustomizeFsError)
        throw new CliError(`building ${dir}: ${err.message.replace(/\n/g, ' ')}`);
      throw err;
    }
    for (const o of objects) {
      const ref = refOf(o);
      byId.set(`${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`, o);
    }
  }
  return { objects: [...byId.values()], sources };
}

interface Crd {
  status?: { conditions?: Array<{ type: string; status: string; message?: string }> };
}

async function waitEstablished(s: Session, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(names);
  while (pending.size) {
    for (const name of [...pending]) {
      const crd = await s.client.getOptional<Crd>(objectPath(CoreTypes.crd, undefined, name));
      const established = crd?.status?.conditions?.some(
        (c) => c.type === 'Established' && c.status === 'True',
      );
      if (established) pending.delete(name);
    }
    if (!pending.size) return;
    if (Date.now() > deadline)
      throw new CliError(`timed out waiting for CRDs to be Established: ${[...pending].join(', ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const installCommand: Command = {
  name: 'install',
  usage: `Install Mooring: the GitRepository and Kustomization CRDs (crds/) and the controller
manifests (config/default), built with Mooring's kustomize engine and applied server-side with
field manager "mooring"; waits until the CRDs are Established. Running it again upgrades in place.

Usage: mooring install [--export] [flags]

Examples:
  mooring install
  mooring install --context staging
  # Review or commit the manifests instead
  mooring install --export > mooring.yaml
  # Only the CRDs, to run 'mooring controller' from a workstation against the cluster
  mooring install --crds-only

Exit status: 0 on success; 1 when an object is rejected, the CRDs do not become Established in
time, or the cluster cannot be reached; 2 on a usage error.

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    if (positionals.length) throw new CliError(`unexpected argument "${positionals[0]}"`, 2);
    const timeoutMs = parseTimeout(f.timeout);
    const { objects, sources } = installManifests(undefined, f['crds-only']);
    if (f.export) {
      process.stdout.write(stringifyStream(objects as unknown as Json[]));
      return 0;
    }
    return withSession(f, async (s) => {
      // The apply engine reports failures per object; a cluster that cannot be reached at all
      // deserves its own one-line error, so ask for the server's version first.
      await s.client.get('/version');
      process.stderr.write(`► applying ${objects.length} objects from ${sources.join(', ')}\n`);
      const manager = new ResourceManager({ client: s.client, fieldManager: INSTALL_FIELD_MANAGER });
      const result = await manager.applyAll(objects, { waitTimeoutMs: timeoutMs });
      for (const e of result.changeSet.entries) console.log(`${e.subject} ${e.action}`);
      if (result.error) throw new CliError(`install failed: ${result.error.message.split('\n')[0]}`);
      const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => o.metadata.name);
      process.stderr.write(`◎ waiting for ${crds.length} CRDs to be Established\n`);
      await waitEstablished(s, crds, timeoutMs);
      console.log(`✔ installed (${result.changeSet.summary()})`);
      if (!f['crds-only'] && !sources.includes(join('config', 'default')))
        process.stderr.write('! config/default not found in the package: only the CRDs were installed\n');
      return 0;
    });
  },
};
