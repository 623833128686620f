// `mooring diff kustomization NAME --path DIR`: builds DIR locally exactly as the controller would
// build it for that Kustomization (spec overrides, commonMetadata, postBuild variables read from
// the cluster, owner labels), asks the apiserver for a server-side dry-run of every object, and
// prints a unified diff per object that would change, plus the objects a prune would delete.
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { Kustomization } from '../api/kustomization.js';
import { entryRef, inventoryOf, staleEntries } from '../apply/inventory.js';
import { ownerLabelsFor, ResourceManager } from '../apply/manager.js';
import { isPruneDisabled, ownedBy } from '../apply/metadata.js';
import type { KubeClient } from '../kube/client.js';
import { formatRef, type Manifest, refOf } from '../kube/dynamic.js';
import { isNotFound } from '../kube/errors.js';
import { CoreTypes, objectPath } from '../kube/resource.js';
import { BuildError } from '../kustomization/build.js';
import { buildManifestsDecrypting, DecryptionError } from '../kustomization/decrypt.js';
import { collectVars } from '../kustomization/substitute.js';
import type { Json } from '../kustomize/yaml.js';
import { stringifyDocument } from '../kustomize/yaml.js';
import { addKeyFiles, emptyKeyring, type Keyring, KeyringError } from '../sops/index.js';
import { CliError, type Command } from './command.js';
import {
  connectionFlags,
  expectArgs,
  KustomizationKind,
  parseKind,
  type Session,
  withSession,
} from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';
import { getObject } from './reconcile.js';
import { unifiedDiff } from './unidiff.js';

const flags = {
  ...connectionFlags,
  path: {
    type: 'string',
    help: "Local directory to build in place of the Kustomization's spec.path (required)",
    value: 'DIR',
  },
} satisfies FlagSpecs;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The enclosing git work tree: what the artifact root would be for files of this checkout. */
function gitTop(dir: string): string | undefined {
  let cur = dir;
  for (;;) {
    if (existsSync(join(cur, '.git'))) return cur;
    const parent = dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
  }
}

// ---- Rendering -------------------------------------------------------------------------------

const isSecret = (o: Manifest | undefined) => o?.kind === 'Secret' && o.apiVersion === 'v1';

/**
 * Secret values replaced by `***`, as fluxcd/pkg ssa does: a value that differs between the two
 * sides shows as `*** (before)` / `*** (after)`, so the diff tells *that* it changed, never *what*.
 */
export function maskSecrets(
  before: Manifest | undefined,
  after: Manifest | undefined,
): [Manifest | undefined, Manifest | undefined] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const b = before && structuredClone(before);
  const a = after && structuredClone(after);
  for (const field of ['data', 'stringData'] as const) {
    const bv = (b?.[field] ?? {}) as Record<string, unknown>;
    const av = (a?.[field] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(bv), ...Object.keys(av)])) {
      const differ = key in bv && key in av && bv[key] !== av[key];
      if (key in bv) bv[key] = differ ? '*** (before)' : '***';
      if (key in av) av[key] = differ ? '*** (after)' : '***';
    }
  }
  for (const o of [b, a]) {
    // The last-applied annotation of kubectl holds the whole Secret in clear.
    if (o?.metadata.annotations?.[LAST_APPLIED]) o.metadata.annotations[LAST_APPLIED] = '***';
  }
  return [b, a];
}

/** What drift detection compares: identity, labels, annotations and everything outside metadata and status. */
export function renderForDiff(obj: Manifest | undefined): string {
  if (!obj) return '';
  const { metadata, status: _status, ...rest } = obj;
  const meta: Record<string, unknown> = { name: metadata.name };
  if (metadata.namespace) meta.namespace = metadata.namespace;
  if (metadata.labels && Object.keys(metadata.labels).length) meta.labels = metadata.labels;
  if (metadata.annotations && Object.keys(metadata.annotations).length)
    meta.annotations = metadata.annotations;
  return stringifyDocument({ ...rest, metadata: meta } as unknown as Json);
}

// ---- The command -----------------------------------------------------------------------------

/** A ConfigMap's or Secret's data for postBuild.substituteFrom; undefined when it does not exist. */
export async function readData(
  client: KubeClient,
  kind: 'ConfigMap' | 'Secret',
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const rt = kind === 'Secret' ? CoreTypes.secret : CoreTypes.configMap;
  try {
    const o = await client.get<{ data?: Record<string, string> }>(objectPath(rt, namespace, name));
    return o.data ?? {};
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** One object a sync would change: its unified diff (Secrets masked), or why it cannot be dry-run. */
export interface DriftEntry {
  subject: string;
  change: 'created' | 'drifted' | 'deleted' | 'failed';
  /** Absent for a deleted or failed object, and when an immutable field forces a re-create. */
  diff?: string;
  error?: string;
}

/**
 * What applying `objects` for `ks` would change right now: a server-side dry-run of each object
 * (in build order), then the inventory entries a prune would delete (when spec.prune is set).
 */
export async function computeDrift(
  client: KubeClient,
  ks: Kustomization,
  objects: Manifest[],
  signal?: AbortSignal,
): Promise<DriftEntry[]> {
  const namespace = ks.metadata.namespace ?? '';
  const manager = new ResourceManager({ client, ownerLabels: ownerLabelsFor(ks.metadata.name, namespace) });
  const { entries } = await manager.diff(objects, { force: ks.spec.force === true, signal });
  const out: DriftEntry[] = [];
  for (const e of entries) {
    if (e.error) {
      out.push({ subject: e.subject, change: 'failed', error: e.error });
      continue;
    }
    if (e.action !== 'created' && e.action !== 'configured') continue;
    const change = e.action === 'created' ? 'created' : 'drifted';
    const [live, merged] = maskSecrets(e.live, e.merged);
    if (!merged) {
      out.push({ subject: e.subject, change });
      continue;
    }
    out.push({
      subject: e.subject,
      change,
      diff: unifiedDiff(renderForDiff(live), renderForDiff(merged), {
        from: live ? `live/${e.subject}` : '/dev/null',
        to: `merged/${e.subject}`,
      }),
    });
  }
  if (ks.spec.prune) {
    const current = inventoryOf(objects.map(refOf));
    for (const entry of staleEntries(ks.status?.inventory?.entries ?? [], current)) {
      const ref = entryRef(entry);
      if (!ref || !(await manager.mapper.find(ref))) continue;
      const live = await manager.dynamic.get(ref);
      if (!live || !ownedBy(live.metadata, manager.ownerLabels) || isPruneDisabled(live.metadata)) continue;
      out.push({ subject: formatRef(ref), change: 'deleted' });
    }
  }
  return out;
}

/**
 * The keys of the Kustomization's spec.decryption Secret, read with the user's credentials (the
 * controller's global key file is not available here).
 */
async function decryptionKeys(s: Session, ks: Kustomization): Promise<Keyring | undefined> {
  const dec = ks.spec.decryption;
  if (!dec) return undefined;
  const ring = emptyKeyring();
  if (!dec.secretRef) return ring;
  const ns = ks.metadata.namespace ?? s.namespace;
  const where = `decryption Secret '${ns}/${dec.secretRef.name}'`;
  let data: Record<string, string> | undefined;
  try {
    data = await readData(s.client, 'Secret', ns, dec.secretRef.name);
  } catch (err) {
    throw new CliError(
      `cannot read the ${where} (diff needs the rights to read it): ${(err as Error).message}`,
    );
  }
  if (!data) throw new CliError(`${where} not found`);
  try {
    return await addKeyFiles(
      ring,
      Object.keys(data)
        .sort()
        .map((name) => ({ name, data: Buffer.from(data[name] ?? '', 'base64') })),
      where,
    );
  } catch (err) {
    if (err instanceof KeyringError) throw new CliError(err.message);
    throw err;
  }
}

/** The build the controller would make of `dir` for `ks` (in a scratch copy: overrides write files). */
async function buildLocally(s: Session, ks: Kustomization, dir: string): Promise<Manifest[]> {
  const root = gitTop(dir) ?? dir;
  const scratch = mkdtempSync(join(tmpdir(), 'mooring-diff-'));
  try {
    cpSync(root, scratch, {
      recursive: true,
      filter: (src) => !['.git', 'node_modules'].includes(basename(src)) || src === root,
    });
    const local: Kustomization = structuredClone(ks);
    local.spec.path = relative(root, dir) || './';
    const pb = ks.spec.postBuild;
    let vars: Record<string, string> | undefined;
    if (pb && (pb.substitute || pb.substituteFrom?.length)) {
      const ns = ks.metadata.namespace ?? s.namespace;
      try {
        vars = await collectVars(pb.substitute, pb.substituteFrom ?? [], (kind, name) =>
          readData(s.client, kind, ns, name),
        );
      } catch (err) {
        throw new CliError(`post-build substitutions failed: ${(err as Error).message}`);
      }
    }
    const keyring = await decryptionKeys(s, ks);
    try {
      return await buildManifestsDecrypting(
        { root: scratch, ks: local, vars, strictSubstitution: true },
        keyring,
      );
    } catch (err) {
      if (err instanceof BuildError || err instanceof DecryptionError) {
        throw new CliError(err.message.replace(/\n/g, ' '));
      }
      throw err;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'Show what applying a local directory for a Kustomization would change',
  usage: `Build a local directory the way the controller builds a Kustomization (its spec overrides,
commonMetadata and postBuild variables, read from the cluster), dry-run every object server-side,
and print a unified diff for each object that would be created or changed. Objects the
Kustomization applied before that the build no longer has are listed as deleted when spec.prune
is true. Secret values are masked.

Usage: mooring diff kustomization NAME --path DIR [flags]

DIR replaces spec.path; when DIR is inside a git checkout, the checkout is the artifact root (so
'../base' references resolve as they would in the controller).

Examples:
  mooring diff kustomization apps --path ./clusters/production/apps -n flux-system
  mooring diff ks podinfo --path ./deploy && echo "in sync"

Exit status: 0 when nothing would change; 1 when something would change (drift), when an object
cannot be dry-run, or on any failure; 2 on a usage error.

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    const [kindWord, name] = expectArgs(positionals, ['KIND', 'NAME']);
    const kind = parseKind(kindWord, 'kustomization');
    if (kind !== KustomizationKind) throw new CliError('diff supports kustomization only', 2);
    if (!f.path) throw new CliError('--path DIR is required', 2);
    if (!existsSync(f.path) || !statSync(f.path).isDirectory())
      throw new CliError(`--path ${f.path}: no such directory`);
    const dir = realpathSync(f.path);

    return withSession(f, async (s) => {
      const ks = (await getObject(s, {
        kind,
        namespace: s.namespace,
        name: name!,
      })) as unknown as Kustomization;
      const objects = await buildLocally(s, ks, dir);
      let drifted = 0;
      let failed = 0;
      for (const item of await computeDrift(s.client, ks, objects)) {
        if (item.change === 'failed') {
          failed++;
          console.log(`✗ ${item.subject}: ${item.error}`);
          continue;
        }
        drifted++;
        if (item.change === 'deleted') {
          console.log(`► ${item.subject} deleted`);
          continue;
        }
        console.log(`► ${item.subject} ${item.change}`);
        if (item.diff === undefined)
          console.log('  (an immutable field changed: the object would be deleted and created again)');
        else process.stdout.write(item.diff);
      }

      const total = objects.length;
      if (failed) {
        process.stderr.write(`✗ ${failed} of ${total} objects could not be dry-run\n`);
        return 1;
      }
      if (drifted) {
        process.stderr.write(`✗ ${drifted} object${drifted === 1 ? '' : 's'} would change\n`);
        return 1;
      }
      process.stderr.write(`✔ no changes: the ${total} objects match the cluster\n`);
      return 0;
    });
  },
};
