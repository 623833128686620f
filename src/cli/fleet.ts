// The offline diff of a fleet repository between two Git revisions, without a cluster: each
// revision is exported with `git archive`, the Flux Kustomization objects kept in its YAML files
// are found (fleet repos keep them under clusters/…), each one's spec.path is built with the
// controller's own build (spec overrides, components, commonMetadata, postBuild), and the
// rendered objects of the two revisions are compared per Kustomization.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { Kustomization } from '../api/kustomization.js';
import { inventoryId } from '../apply/inventory.js';
import { formatRef, type Manifest, refOf } from '../kube/dynamic.js';
import { BuildError, buildManifests } from '../kustomization/build.js';
import { substitute } from '../kustomization/substitute.js';
import { parseYamlStream } from '../kustomize/yaml-read.js';
import type { JsonObject } from '../kustomize/yaml-types.js';
import { CliError } from './command.js';
import { renderForDiff } from './diffrender.js';
import {
  type DiffReport,
  type KustomizationDiff,
  type ObjectAction,
  type ObjectChange,
  objectChange,
} from './diffreport.js';

const KS_GROUP = 'kustomize.toolkit.fluxcd.io/';
const SOURCE_GROUP = 'source.toolkit.fluxcd.io/';
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const SKIP_DIRS = new Set(['.git', 'node_modules']);

// ---- Git ----------------------------------------------------------------------------------------

function run(cmd: string, args: string[]) {
  return spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Output of a git command in `repo` (a work tree or a bare repository). */
export async function gitOutput(repo: string, args: string[]): Promise<string> {
  const child = run('git', ['-C', repo, ...args]);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const code = await new Promise<number>((r) => child.on('close', (c) => r(c ?? 1)));
  if (code !== 0) throw new CliError(`git ${args[0]}: ${err.trim().split('\n')[0] || `exit ${code}`}`, 2);
  return out;
}

/** The commit `ref` names (refuses anything that is not a commit). */
export async function resolveCommit(repo: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new CliError(`invalid revision "${ref}"`, 2);
  return (
    await gitOutput(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => {
      throw new CliError(`unknown revision "${ref}" in ${repo}`, 2);
    })
  ).trim();
}

/** The tree of `commit` written to `dest` (git archive | tar -x). */
export async function exportCommit(repo: string, commit: string, dest: string): Promise<void> {
  const archive = run('git', ['-C', repo, 'archive', '--format=tar', commit]);
  const tar = spawn('tar', ['-x', '-C', dest], { stdio: ['pipe', 'ignore', 'pipe'] });
  archive.stdout.pipe(tar.stdin);
  let err = '';
  archive.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  tar.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const [a, t] = await Promise.all([
    new Promise<number>((r) => archive.on('close', (c) => r(c ?? 1))),
    new Promise<number>((r) => tar.on('close', (c) => r(c ?? 1))),
  ]);
  if (a !== 0 || t !== 0) throw new CliError(`cannot export ${commit}: ${err.trim().split('\n')[0]}`, 2);
}

/** The URLs of the checkout's remotes (empty for a repository without remotes). */
export async function remoteUrls(repo: string): Promise<string[]> {
  const out = await gitOutput(repo, ['config', '--get-regexp', '^remote\\..*\\.url$']).catch(() => '');
  return out
    .split('\n')
    .map((l) => l.slice(l.indexOf(' ') + 1).trim())
    .filter(Boolean);
}

/**
 * A repository URL reduced to host/path, so the forms of one repository compare equal:
 * `https://github.com/org/fleet.git`, `ssh://git@github.com/org/fleet`, `git@github.com:org/fleet`.
 */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim();
  const scheme = u.indexOf('://');
  if (scheme >= 0) u = u.slice(scheme + 3);
  else {
    // scp-like `user@host:path`
    const colon = u.indexOf(':');
    if (colon > 0 && !u.slice(0, colon).includes('/')) u = `${u.slice(0, colon)}/${u.slice(colon + 1)}`;
  }
  const slash = u.indexOf('/');
  let host = slash < 0 ? u : u.slice(0, slash);
  let path = slash < 0 ? '' : u.slice(slash);
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  host = host.toLowerCase().replace(/:(22|80|443)$/, '');
  while (path.endsWith('/')) path = path.slice(0, -1);
  if (path.endsWith('.git')) path = path.slice(0, -4);
  return `${host}${path}`;
}

// ---- Discovery ----------------------------------------------------------------------------------

export interface FoundKustomization {
  /** `file#namespace/name`: unique even when clusters/staging and clusters/production share names. */
  key: string;
  file: string;
  ks: Kustomization;
}

export interface FoundSources {
  /** `namespace/name` → spec.url of GitRepositories defined in the tree. */
  gitRepositories: Map<string, string>;
}

function* yamlFiles(root: string, dir = root): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* yamlFiles(root, full);
    else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) yield full;
  }
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every Flux Kustomization (and GitRepository) document in the tree's YAML files. */
export function discover(root: string): { kustomizations: FoundKustomization[]; sources: FoundSources } {
  const kustomizations: FoundKustomization[] = [];
  const gitRepositories = new Map<string, string>();
  for (const full of yamlFiles(root)) {
    if (statSync(full).size > MAX_FILE_BYTES) continue;
    const text = readFileSync(full, 'utf8');
    if (!text.includes('toolkit.fluxcd.io')) continue;
    let docs: unknown[];
    try {
      docs = parseYamlStream(text, full, false);
    } catch {
      continue; // not ours to judge: a template or a broken file the builds will name if used
    }
    const file = relative(root, full);
    for (const d of docs) {
      if (!isObject(d) || typeof d.apiVersion !== 'string' || !isObject(d.metadata)) continue;
      const name = d.metadata.name;
      if (typeof name !== 'string') continue;
      const namespace = typeof d.metadata.namespace === 'string' ? d.metadata.namespace : 'default';
      if (d.kind === 'Kustomization' && d.apiVersion.startsWith(KS_GROUP) && isObject(d.spec)) {
        const ks = structuredClone(d) as unknown as Kustomization;
        ks.metadata.namespace = namespace;
        kustomizations.push({ key: `${file}#${namespace}/${name}`, file, ks });
      } else if (d.kind === 'GitRepository' && d.apiVersion.startsWith(SOURCE_GROUP) && isObject(d.spec)) {
        if (typeof d.spec.url === 'string') gitRepositories.set(`${namespace}/${name}`, d.spec.url);
      }
    }
  }
  return { kustomizations, sources: { gitRepositories } };
}

/** Why a Kustomization cannot be built from this repository, or undefined when it can. */
export function foreignSource(
  ks: Kustomization,
  sources: FoundSources,
  remotes: string[],
): string | undefined {
  const ref = ks.spec.sourceRef;
  const ns = ref?.namespace ?? ks.metadata.namespace ?? 'default';
  if (ref?.kind !== 'GitRepository')
    return `source is ${ref?.kind ?? 'missing'}/${ns}/${ref?.name ?? ''}, not a Git repository`;
  const url = sources.gitRepositories.get(`${ns}/${ref.name}`);
  if (url === undefined || remotes.length === 0) return undefined;
  const mine = new Set(remotes.map(normalizeRepoUrl));
  return mine.has(normalizeRepoUrl(url))
    ? undefined
    : `source GitRepository ${ns}/${ref.name} is another repository (${url})`;
}

// ---- Building -----------------------------------------------------------------------------------

const VAR_NAME = /\$\{([A-Za-z_][A-Za-z0-9_]*)/g;

export interface Rendered {
  objects: Map<string, Manifest>;
  unresolved: string[];
}

/**
 * The objects a Kustomization renders from `root`. postBuild.substitute values apply; variables
 * only substituteFrom could supply (a ConfigMap or Secret in the cluster) stay as `${VAR}`.
 */
export function render(root: string, ks: Kustomization): Rendered {
  const pb = ks.spec.postBuild;
  const bare: Kustomization = { ...ks, spec: { ...ks.spec, postBuild: undefined } };
  let objects = buildManifests({ root, ks: bare });
  const unresolved = new Set<string>();
  if (pb) {
    const vars: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(pb.substitute ?? {})) vars[k] = v;
    if (pb.substituteFrom?.length) {
      for (const o of objects)
        for (const m of JSON.stringify(o).matchAll(VAR_NAME)) {
          const name = m[1]!;
          if (!Object.hasOwn(vars, name)) {
            vars[name] = `\${${name}}`;
            unresolved.add(name);
          }
        }
    }
    try {
      objects = substitute(objects as unknown as Record<string, unknown>[], vars, {
        strict: false,
        always: pb.substituteStrategy === 'Always',
      }) as unknown as Manifest[];
    } catch (err) {
      throw new BuildError('BuildFailed', `post-build substitutions failed: ${(err as Error).message}`);
    }
  }
  const byId = new Map<string, Manifest>();
  for (const o of objects) byId.set(inventoryId(refOf(o)), o);
  return { objects: byId, unresolved: [...unresolved].sort() };
}

// ---- Comparing ----------------------------------------------------------------------------------

type Side = { rendered?: Rendered; error?: string; ks: Kustomization } | undefined;

function buildSide(root: string, found: FoundKustomization | undefined): Side {
  if (!found) return undefined;
  try {
    return { ks: found.ks, rendered: render(root, found.ks) };
  } catch (err) {
    const message = err instanceof BuildError ? err.message : (err as Error).message;
    return { ks: found.ks, error: message.replace(/\s*\n\s*/g, ' ') };
  }
}

function compare(key: string, from: Side, to: Side, labels: { from: string; to: string }): KustomizationDiff {
  const ks = (to ?? from)!.ks;
  const base = {
    namespace: ks.metadata.namespace ?? 'default',
    name: ks.metadata.name,
    file: key.slice(0, key.lastIndexOf('#')),
    path: ks.spec.path ?? './',
  };
  if (to?.error) return { ...base, status: 'error', reason: to.error, objectCount: 0, objects: [] };
  const before = from?.rendered?.objects ?? new Map<string, Manifest>();
  const after = to?.rendered?.objects ?? new Map<string, Manifest>();
  const objects: ObjectChange[] = [];
  const subject = (o: Manifest) => formatRef(refOf(o));
  const lab = (o: Manifest) => ({ from: `${labels.from}/${subject(o)}`, to: `${labels.to}/${subject(o)}` });
  for (const [id, a] of after) {
    const b = before.get(id);
    if (!b) objects.push(objectChange(subject(a), 'created', undefined, a, lab(a)));
    else if (renderForDiff(b) !== renderForDiff(a))
      objects.push(objectChange(subject(a), 'changed', b, a, lab(a)));
  }
  // Flux prunes what left the build, and everything when the Kustomization itself goes, if prune is on.
  const prune = (to ?? from)!.ks.spec.prune === true;
  const gone: ObjectAction = prune ? 'deleted' : 'orphaned';
  for (const [id, b] of before)
    if (!after.has(id)) objects.push(objectChange(subject(b), gone, b, undefined, lab(b)));
  const notes = from?.error
    ? { reason: `the base revision did not build (${from.error}): every object shows as created` }
    : {};
  return {
    ...base,
    status: objects.length ? 'changed' : 'unchanged',
    ...notes,
    objectCount: after.size,
    ...(to?.rendered?.unresolved.length ? { unresolvedVariables: to.rendered.unresolved } : {}),
    objects,
  };
}

/** Kustomizations in dependsOn order (dependencies first), then by file and name. */
function dependencyOrder(keys: string[], specOf: (key: string) => Kustomization): string[] {
  const byName = new Map<string, string[]>();
  for (const k of keys) {
    const ks = specOf(k);
    const id = `${ks.metadata.namespace}/${ks.metadata.name}`;
    byName.set(id, [...(byName.get(id) ?? []), k]);
  }
  const sorted = [...keys].sort();
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (k: string) => {
    if (state.has(k)) return;
    state.set(k, 'visiting');
    const ks = specOf(k);
    const file = k.slice(0, k.lastIndexOf('#'));
    for (const dep of ks.spec.dependsOn ?? []) {
      const candidates = byName.get(`${dep.namespace ?? ks.metadata.namespace}/${dep.name}`) ?? [];
      // Prefer the dependency defined next to the dependent (same cluster directory).
      const dir = file.slice(0, file.lastIndexOf('/') + 1);
      const pick = candidates.find((c) => c.startsWith(dir)) ?? candidates[0];
      if (pick) visit(pick);
    }
    state.set(k, 'done');
    out.push(k);
  };
  for (const k of sorted) visit(k);
  return out;
}

export interface OfflineOptions {
  repo: string;
  from: string;
  to: string;
}

/** The offline diff of `repo` between two revisions. */
export async function offlineDiff(opts: OfflineOptions): Promise<DiffReport> {
  const [fromCommit, toCommit] = await Promise.all([
    resolveCommit(opts.repo, opts.from),
    resolveCommit(opts.repo, opts.to),
  ]);
  const remotes = await remoteUrls(opts.repo);
  const scratch = mkdtempSync(join(tmpdir(), 'mooring-offline-'));
  try {
    const roots = { from: join(scratch, 'from'), to: join(scratch, 'to') };
    mkdirSync(roots.from);
    mkdirSync(roots.to);
    await Promise.all([
      exportCommit(opts.repo, fromCommit, roots.from),
      exportCommit(opts.repo, toCommit, roots.to),
    ]);
    const found = { from: discover(roots.from), to: discover(roots.to) };
    const index = (list: FoundKustomization[]) => new Map(list.map((f) => [f.key, f]));
    const fromKs = index(found.from.kustomizations);
    const toKs = index(found.to.kustomizations);
    const keys = [...new Set([...fromKs.keys(), ...toKs.keys()])];
    const ordered = dependencyOrder(keys, (k) => (toKs.get(k) ?? fromKs.get(k))!.ks);
    const kustomizations: KustomizationDiff[] = [];
    const labels = { from: opts.from, to: opts.to };
    for (const key of ordered) {
      const f = fromKs.get(key);
      const t = toKs.get(key);
      const ks = (t ?? f)!.ks;
      const foreign = foreignSource(ks, t ? found.to.sources : found.from.sources, remotes);
      if (foreign) {
        kustomizations.push({
          namespace: ks.metadata.namespace ?? 'default',
          name: ks.metadata.name,
          file: key.slice(0, key.lastIndexOf('#')),
          path: ks.spec.path ?? './',
          status: 'skipped',
          reason: foreign,
          objectCount: 0,
          objects: [],
        });
        continue;
      }
      kustomizations.push(compare(key, buildSide(roots.from, f), buildSide(roots.to, t), labels));
    }
    return { mode: 'offline', from: opts.from, to: opts.to, kustomizations };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
