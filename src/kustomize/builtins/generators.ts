// The builtin generators, by kind: each parses its config into typed options in one place and
// generates an object from them. A config comes either from a `generators:` entry or from a
// kustomization field (fields.ts converts `configMapGenerator` and `secretGenerator` entries, as
// kustomize's kusttarget_configplugin.go does).
import type { Accumulator } from '../accumulator.js';
import {
  type GeneratorArgs,
  type GeneratorOptions,
  generate,
  parseGeneratorArgs,
} from '../generators/generate.js';
import type { Loader } from '../loader.js';
import { idDisplay, isObject, lowerKeys, Resource, sameId } from '../resource.js';
import type { JsonObject } from '../yaml-types.js';
import { fail, str } from './common.js';

export interface GeneratorContext {
  ldr: Loader;
  /** Where the config was written, for errors. */
  where: string;
  /** The kustomization's `generatorOptions`. */
  globalOptions: GeneratorOptions | undefined;
}

export interface BuiltinGenerator<O> {
  parse(cfg: JsonObject, ctx: GeneratorContext): O;
  generate(options: O, ctx: GeneratorContext): Resource;
}

function builtin<O>(b: BuiltinGenerator<O>): BuiltinGenerator<unknown> {
  return b as BuiltinGenerator<unknown>;
}

/** A ConfigMap or Secret generator config: its arguments, with name and namespace defaulting to its metadata's. */
function parseKvArgs(cfg: JsonObject, c: GeneratorContext): GeneratorArgs {
  const { apiVersion: _a, kind: _k, metadata: _m, ...args } = cfg;
  const md = isObject(cfg.metadata) ? cfg.metadata : {};
  if (args.name === undefined || args.name === null || args.name === '') args.name = md.name ?? '';
  if (args.namespace === undefined && typeof md.namespace === 'string') args.namespace = md.namespace;
  return parseGeneratorArgs(args, c.where);
}

const kvGenerator = (kind: 'ConfigMap' | 'Secret') =>
  builtin<GeneratorArgs>({
    parse: parseKvArgs,
    generate: (args, c) => generate(kind, args, c.globalOptions, c.ldr, c.where),
  });

interface IamPolicyOptions {
  gsaName: string;
  project: string;
  name: string;
  namespace: string;
}

export const builtinGenerators: ReadonlyMap<string, BuiltinGenerator<unknown>> = new Map([
  ['ConfigMapGenerator', kvGenerator('ConfigMap')],
  ['SecretGenerator', kvGenerator('Secret')],
  [
    'IAMPolicyGenerator',
    builtin<IamPolicyOptions>({ parse: parseIamPolicy, generate: iamPolicyServiceAccount }),
  ],
  [
    'HelmChartInflationGenerator',
    builtin<never>({
      parse: (_cfg, c) =>
        fail(
          c.where,
          'HelmChartInflationGenerator is not supported: builds do not run Helm (kustomize: must specify --enable-helm)',
        ),
      generate: (o) => o,
    }),
  ],
]);

function parseIamPolicy(cfg: JsonObject, c: GeneratorContext): IamPolicyOptions {
  const gsa = lowerKeys(cfg.serviceAccount);
  const ksa = lowerKeys(cfg.kubernetesService);
  const options = {
    gsaName: str(gsa.name),
    project: str(gsa.projectid),
    name: str(ksa.name),
    namespace: str(ksa.namespace),
  };
  if (!options.gsaName || !options.project || !options.name) {
    fail(
      c.where,
      'IAMPolicyGenerator needs kubernetesService.name, serviceAccount.name and serviceAccount.projectId',
    );
  }
  if (str(cfg.cloud) !== 'gke') fail(c.where, `IAMPolicyGenerator: unsupported cloud "${str(cfg.cloud)}"`);
  return options;
}

/** GKE workload identity: a ServiceAccount annotated with its Google service account. */
function iamPolicyServiceAccount(o: IamPolicyOptions): Resource {
  const metadata: JsonObject = {
    annotations: { 'iam.gke.io/gcp-service-account': `${o.gsaName}@${o.project}.iam.gserviceaccount.com` },
    name: o.name,
  };
  if (o.namespace) metadata.namespace = o.namespace;
  return new Resource({ apiVersion: 'v1', kind: 'ServiceAccount', metadata });
}

/** Adds a generated object, or merges it into / replaces the one it names (its `behavior`). */
export function addGenerated(ra: Accumulator, res: Resource, w: string): void {
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
