// `mooring diff`: what merging a branch would do. Three forms:
//   mooring diff kustomization NAME --path DIR   one Kustomization, DIR built in place of spec.path
//   mooring diff --all --path CHECKOUT           every Kustomization whose GitRepository is this repo
//   mooring diff --offline --from REF --to REF   no cluster: the repository's own Kustomizations
// The cluster forms build exactly as the controller would (spec overrides, commonMetadata,
// postBuild variables read from the cluster, owner labels) and ask the apiserver for a server-side
// dry-run of every object; objects a prune would delete are listed. Secret values are masked.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { GitRepository } from '../api/gitrepository.js';
import type { Kustomization } from '../api/kustomization.js';
import { IgnoreRules, InvalidIgnoreRule } from '../apply/ignore.js';
import { entryRef, inventoryOf, staleEntries } from '../apply/inventory.js';
import { ownerLabelsFor, ResourceManager } from '../apply/manager.js';
import { isPruneDisabled, ownedBy } from '../apply/metadata.js';
import type { KubeClient } from '../kube/client.js';
import { formatRef, type Manifest, refOf } from '../kube/dynamic.js';
import { collectionPath, type ObjectList } from '../kube/resource.js';
import { BuildError } from '../kustomization/build.js';
import { buildManifestsDecrypting, DecryptionError } from '../kustomization/decrypt.js';
import { readConfigData } from '../kustomization/references.js';
import { collectVars } from '../kustomization/substitute-from.js';
import { addKeyFiles, emptyKeyring, type Keyring, KeyringError } from '../sops/index.js';
import { CliError, type Command } from './command.js';
import {
  connectionFlags,
  GitRepositoryKind,
  KustomizationKind,
  parseKind,
  type Session,
  withSession,
} from './common.js';
import { maskSecrets, renderForDiff } from './diffrender.js';
import {
  type DiffReport,
  exitCode,
  type KustomizationDiff,
  type ObjectChange,
  objectChange,
  toJson,
  toMarkdown,
  toText,
  verdict,
} from './diffreport.js';
import { describeError } from './errors.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';
import { normalizeRepoUrl, offlineDiff, remoteUrls } from './fleet.js';
import { getObject } from './reconcile.js';
import { unifiedDiff } from './unidiff.js';

export { maskSecrets, renderForDiff };

const flags = {
  ...connectionFlags,
  path: {
    type: 'string',
    help: 'A kustomization: the local directory built in place of spec.path (required). --all, --offline: the checkout (default .)',
    value: 'DIR',
  },
  all: {
    type: 'boolean',
    default: false,
    help: 'Diff every Kustomization whose GitRepository points at the checkout (matched on its git remotes)',
  },
  'all-namespaces': {
    type: 'boolean',
    short: 'A',
    default: false,
    help: 'With --all: Kustomizations of every namespace',
  },
  offline: {
    type: 'boolean',
    default: false,
    help: 'No cluster: diff the rendered Kustomizations found in the repository between --from and --to',
  },
  from: { type: 'string', help: 'With --offline: the base revision (e.g. origin/main)', value: 'REF' },
  to: { type: 'string', help: 'With --offline: the revision to compare (default HEAD)', value: 'REF' },
  output: {
    type: 'string',
    short: 'o',
    default: 'text',
    help: 'Output format: text (unified diff), markdown (for a pull-request comment) or json',
    value: 'FORMAT',
  },
  'no-color': {
    type: 'boolean',
    default: false,
    help: 'Never colour the text output (default: colour on a terminal)',
  },
} satisfies FlagSpecs;

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

// ---- Against the cluster -----------------------------------------------------------------------

/** The build the controller would make of `root`/`specPath` for `ks` (the tree is only read). */
async function buildLocally(
  s: Session,
  ks: Kustomization,
  root: string,
  specPath: string,
): Promise<Manifest[]> {
  const local: Kustomization = structuredClone(ks);
  local.spec.path = specPath;
  const pb = ks.spec.postBuild;
  let vars: Record<string, string> | undefined;
  if (pb && (pb.substitute || pb.substituteFrom?.length)) {
    const ns = ks.metadata.namespace ?? s.namespace;
    try {
      vars = await collectVars(pb.substitute, pb.substituteFrom ?? [], (kind, name) =>
        readConfigData(s.client, kind, ns, name),
      );
    } catch (err) {
      throw new BuildError('BuildFailed', `post-build substitutions failed: ${(err as Error).message}`);
    }
  }
  const keyring = await decryptionKeys(s, ks);
  return buildManifestsDecrypting({ root, ks: local, vars, strictSubstitution: true }, keyring);
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
    data = await readConfigData(s.client, 'Secret', ns, dec.secretRef.name);
  } catch (err) {
    throw new CliError(
      `cannot read the ${where} (diff needs the rights to read it): ${(err as Error).message}`,
      2,
    );
  }
  if (!data) throw new CliError(`${where} not found`, 2);
  try {
    return await addKeyFiles(
      ring,
      Object.keys(data)
        .sort()
        .map((name) => ({ name, data: Buffer.from(data[name] ?? '', 'base64') })),
      where,
    );
  } catch (err) {
    if (err instanceof KeyringError) throw new CliError(err.message, 2);
    throw err;
  }
}

/** What a prune would delete (spec.prune): stale inventory entries that exist, are ours and may be pruned. */
async function prunable(manager: ResourceManager, ks: Kustomization, objects: Manifest[]): Promise<string[]> {
  if (!ks.spec.prune) return [];
  const out: string[] = [];
  const current = inventoryOf(objects.map(refOf));
  for (const entry of staleEntries(ks.status?.inventory?.entries ?? [], current)) {
    const ref = entryRef(entry);
    if (!ref || !(await manager.mapper.find(ref).catch(() => undefined))) continue;
    const live = await manager.dynamic.get(ref);
    if (!live || !ownedBy(live.metadata, manager.ownerLabels) || isPruneDisabled(live.metadata)) continue;
    out.push(formatRef(ref));
  }
  return out;
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
 * What applying `objects` for `ks` would change right now (the UI's drift view): a server-side
 * dry-run of each object (in build order), then the inventory entries a prune would delete.
 */
export async function computeDrift(
  client: KubeClient,
  ks: Kustomization,
  objects: Manifest[],
  signal?: AbortSignal,
): Promise<DriftEntry[]> {
  const namespace = ks.metadata.namespace ?? '';
  const manager = new ResourceManager({ client, ownerLabels: ownerLabelsFor(ks.metadata.name, namespace) });
  const ignore = IgnoreRules.compile(ks.spec.ignore);
  const { entries } = await manager.diff(objects, {
    force: ks.spec.force === true,
    signal,
    ...(ignore ? { ignore } : {}),
  });
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
  for (const subject of await prunable(manager, ks, objects)) out.push({ subject, change: 'deleted' });
  return out;
}

/** Server-side dry-run of the local build against the live objects, plus what a prune would delete. */
async function clusterDiff(
  s: Session,
  ks: Kustomization,
  root: string,
  specPath: string,
): Promise<KustomizationDiff> {
  const namespace = ks.metadata.namespace ?? s.namespace;
  const base = { namespace, name: ks.metadata.name, path: specPath };
  let objects: Manifest[];
  let ignore: IgnoreRules | undefined;
  try {
    objects = await buildLocally(s, ks, root, specPath);
    ignore = IgnoreRules.compile(ks.spec.ignore);
  } catch (err) {
    if (!(err instanceof BuildError || err instanceof DecryptionError || err instanceof InvalidIgnoreRule))
      throw err;
    return {
      ...base,
      status: 'error',
      reason: (err as Error).message.replace(/\s*\n\s*/g, ' '),
      objectCount: 0,
      objects: [],
    };
  }
  const manager = new ResourceManager({
    client: s.client,
    ownerLabels: ownerLabelsFor(ks.metadata.name, namespace),
  });
  const { entries } = await manager.diff(objects, {
    force: ks.spec.force === true,
    ...(ignore ? { ignore } : {}),
  });
  const changes: ObjectChange[] = [];
  const failures: string[] = [];
  for (const e of entries) {
    if (e.error) {
      failures.push(`${e.subject}: ${e.error}`);
      continue;
    }
    if (e.action !== 'created' && e.action !== 'configured') continue;
    const labels = { from: `live/${e.subject}`, to: `merged/${e.subject}` };
    if (!e.merged) {
      changes.push({
        subject: e.subject,
        action: 'changed',
        fields: ['(an immutable field: the object would be deleted and created again)'],
        diff: '',
      });
      continue;
    }
    changes.push(
      objectChange(e.subject, e.action === 'created' ? 'created' : 'changed', e.live, e.merged, labels),
    );
  }
  for (const subject of await prunable(manager, ks, objects))
    changes.push({ subject, action: 'deleted', fields: [], diff: '' });
  if (failures.length)
    return {
      ...base,
      status: 'error',
      reason: `${failures.length} of ${objects.length} objects could not be dry-run: ${failures.join('; ')}`,
      objectCount: objects.length,
      objects: changes,
    };
  return {
    ...base,
    status: changes.length ? 'changed' : 'unchanged',
    objectCount: objects.length,
    objects: changes,
  };
}

/** Every Kustomization (of a namespace, or all) whose GitRepository is one of the checkout's remotes. */
async function allDiff(s: Session, checkout: string, allNamespaces: boolean): Promise<DiffReport> {
  const root = gitTop(checkout) ?? checkout;
  const remotes = (await remoteUrls(root)).map(normalizeRepoUrl);
  if (remotes.length === 0)
    throw new CliError(`${root} has no git remote to match GitRepositories against`, 2);
  const ns = allNamespaces ? undefined : s.namespace;
  const [kss, repos] = await Promise.all([
    s.client.get<ObjectList<Kustomization>>(collectionPath(KustomizationKind.type, ns)),
    s.client
      .get<ObjectList<GitRepository>>(collectionPath(GitRepositoryKind.type, undefined))
      .catch(() => s.client.get<ObjectList<GitRepository>>(collectionPath(GitRepositoryKind.type, ns))),
  ]);
  const urls = new Map(repos.items.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r.spec.url]));
  const mine = new Set(remotes);
  const out: KustomizationDiff[] = [];
  const items = kss.items.sort(
    (a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
  for (const ks of items) {
    const namespace = ks.metadata.namespace ?? s.namespace;
    const ref = ks.spec.sourceRef;
    const srcNs = ref.namespace ?? namespace;
    const skip = (reason: string) =>
      out.push({
        namespace,
        name: ks.metadata.name,
        path: ks.spec.path ?? './',
        status: 'skipped',
        reason,
        objectCount: 0,
        objects: [],
      });
    if (ref.kind !== 'GitRepository') {
      skip(`source is ${ref.kind}/${srcNs}/${ref.name}`);
      continue;
    }
    const url = urls.get(`${srcNs}/${ref.name}`);
    if (url === undefined) {
      skip(`GitRepository ${srcNs}/${ref.name} not found`);
      continue;
    }
    if (!mine.has(normalizeRepoUrl(url))) {
      skip(`source GitRepository ${srcNs}/${ref.name} is another repository (${url})`);
      continue;
    }
    out.push(
      await clusterDiff(s, { ...ks, metadata: { ...ks.metadata, namespace } }, root, ks.spec.path ?? './'),
    );
  }
  return { mode: 'cluster', kustomizations: out };
}

// ---- The command -----------------------------------------------------------------------------

function print(report: DiffReport, format: string, color: boolean): number {
  if (format === 'json') process.stdout.write(toJson(report));
  else if (format === 'markdown') process.stdout.write(toMarkdown(report));
  else {
    process.stdout.write(toText(report, { color }));
    process.stderr.write(`${verdict(report)}\n`);
  }
  return exitCode(report);
}

const asError = (err: unknown): CliError => {
  const e = describeError(err);
  return new CliError(e.message.split('\n')[0]!, 2);
};

export const diffCommand: Command = {
  name: 'diff',
  usage: `Show what merging a branch would do, before it lands.

Usage: mooring diff kustomization NAME --path DIR [flags]   one Kustomization, DIR as spec.path
       mooring diff --all [-n NS | -A] [--path CHECKOUT]     every Kustomization whose GitRepository
                                                             is this checkout (its git remotes)
       mooring diff --offline --from REF [--to REF] [--path CHECKOUT]   no cluster needed

Against the cluster, the local tree is built the way the controller builds each Kustomization
(spec overrides, components, commonMetadata, postBuild variables read from the cluster), every
object is dry-run server-side, and each object that would be created or changed is shown as a
unified diff; objects a prune would delete are listed. spec.ignore rules are honoured. With
--all, Kustomizations whose source is another repository (or not a GitRepository) are skipped
and listed. When DIR is inside a git checkout the checkout is the artifact root, so '../base'
references resolve as in the controller.

Offline, both revisions are exported from Git, the Flux Kustomizations in the repository's YAML
files are built (dependencies first) and their rendered objects compared. postBuild.substitute
values apply; variables only postBuild.substituteFrom could supply stay as \${VAR} and are
listed. Secret values are always masked.

Examples:
  mooring diff kustomization apps --path ./clusters/production/apps -n flux-system
  mooring diff --all -A --path .
  mooring diff --offline --from origin/main --to HEAD -o markdown > preview.md

Output (-o): text (coloured on a terminal unless --no-color or NO_COLOR), markdown (a summary
table and one collapsible diff per object, cut with a note past 60,000 characters), json (see
docs/cli.md).

Exit status: 0 when nothing would change; 1 when something would change; 2 on any error (an
object that cannot be dry-run, a build that fails, a usage error, an unreachable cluster).

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    const format = f.output;
    if (!['text', 'markdown', 'json'].includes(format))
      throw new CliError(`invalid output format "${format}": expected text, markdown or json`, 2);
    const color =
      format === 'text' && !f['no-color'] && !process.env.NO_COLOR && process.stdout.isTTY === true;
    const dirOf = (p: string) => {
      if (!existsSync(p) || !statSync(p).isDirectory())
        throw new CliError(`--path ${p}: no such directory`, 2);
      return realpathSync(p);
    };

    if (f.offline) {
      if (positionals.length || f.all) throw new CliError('--offline takes no KIND NAME and no --all', 2);
      if (!f.from) throw new CliError('--offline needs --from REF', 2);
      const repo = dirOf(f.path ?? '.');
      try {
        const report = await offlineDiff({ repo, from: f.from, to: f.to ?? 'HEAD' });
        return print(report, format, color);
      } catch (err) {
        throw asError(err);
      }
    }
    if (f.from || f.to) throw new CliError('--from and --to need --offline', 2);

    if (f.all) {
      if (positionals.length) throw new CliError('--all takes no KIND NAME', 2);
      const checkout = dirOf(f.path ?? '.');
      try {
        return await withSession(f, async (s) =>
          print(await allDiff(s, checkout, f['all-namespaces']), format, color),
        );
      } catch (err) {
        throw asError(err);
      }
    }

    if (positionals.length !== 2)
      throw new CliError(
        positionals.length < 2
          ? `missing ${positionals.length === 0 ? 'KIND' : 'NAME'}: expected kustomization NAME, --all or --offline`
          : `unexpected argument "${positionals[2]}"`,
        2,
      );
    const [kindWord, name] = positionals as [string, string];
    const kind = parseKind(kindWord, 'kustomization');
    if (kind !== KustomizationKind) throw new CliError('diff supports kustomization only', 2);
    if (!f.path) throw new CliError('--path DIR is required', 2);
    const dir = dirOf(f.path);
    try {
      return await withSession(f, async (s) => {
        const ks = (await getObject(s, { kind, namespace: s.namespace, name })) as unknown as Kustomization;
        const root = gitTop(dir) ?? dir;
        const result = await clusterDiff(
          s,
          { ...ks, metadata: { ...ks.metadata, namespace: s.namespace } },
          root,
          relative(root, dir) || './',
        );
        return print({ mode: 'cluster', kustomizations: [result] }, format, color);
      });
    } catch (err) {
      throw asError(err);
    }
  },
};
