// One kustomization: accumulate its resources, bases and components, then run its generators and
// its transformers in kustomize's fixed order (kustomize's KustTarget). Every generator and every
// transformer, from a kustomization field or a `generators:` / `transformers:` entry, runs through
// the builtin registries (builtins/generators.ts, builtins/transformers.ts).
import * as path from 'node:path';
import { type Accumulator, emptyAccumulator, noteTransformation, type SortOptions } from './accumulator.js';
import { fail, str, wrapYaml } from './builtins/common.js';
import { type FieldConfig, generatorFieldConfigs, transformerFieldConfigs } from './builtins/fields.js';
import { addGenerated, builtinGenerators, type GeneratorContext } from './builtins/generators.js';
import { builtinTransformers } from './builtins/transformers.js';
import { crdConfig } from './crds.js';
import { emptyConfig, mergeConfig, parseConfig, parseFieldSpecs } from './fieldspec.js';
import { parseGeneratorOptions } from './generators/generate.js';
import { asStringList, canonicalKeys, type LoadedKustomization, loadKustomization } from './kustomization.js';
import type { Loader } from './loader.js';
import { loadOpenApi } from './openapi.js';
import {
  idDisplay,
  idKey,
  isClusterScoped,
  isObject,
  KustomizeError,
  type Origin,
  Resource,
  sameId,
} from './resource.js';
import { parseVar, type Var } from './transformers/vars.js';
import { parseYamlStream } from './yaml-read.js';
import type { Json, JsonObject } from './yaml-types.js';

export { type Accumulator, emptyAccumulator, type SortOptions } from './accumulator.js';

export interface BuildLimits {
  maxResources: number;
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
  runTransformers(ra, ldr, k, w);
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

function runGenerators(ra: Accumulator, ldr: Loader, k: JsonObject, w: string): void {
  const globalOptions = parseGeneratorOptions(k.generatorOptions);
  for (const field of generatorFieldConfigs(k, w)) {
    const ctx = { ldr, where: field.where, globalOptions };
    runGenerator(ra, field.kind, field.cfg, ctx, builtinOrigin(ldr, w, field.kind), w);
  }
  for (const { cfg, file } of loadPluginConfigs(ldr, asStringList(k.generators, `${w}: generators`), w)) {
    const kind = cfg.kind;
    if (typeof kind !== 'string' || !builtinGenerators.has(kind)) {
      fail(
        w,
        `generator plugin ${String(cfg.apiVersion)}/${String(kind)} is not supported (only builtin generators)`,
      );
    }
    runGenerator(ra, kind, cfg, { ldr, where: w, globalOptions }, pluginOrigin(ldr, cfg, file), w);
  }
}

function runGenerator(
  ra: Accumulator,
  kind: string,
  cfg: JsonObject,
  ctx: GeneratorContext,
  origin: Origin,
  w: string,
): void {
  const b = builtinGenerators.get(kind)!;
  const res = b.generate(b.parse(cfg, ctx), ctx);
  res.origin = origin;
  addGenerated(ra, res, w);
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

function runTransformers(ra: Accumulator, ldr: Loader, k: JsonObject, w: string): void {
  for (const field of transformerFieldConfigs(k, ra.config, w)) runFieldTransformer(ra, ldr, field, w);
  for (const { cfg, file } of loadPluginConfigs(ldr, asStringList(k.transformers, `${w}: transformers`), w)) {
    noteTransformation(ra, pluginOrigin(ldr, cfg, file));
    runTransformerPlugin(ra, ldr, cfg, w);
  }
}

function runFieldTransformer(ra: Accumulator, ldr: Loader, field: FieldConfig, w: string): void {
  const b = builtinTransformers.get(field.kind)!;
  if (field.annotated) noteTransformation(ra, builtinOrigin(ldr, w, field.kind));
  const ctx = { ldr, where: w, fieldSpecs: field.fieldSpecs };
  b.apply(ra, b.parse(field.cfg, ctx), ctx);
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

function runTransformerPlugin(ra: Accumulator, ldr: Loader, rawCfg: JsonObject, w: string): void {
  const apiVersion = str(rawCfg.apiVersion);
  const kind = str(rawCfg.kind);
  const cfg = canonicalKeys(rawCfg, pluginFields, w, `${kind} config`, false);
  if (apiVersion !== 'builtin' && !apiVersion.startsWith('builtin/')) {
    fail(
      w,
      `plugin ${apiVersion}/${kind} is not supported: only builtin transformers can run (plugins are disabled)`,
    );
  }
  const pw = `${w}: ${kind}`;
  const ctx = { ldr, where: pw, fieldSpecs: parseFieldSpecs(cfg.fieldSpecs, pw) };
  const b = builtinTransformers.get(kind);
  if (!b) fail(w, `unsupported builtin transformer ${kind}`);
  b.apply(ra, b.parse(cfg, ctx), ctx);
}

export { emptyConfig };
