// One kustomization: accumulate its resources, bases and components, run its generators and its
// transformers in kustomize's fixed order (kustomize's KustTarget).
import * as path from 'node:path';
import { crdConfig } from './crds.js';
import {
  defaultConfig,
  emptyConfig,
  type FieldSpec,
  mergeConfig,
  parseConfig,
  parseFieldSpecs,
  type TransformerConfig,
} from './fieldspec.js';
import {
  type GeneratorOptions,
  generate,
  parseGeneratorArgs,
  parseGeneratorOptions,
} from './generators/generate.js';
import { addHashSuffixes } from './generators/hash.js';
import {
  asStringList,
  asStringMap,
  canonicalKeys,
  checkKustomization,
  findKustomizationFile,
  type LoadedKustomization,
  loadKustomization,
} from './kustomization.js';
import type { Loader } from './loader.js';
import { parseJsonPatch } from './merge/jsonpatch.js';
import { loadOpenApi } from './openapi.js';
import {
  idDisplay,
  idKey,
  isClusterScoped,
  isObject,
  KustomizeError,
  lowerKeys,
  type Origin,
  parseApiVersion,
  type ResId,
  Resource,
  sameId,
} from './resource.js';
import type { PatchSchemaData } from './schema/types.js';
import { parseSelector, select } from './selector.js';
import { transformAnnotations } from './transformers/annotations.js';
import { type ImageRule, transformImages } from './transformers/images.js';
import { transformLabels } from './transformers/labels.js';
import { type RoleBindingSubjectMode, transformNamespace } from './transformers/namespace.js';
import { applyJson6902 } from './transformers/patch-json6902.js';
import { applySmPatch, getById, type SmPatch } from './transformers/patch-strategic-merge.js';
import { transformNameAffix } from './transformers/prefix-suffix.js';
import { applyReplacements, parseReplacements, type Replacement } from './transformers/replacements.js';
import { transformReplicas } from './transformers/replicas.js';
import { transformValueAdd, type ValueAddTarget } from './transformers/value-add.js';
import { parseVar, type Var } from './transformers/vars.js';
import { type Json, type JsonObject, parseYamlStream, YamlError } from './yaml.js';

export interface BuildLimits {
  maxResources: number;
}

export interface Accumulator {
  resources: Resource[];
  config: TransformerConfig;
  vars: Var[];
  /** Custom OpenAPI schema for strategic merge, from the kustomization's `openapi` field. */
  schema?: PatchSchemaData;
  sortOptions?: SortOptions;
}

export interface SortOptions {
  order: 'legacy' | 'fifo';
  orderFirst?: string[];
  orderLast?: string[];
}

export function emptyAccumulator(): Accumulator {
  return { resources: [], config: defaultConfig(), vars: [] };
}

function fail(where: string, msg: string): never {
  throw new KustomizeError(`${where}: ${msg}`);
}

function wrapYaml<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof YamlError) throw new KustomizeError(e.message);
    throw e;
  }
}

/** Turns parsed YAML documents into resources, expanding `*List` kinds. */
export function resourcesFromDocs(docs: Json[], where: string): Resource[] {
  const out: Resource[] = [];
  for (const doc of docs) {
    if (!isObject(doc)) fail(where, 'a resource must be a YAML map');
    if (Object.keys(doc).length === 0) continue;
    const kind = doc.kind;
    if (typeof kind !== 'string' || kind === '') fail(where, "missing Resource metadata: 'kind' is required");
    if (kind.endsWith('List') && 'items' in doc) {
      const items = doc.items;
      if (items === null) continue;
      if (!Array.isArray(items)) fail(where, `items of ${kind} must be a list`);
      out.push(...resourcesFromDocs(items, where));
      continue;
    }
    const md = doc.metadata;
    if (md !== undefined && md !== null && !isObject(md)) fail(where, 'metadata must be a map');
    const r = new Resource(doc);
    const name = isObject(md) ? md.name : undefined;
    if (name === undefined || name === null || name === '') {
      if (!(isObject(md) && typeof md.generateName === 'string'))
        fail(where, `missing metadata.name in ${kind}`);
    }
    out.push(r);
  }
  return out;
}

export function loadResourceFile(ldr: Loader, rel: string): Resource[] {
  const file = ldr.filePath(rel);
  const text = ldr.fs.readFile(file);
  const docs = wrapYaml(() => parseYamlStream(text, file));
  const resources = resourcesFromDocs(docs, file);
  const origin: Origin = { path: ldr.relative(file) };
  for (const r of resources) r.origin = origin;
  return resources;
}

/** Records, for buildMetadata transformerAnnotations, that a transformer ran over every object. */
function noteTransformation(ra: Accumulator, origin: Origin): void {
  for (const r of ra.resources) r.transformations.push(origin);
}

function builtinOrigin(ldr: Loader, w: string, kind: string): Origin {
  return { configuredIn: ldr.relative(w), configuredBy: { apiVersion: 'builtin', kind } };
}

function appendAll(ra: Accumulator, resources: Resource[], where: string, limits: BuildLimits): void {
  const seen = new Set(ra.resources.map((x) => idKey(x.id)));
  for (const r of resources) {
    const id = r.id;
    const key = idKey(id);
    if (seen.has(key)) {
      throw new KustomizeError(
        `${where}: may not add resource with an already registered id: ${idDisplay(id)}`,
      );
    }
    seen.add(key);
    ra.resources.push(r);
  }
  if (ra.resources.length > limits.maxResources) {
    throw new KustomizeError(`${where}: more than ${limits.maxResources} resources; refusing to build`);
  }
}

/** Builds a kustomization directory into a fresh accumulator (kustomize's AccumulateTarget). */
export function accumulateKustomization(
  ldr: Loader,
  kust: LoadedKustomization,
  limits: BuildLimits,
): Accumulator {
  const ra = emptyAccumulator();
  return accumulateInto(ra, ldr, kust, limits);
}

function where(kust: LoadedKustomization): string {
  return kust.file ? path.posix.join(kust.dir, kust.file) : kust.dir;
}

function accumulateInto(
  ra: Accumulator,
  ldr: Loader,
  kust: LoadedKustomization,
  limits: BuildLimits,
): Accumulator {
  const k = kust.k;
  const w = where(kust);
  accumulateResources(ra, ldr, asStringList(k.resources, `${w}: resources`), w, limits);
  for (const c of asStringList(k.configurations, `${w}: configurations`)) {
    const file = ldr.filePath(c);
    const docs = wrapYaml(() => parseYamlStream(ldr.fs.readFile(file), file));
    for (const d of docs) mergeConfig(ra.config, parseConfig(d, file));
  }
  for (const c of asStringList(k.crds, `${w}: crds`)) {
    const file = ldr.filePath(c);
    const docs = wrapYaml(() => parseYamlStream(ldr.fs.readFile(file), file));
    mergeConfig(ra.config, crdConfig(docs, file));
  }
  if (k.openapi !== undefined && k.openapi !== null) {
    ra.schema = loadOpenApi(k.openapi, ldr, w);
  }
  if (k.sortOptions !== undefined && k.sortOptions !== null)
    ra.sortOptions = parseSortOptions(k.sortOptions, w);
  accumulateComponents(ra, ldr, asStringList(k.components, `${w}: components`), w, limits);
  runGenerators(ra, ldr, k, w);
  runTransformers(ra, ldr, k, w, limits);
  // kustomize has no builtin validators: every entry is a plugin, and plugins are disabled.
  const validators = asStringList(k.validators, `${w}: validators`);
  if (validators.length > 0) {
    fail(
      w,
      `validators: "${validators[0]}" is not supported: validator plugins cannot run (plugins are disabled)`,
    );
  }
  for (const v of Array.isArray(k.vars) ? k.vars : []) {
    const parsed = parseVar(v, w);
    bindVar(ra.resources, parsed, w);
    addVar(ra, parsed, w);
  }
  return ra;
}

function addVar(ra: Accumulator, v: Var, w: string): void {
  const existing = ra.vars.find((x) => x.name === v.name);
  if (existing) fail(w, `var '${v.name}' already encountered`);
  ra.vars.push(v);
}

/** Binds a var to the one object it names, at the level that declares it (kustomize's MergeVars). */
function bindVar(resources: Resource[], v: Var, w: string): void {
  const o = v.objref;
  const withNs = o.namespace !== '' || isClusterScoped(o);
  const matches = resources.filter((r) =>
    r.allIds.some(
      (id) =>
        id.name === o.name &&
        id.kind === o.kind &&
        id.version === o.version &&
        id.group === o.group &&
        (!withNs || sameId(id, { ...o })),
    ),
  );
  if (matches.length > 1) {
    fail(
      w,
      `found ${matches.length} resId matches for var ${v.name} (unable to disambiguate multiple resources with same name)`,
    );
  }
  if (matches.length === 1) matches[0]!.refVarNames.push(v.name);
}

function parseSortOptions(v: Json, w: string): SortOptions {
  if (!isObject(v)) fail(w, 'sortOptions must be a map');
  const order = v.order;
  if (order !== 'legacy' && order !== 'fifo') fail(w, `sortOptions.order must be "legacy" or "fifo"`);
  const opts: SortOptions = { order };
  const legacy = v.legacySortOptions;
  if (legacy !== undefined && legacy !== null) {
    if (order !== 'legacy') fail(w, 'legacySortOptions is only allowed with order "legacy"');
    if (!isObject(legacy)) fail(w, 'legacySortOptions must be a map');
    opts.orderFirst = asStringList(legacy.orderFirst, `${w}: orderFirst`);
    opts.orderLast = asStringList(legacy.orderLast, `${w}: orderLast`);
  }
  return opts;
}

function accumulateResources(
  ra: Accumulator,
  ldr: Loader,
  paths: string[],
  w: string,
  limits: BuildLimits,
): void {
  for (const p of paths) {
    if (ldr.isFile(p)) {
      appendAll(ra, loadResourceFile(ldr, p), w, limits);
      continue;
    }
    const child = ldr.child(p);
    const sub = loadKustomization(ldr.fs, child.dir);
    if (sub.isComponent) {
      fail(w, `expected kind != 'Component' for path '${child.dir}' (components go in the components field)`);
    }
    const subRa = accumulateKustomization(child, sub, limits);
    appendAll(ra, subRa.resources, w, limits);
    mergeAccumulator(ra, subRa, w);
  }
}

function mergeAccumulator(ra: Accumulator, sub: Accumulator, w: string): void {
  mergeConfig(ra.config, sub.config);
  for (const v of sub.vars) addVar(ra, v, w);
  if (sub.schema && !ra.schema) ra.schema = sub.schema;
}

function accumulateComponents(
  ra: Accumulator,
  ldr: Loader,
  paths: string[],
  w: string,
  limits: BuildLimits,
): void {
  for (const p of paths) {
    if (ldr.isFile(p))
      fail(w, `component '${p}' must be a directory holding a kustomization of kind Component`);
    const child = ldr.child(p);
    const sub = loadKustomization(ldr.fs, child.dir);
    if (!sub.isComponent) {
      fail(w, `expected kind 'Component' for path '${child.dir}' but got 'Kustomization'`);
    }
    accumulateInto(ra, child, sub, limits);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

function mergeGenerated(ra: Accumulator, res: Resource, w: string): void {
  const id = res.id;
  const matches = ra.resources.filter((r) => r.allIds.some((x) => sameId(x, id)));
  if (matches.length === 0) {
    if (res.behavior === 'merge' || res.behavior === 'replace') {
      fail(w, `id ${idDisplay(id)} does not exist; cannot merge or replace`);
    }
    const clash = ra.resources.find((x) => sameId(x.id, id));
    if (clash) fail(w, `may not add resource with an already registered id: ${idDisplay(id)}`);
    ra.resources.push(res);
    return;
  }
  if (matches.length > 1) fail(w, `found multiple objects that could accept merge of ${idDisplay(id)}`);
  const old = matches[0]!;
  if (res.behavior !== 'merge' && res.behavior !== 'replace') {
    fail(w, `id ${idDisplay(id)} exists; behavior must be merge or replace`);
  }
  const labels = { ...old.labels(), ...res.labels() };
  const annotations = { ...old.annotations(), ...res.annotations() };
  if (res.behavior === 'merge') {
    for (const field of ['data', 'binaryData'] as const) {
      const o = old.obj[field];
      const n = res.obj[field];
      if (isObject(o) || isObject(n)) {
        res.obj[field] = { ...(isObject(o) ? o : {}), ...(isObject(n) ? n : {}) };
      }
    }
  }
  const md = res.metadata;
  if (Object.keys(labels).length) md.labels = labels;
  if (Object.keys(annotations).length) md.annotations = annotations;
  res.name = old.name;
  res.namespace = old.namespace;
  res.previousIds = old.previousIds;
  res.prefixes = old.prefixes;
  res.suffixes = old.suffixes;
  // A merged object gets a hash suffix only if both the old and the new one want it.
  res.needsHash = res.needsHash && old.needsHash;
  res.refVarNames = old.refVarNames;
  if (old.origin && res.behavior === 'merge') res.origin = old.origin;
  ra.resources[ra.resources.indexOf(old)] = res;
}

function runGenerators(ra: Accumulator, ldr: Loader, k: JsonObject, w: string): void {
  const globalOptions = parseGeneratorOptions(k.generatorOptions);
  for (const [field, kind] of [
    ['configMapGenerator', 'ConfigMap'],
    ['secretGenerator', 'Secret'],
  ] as const) {
    const list = k[field];
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      const args = parseGeneratorArgs(entry, `${w}: ${field}`);
      const res = generate(kind, args, globalOptions, ldr, `${w}: ${field}`);
      res.origin = {
        configuredIn: ldr.relative(w),
        configuredBy: { apiVersion: 'builtin', kind: `${kind}Generator` },
      };
      mergeGenerated(ra, res, w);
    }
  }
  refuseHelmCharts(k, w);
  for (const { cfg, file } of loadPluginConfigs(ldr, asStringList(k.generators, `${w}: generators`), w)) {
    runGeneratorPlugin(ra, ldr, cfg, globalOptions, w, pluginOrigin(ldr, cfg, file));
  }
}

/**
 * Charts are refused, as kustomize refuses them without `--enable-helm` (which Flux never passes):
 * a build does not run Helm or fetch charts.
 */
function refuseHelmCharts(k: JsonObject, w: string): void {
  for (const field of ['helmCharts', 'helmChartInflationGenerator'] as const) {
    const charts = k[field];
    if (!Array.isArray(charts) || charts.length === 0) continue;
    const first = charts[0];
    const name = isObject(first) && typeof first.name === 'string' ? ` "${first.name}"` : '';
    fail(
      w,
      `${field}: chart${name} is not supported: builds do not run Helm (kustomize: must specify --enable-helm)`,
    );
  }
}

function runGeneratorPlugin(
  ra: Accumulator,
  ldr: Loader,
  cfg: JsonObject,
  globalOptions: GeneratorOptions | undefined,
  w: string,
  origin: Origin,
): void {
  const kind = cfg.kind;
  if (kind === 'ConfigMapGenerator' || kind === 'SecretGenerator') {
    const { apiVersion: _a, kind: _k, metadata: _m, ...args } = cfg;
    const md = isObject(cfg.metadata) ? cfg.metadata : {};
    if (args.name === undefined || args.name === null || args.name === '') args.name = md.name ?? '';
    if (args.namespace === undefined && typeof md.namespace === 'string') args.namespace = md.namespace;
    const res = generate(
      kind === 'ConfigMapGenerator' ? 'ConfigMap' : 'Secret',
      parseGeneratorArgs(args, w),
      globalOptions,
      ldr,
      w,
    );
    res.origin = origin;
    mergeGenerated(ra, res, w);
    return;
  }
  if (kind === 'IAMPolicyGenerator') {
    const res = iamPolicyServiceAccount(cfg, w);
    res.origin = origin;
    mergeGenerated(ra, res, w);
    return;
  }
  if (kind === 'HelmChartInflationGenerator') {
    fail(
      w,
      'HelmChartInflationGenerator is not supported: builds do not run Helm (kustomize: must specify --enable-helm)',
    );
  }
  // Anything else listed under generators: emit it as a resource only if it is a plain object.
  fail(
    w,
    `generator plugin ${String(cfg.apiVersion)}/${String(kind)} is not supported (only builtin generators)`,
  );
}

// ---------------------------------------------------------------------------------------------
// Transformers

/** The origin kustomize records for objects made or changed by a plugin config. */
function pluginOrigin(ldr: Loader, cfg: JsonObject, file: string): Origin {
  const md = isObject(cfg.metadata) ? cfg.metadata : {};
  const by: NonNullable<Origin['configuredBy']> = {
    apiVersion: str(cfg.apiVersion),
    kind: str(cfg.kind),
    name: str(md.name),
  };
  if (typeof md.namespace === 'string' && md.namespace) by.namespace = md.namespace;
  return { configuredIn: ldr.relative(file), configuredBy: by };
}

/** GKE workload identity: a ServiceAccount annotated with its Google service account. */
function iamPolicyServiceAccount(cfg: JsonObject, w: string): Resource {
  const gsa = lowerKeys(cfg.serviceAccount);
  const ksa = lowerKeys(cfg.kubernetesService);
  const gsaName = str(gsa.name);
  const project = str(gsa.projectid);
  const name = str(ksa.name);
  if (!gsaName || !project || !name) {
    fail(
      w,
      'IAMPolicyGenerator needs kubernetesService.name, serviceAccount.name and serviceAccount.projectId',
    );
  }
  if (str(cfg.cloud) !== 'gke') fail(w, `IAMPolicyGenerator: unsupported cloud "${str(cfg.cloud)}"`);
  const metadata: JsonObject = {
    annotations: { 'iam.gke.io/gcp-service-account': `${gsaName}@${project}.iam.gserviceaccount.com` },
    name,
  };
  const ns = str(ksa.namespace);
  if (ns) metadata.namespace = ns;
  return new Resource({ apiVersion: 'v1', kind: 'ServiceAccount', metadata });
}

function loadPluginConfigs(ldr: Loader, entries: string[], w: string): { cfg: JsonObject; file: string }[] {
  const out: { cfg: JsonObject; file: string }[] = [];
  for (const e of entries) {
    let docs: Json[];
    let source = w;
    if (ldr.isFile(e)) {
      const file = ldr.filePath(e);
      source = file;
      docs = wrapYaml(() => parseYamlStream(ldr.fs.readFile(file), file));
    } else if (e.includes('\n') || /^\s*\w+:/.test(e)) {
      docs = wrapYaml(() => parseYamlStream(e, `${w} (inline plugin config)`));
    } else {
      const child = ldr.child(e);
      const sub = loadKustomization(ldr.fs, child.dir);
      const subRa = accumulateKustomization(child, sub, { maxResources: 100000 });
      docs = subRa.resources.map((r) => r.obj);
    }
    for (const d of docs) {
      if (!isObject(d)) fail(w, 'plugin config must be a map');
      out.push({ cfg: d, file: source });
    }
  }
  return out;
}

function readPatchText(ldr: Loader, rel: string): string {
  return ldr.readFile(rel);
}

function smPatchesFromText(text: string, file: string): SmPatch[] {
  const docs = wrapYaml(() => parseYamlStream(text, file, true, true));
  return docs.map((d) => {
    if (!isObject(d)) fail(file, 'a strategic merge patch must be a map');
    return { patch: d, where: file };
  });
}

function patchId(p: JsonObject, w: string): ResId {
  const md = isObject(p.metadata) ? p.metadata : {};
  if (typeof p.kind !== 'string') fail(w, "patch is missing 'kind'");
  return {
    ...parseApiVersion(typeof p.apiVersion === 'string' ? p.apiVersion : ''),
    kind: p.kind,
    name: typeof md.name === 'string' ? md.name : '',
    namespace: typeof md.namespace === 'string' ? md.namespace : '',
  };
}

function patchesStrategicMerge(ra: Accumulator, ldr: Loader, entries: Json[], w: string): void {
  if (entries.length === 0) return;
  const patches: SmPatch[] = [];
  for (const e of entries) {
    if (typeof e !== 'string') fail(w, 'patchesStrategicMerge entries must be strings');
    if (ldr.isFile(e)) patches.push(...smPatchesFromText(readPatchText(ldr, e), ldr.filePath(e)));
    else if (e.includes('\n') || e.includes(':'))
      patches.push(...smPatchesFromText(e, `${w} (inline patch)`));
    else ldr.readFile(e);
  }
  if (patches.length === 0) fail(w, `patch appears to be empty; files=${JSON.stringify(entries)}`);
  for (const p of patches) {
    const target = getById(ra.resources, patchId(p.patch, p.where), p.where);
    ra.resources = applySmPatch(ra.resources, new Set([target]), p, ra.schema);
  }
}

interface PatchEntry {
  path?: string;
  patch?: string;
  target?: JsonObject | null;
  options?: JsonObject;
}

function applyPatchEntry(ra: Accumulator, ldr: Loader, entry: PatchEntry, w: string): void {
  let text = (entry.patch ?? '').trim();
  const hasPath = entry.path !== undefined && entry.path !== '';
  if (text === '' && !hasPath) fail(w, 'must specify one of patch and path in patches entry');
  if (text !== '' && hasPath) fail(w, "patch and path can't be set at the same time");
  const file = hasPath ? ldr.filePath(entry.path!) : `${w} (inline patch)`;
  if (hasPath) text = ldr.readFile(entry.path!);
  const target = parseSelector(entry.target ?? undefined, w);
  const docs = wrapYaml(() => parseYamlStream(text, file, true, true));
  // Like kustomize, a JSON patch is read from the first document only.
  if (docs.length >= 1 && Array.isArray(docs[0])) {
    if (!target) fail(w, `must specify a target for JSON patch ${file}`);
    const ops = parseJsonPatch(docs[0]!, file);
    applyJson6902(select(ra.resources, target), ops, file);
    return;
  }
  const patches = docs.map((d) => {
    if (!isObject(d)) fail(file, 'unable to parse SM or JSON patch');
    const p: SmPatch = { patch: d, where: file };
    if (entry.options?.allowNameChange === true) p.allowNameChange = true;
    if (entry.options?.allowKindChange === true) p.allowKindChange = true;
    return p;
  });
  if (patches.length === 0)
    fail(file, 'patch is empty: it qualifies as neither a strategic merge nor a JSON patch');
  if (target) {
    if (patches.length > 1) {
      fail(
        w,
        'Multiple Strategic-Merge Patches in one `patches` entry is not allowed to set `patches.target` field',
      );
    }
    const selected = select(ra.resources, target);
    ra.resources = applySmPatch(ra.resources, new Set(selected), patches[0]!, ra.schema);
    return;
  }
  // Without a target, each patch names the one object it applies to.
  for (const p of patches) {
    const target = getById(ra.resources, patchId(p.patch, file), file);
    ra.resources = applySmPatch(ra.resources, new Set([target]), p, ra.schema);
  }
}

function patchJson6902Entry(ra: Accumulator, ldr: Loader, entry: JsonObject, w: string): void {
  const target = parseSelector(entry.target, w);
  if (!target) fail(w, 'patchesJson6902 entry needs a target');
  let ops: Json;
  if (typeof entry.path === 'string' && entry.path !== '') {
    if (entry.patch) fail(w, 'patchesJson6902 entry has both path and patch');
    const file = ldr.filePath(entry.path);
    const docs = wrapYaml(() => parseYamlStream(ldr.fs.readFile(file), file));
    ops = docs[0] ?? null;
    applyJson6902(select(ra.resources, target), parseJsonPatch(ops, file), file);
    return;
  }
  const inline =
    typeof entry.patch === 'string' ? entry.patch : typeof entry.jsonOp === 'string' ? entry.jsonOp : '';
  if (inline.trim() === '') fail(w, 'empty file path and empty jsonOp');
  const docs = wrapYaml(() => parseYamlStream(inline, `${w} (inline JSON patch)`));
  applyJson6902(select(ra.resources, target), parseJsonPatch(docs[0] ?? null, w), w);
}

function imageRule(v: Json, w: string): ImageRule {
  if (!isObject(v)) fail(w, 'images entries must be maps');
  const l = lowerKeys(v);
  const s = (x: Json | undefined) => (x === undefined || x === null ? undefined : String(x));
  const rule: ImageRule = { name: s(l.name) ?? '' };
  const newName = s(l.newname);
  const newTag = s(l.newtag);
  const digest = s(l.digest);
  const tagSuffix = s(l.tagsuffix);
  if (newName) rule.newName = newName;
  if (newTag) rule.newTag = newTag;
  if (digest) rule.digest = digest;
  if (tagSuffix) rule.tagSuffix = tagSuffix;
  return rule;
}

function mergeSpecsWith(base: FieldSpec[], extra: FieldSpec[]): FieldSpec[] {
  const out = [...extra];
  for (const f of base) {
    if (
      !out.some(
        (x) => x.path === f.path && x.kind === f.kind && x.group === f.group && x.version === f.version,
      )
    ) {
      out.push(f);
    }
  }
  return out;
}

function runTransformers(ra: Accumulator, ldr: Loader, k: JsonObject, w: string, limits: BuildLimits): void {
  const tc = ra.config;
  // 1. patchesStrategicMerge
  if (Array.isArray(k.patchesStrategicMerge)) patchesStrategicMerge(ra, ldr, k.patchesStrategicMerge, w);
  // 2. patches
  if (Array.isArray(k.patches)) {
    for (const p of k.patches) {
      if (!isObject(p)) fail(w, 'patches entries must be maps');
      for (const key of Object.keys(p)) {
        if (!['path', 'patch', 'target', 'options'].includes(key))
          fail(w, `unknown field "${key}" in patches entry`);
      }
      applyPatchEntry(
        ra,
        ldr,
        {
          ...(typeof p.path === 'string' ? { path: p.path } : {}),
          ...(typeof p.patch === 'string' ? { patch: p.patch } : {}),
          target: isObject(p.target) ? p.target : null,
          ...(isObject(p.options) ? { options: p.options } : {}),
        },
        w,
      );
    }
  }
  // 3. namespace
  if (typeof k.namespace === 'string' && k.namespace !== '') {
    noteTransformation(ra, builtinOrigin(ldr, w, 'NamespaceTransformer'));
    transformNamespace(ra.resources, { namespace: k.namespace, fieldSpecs: tc.namespace });
  }
  // 4. namePrefix, 5. nameSuffix
  if (typeof k.namePrefix === 'string' && k.namePrefix !== '') {
    noteTransformation(ra, builtinOrigin(ldr, w, 'PrefixTransformer'));
    transformNameAffix(ra.resources, { prefix: k.namePrefix, fieldSpecs: tc.namePrefix });
  }
  if (typeof k.nameSuffix === 'string' && k.nameSuffix !== '') {
    noteTransformation(ra, builtinOrigin(ldr, w, 'SuffixTransformer'));
    transformNameAffix(ra.resources, { suffix: k.nameSuffix, fieldSpecs: tc.nameSuffix });
  }
  // 6. labels, then commonLabels
  if (Array.isArray(k.labels)) {
    for (const l of k.labels) {
      if (!isObject(l)) fail(w, 'labels entries must be maps');
      for (const key of Object.keys(l)) {
        if (!['pairs', 'includeSelectors', 'includeTemplates', 'fields'].includes(key)) {
          fail(w, `unknown field "${key}" in labels entry`);
        }
      }
      let specs = mergeSpecsWith(tc.labels, parseFieldSpecs(l.fields, `${w}: labels.fields`));
      if (l.includeSelectors === true) specs = mergeSpecsWith(tc.commonLabels, specs);
      else {
        specs = mergeSpecsWith([{ path: 'metadata/labels', create: true }], specs);
        if (l.includeTemplates === true) specs = mergeSpecsWith(tc.templateLabels, specs);
      }
      transformLabels(ra.resources, { values: asStringMap(l.pairs), fieldSpecs: specs });
    }
  }
  if (isObject(k.commonLabels)) {
    noteTransformation(ra, builtinOrigin(ldr, w, 'LabelTransformer'));
    transformLabels(ra.resources, { values: asStringMap(k.commonLabels), fieldSpecs: tc.commonLabels });
  }
  // 7. commonAnnotations
  if (isObject(k.commonAnnotations)) {
    noteTransformation(ra, builtinOrigin(ldr, w, 'AnnotationsTransformer'));
    transformAnnotations(ra.resources, {
      values: asStringMap(k.commonAnnotations),
      fieldSpecs: tc.commonAnnotations,
    });
  }
  // 8. patchesJson6902
  if (Array.isArray(k.patchesJson6902)) {
    for (const p of k.patchesJson6902) {
      if (!isObject(p)) fail(w, 'patchesJson6902 entries must be maps');
      patchJson6902Entry(ra, ldr, p, w);
    }
  }
  // 9. replicas
  if (Array.isArray(k.replicas)) {
    for (const r of k.replicas) {
      if (!isObject(r)) fail(w, 'replicas entries must be maps');
      const count = Number(r.count);
      if (!Number.isInteger(count)) fail(w, `replicas count for ${String(r.name)} must be an integer`);
      transformReplicas(ra.resources, { name: String(r.name ?? ''), count }, tc.replicas);
    }
  }
  // 10. images
  if (Array.isArray(k.images)) {
    for (const i of k.images) transformImages(ra.resources, imageRule(i, w), tc.images);
  }
  // 11. replacements
  if (Array.isArray(k.replacements)) {
    const reps: Replacement[] = [];
    for (const r of k.replacements) reps.push(...parseReplacements(r, ldr, w));
    applyReplacements(ra.resources, reps, w);
  }
  // Then the `transformers` field.
  for (const { cfg, file } of loadPluginConfigs(ldr, asStringList(k.transformers, `${w}: transformers`), w)) {
    noteTransformation(ra, pluginOrigin(ldr, cfg, file));
    runTransformerPlugin(ra, ldr, cfg, w, limits);
  }
}

function str(v: Json | undefined): string {
  return v === undefined || v === null ? '' : String(v);
}

const pluginFields = [
  'apiVersion',
  'kind',
  'metadata',
  'fieldSpecs',
  'path',
  'paths',
  'patch',
  'patches',
  'jsonOp',
  'target',
  'options',
  'prefix',
  'suffix',
  'labels',
  'annotations',
  'imageTag',
  'replica',
  'replacements',
  'unsetOnly',
  'setRoleBindingSubjects',
  'sortOptions',
  'value',
  'targets',
  'targetFilePath',
  'name',
];

function runTransformerPlugin(
  ra: Accumulator,
  ldr: Loader,
  rawCfg: JsonObject,
  w: string,
  _limits: BuildLimits,
): void {
  const apiVersion = str(rawCfg.apiVersion);
  const kind = str(rawCfg.kind);
  const cfg = canonicalKeys(rawCfg, pluginFields, w, `${kind} config`, false);
  const pw = `${w}: ${kind}`;
  if (apiVersion !== 'builtin' && !apiVersion.startsWith('builtin/')) {
    fail(
      w,
      `plugin ${apiVersion}/${kind} is not supported: only builtin transformers can run (plugins are disabled)`,
    );
  }
  const md = isObject(cfg.metadata) ? cfg.metadata : {};
  const specs = parseFieldSpecs(cfg.fieldSpecs, pw);
  switch (kind) {
    case 'NamespaceTransformer': {
      const mode = str(cfg.setRoleBindingSubjects) || 'defaultOnly';
      if (!['defaultOnly', 'allServiceAccounts', 'none'].includes(mode))
        fail(pw, `invalid setRoleBindingSubjects "${mode}"`);
      transformNamespace(ra.resources, {
        namespace: str(md.namespace),
        fieldSpecs: specs,
        unsetOnly: cfg.unsetOnly === true,
        setRoleBindingSubjects: mode as RoleBindingSubjectMode,
      });
      return;
    }
    case 'PrefixTransformer':
      transformNameAffix(ra.resources, { prefix: str(cfg.prefix), fieldSpecs: specs });
      return;
    case 'SuffixTransformer':
      transformNameAffix(ra.resources, { suffix: str(cfg.suffix), fieldSpecs: specs });
      return;
    case 'PrefixSuffixTransformer':
      transformNameAffix(ra.resources, {
        prefix: str(cfg.prefix),
        suffix: str(cfg.suffix),
        fieldSpecs: specs,
      });
      return;
    case 'LabelTransformer':
      transformLabels(ra.resources, { values: asStringMap(cfg.labels), fieldSpecs: specs });
      return;
    case 'AnnotationsTransformer':
      transformAnnotations(ra.resources, { values: asStringMap(cfg.annotations), fieldSpecs: specs });
      return;
    case 'ImageTagTransformer':
      transformImages(ra.resources, imageRule(cfg.imageTag ?? {}, pw), specs);
      return;
    case 'ReplicaCountTransformer': {
      const rep = isObject(cfg.replica) ? cfg.replica : {};
      transformReplicas(ra.resources, { name: str(rep.name), count: Number(rep.count ?? 0) }, specs);
      return;
    }
    case 'PatchTransformer':
      applyPatchEntry(
        ra,
        ldr,
        {
          ...(typeof cfg.path === 'string' ? { path: cfg.path } : {}),
          ...(typeof cfg.patch === 'string' ? { patch: cfg.patch } : {}),
          target: isObject(cfg.target) ? cfg.target : null,
          ...(isObject(cfg.options) ? { options: cfg.options } : {}),
        },
        pw,
      );
      return;
    case 'PatchStrategicMergeTransformer': {
      const paths = Array.isArray(cfg.paths) ? cfg.paths : [];
      const inline = typeof cfg.patches === 'string' ? cfg.patches : '';
      if (paths.length === 0 && inline.trim() === '') fail(pw, 'empty file path and empty patch content');
      const patches: SmPatch[] = [];
      for (const p of paths)
        patches.push(...smPatchesFromText(readPatchText(ldr, str(p)), ldr.filePath(str(p))));
      if (inline.trim() !== '') patches.push(...smPatchesFromText(inline, `${pw} (inline patch)`));
      if (patches.length === 0) fail(pw, 'patch appears to be empty');
      for (const p of patches) {
        const target = getById(ra.resources, patchId(p.patch, p.where), p.where);
        ra.resources = applySmPatch(ra.resources, new Set([target]), p, ra.schema);
      }
      return;
    }
    case 'PatchJson6902Transformer': {
      const hasPath = typeof cfg.path === 'string' && cfg.path !== '';
      const hasOp = typeof cfg.jsonOp === 'string' && cfg.jsonOp.trim() !== '';
      if (hasPath && hasOp) fail(pw, 'must specify either path or jsonOp, not both');
      if (!hasPath && !hasOp) fail(pw, 'empty file path and empty jsonOp');
      patchJson6902Entry(ra, ldr, cfg, pw);
      return;
    }
    case 'ReplacementTransformer': {
      const reps: Replacement[] = [];
      for (const r of Array.isArray(cfg.replacements) ? cfg.replacements : [])
        reps.push(...parseReplacements(r, ldr, pw));
      applyReplacements(ra.resources, reps, pw);
      return;
    }
    case 'ValueAddTransformer': {
      const value = str(cfg.value).trim() || path.posix.basename(ldr.dir);
      const rawTargets: Json[] = Array.isArray(cfg.targets) ? [...cfg.targets] : [];
      if (typeof cfg.targetFilePath === 'string' && cfg.targetFilePath) {
        const file = ldr.filePath(cfg.targetFilePath);
        const doc = wrapYaml(() => parseYamlStream(ldr.fs.readFile(file), file))[0];
        const t = lowerKeys(doc ?? {}).targets;
        if (Array.isArray(t)) rawTargets.push(...t);
      }
      if (rawTargets.length === 0) fail(pw, 'must specify at least one target');
      const targets: ValueAddTarget[] = rawTargets.map((t) => {
        const l = lowerKeys(t);
        const fieldPath = str(l.fieldpath);
        if (!fieldPath) fail(pw, 'fieldPath cannot be empty');
        const target: ValueAddTarget = { fieldPath, filePathPosition: Number(l.filepathposition ?? 0) };
        const sel = parseSelector(l.selector ?? undefined, pw);
        if (sel) target.selector = sel;
        return target;
      });
      transformValueAdd(ra.resources, value, targets);
      return;
    }
    case 'HashTransformer':
      // Hashes the generated objects that want a suffix now instead of at the end of the build.
      addHashSuffixes(ra.resources);
      return;
    default:
      fail(w, `unsupported builtin transformer ${kind}`);
  }
}

/** For a directory without a kustomization file: Flux's generated kustomization. */
export function synthesizeKustomization(ldr: Loader): LoadedKustomization {
  const resources: string[] = [];
  const walk = (dir: string) => {
    for (const name of ldr.fs.readDir(dir)) {
      const p = path.posix.join(dir, name);
      const kind = ldr.fs.stat(p);
      if (kind === 'dir') {
        if (findKustomizationFile(ldr.fs, p)) resources.push(path.posix.relative(ldr.dir, p));
        else walk(p);
      } else if (kind === 'file' && /\.ya?ml$/.test(name)) {
        resources.push(path.posix.relative(ldr.dir, p));
      }
    }
  };
  walk(ldr.dir);
  const k: JsonObject =
    resources.length > 0
      ? { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }
      : { namespace: '_placeholder' };
  return { dir: ldr.dir, file: undefined, ...checkKustomization(k, ldr.dir) };
}

export { emptyConfig };
