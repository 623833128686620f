// The builtin transformers, by kind: each parses its config into typed options in one place and
// applies them. A config comes either from a `transformers:` entry or from a kustomization field
// (fields.ts converts those, as kustomize's kusttarget_configplugin.go does).
import * as path from 'node:path';
import type { Accumulator } from '../accumulator.js';
import type { FieldSpec } from '../fieldspec.js';
import { addHashSuffixes } from '../generators/hash.js';
import { asStringMap } from '../kustomization.js';
import type { Loader } from '../loader.js';
import { isObject, lowerKeys } from '../resource.js';
import { parseSelector } from '../selector.js';
import { transformAnnotations } from '../transformers/annotations.js';
import { type ImageRule, transformImages } from '../transformers/images.js';
import { type MapFieldOptions, transformLabels } from '../transformers/labels.js';
import {
  type NamespaceOptions,
  type RoleBindingSubjectMode,
  transformNamespace,
} from '../transformers/namespace.js';
import { type AffixOptions, transformNameAffix } from '../transformers/prefix-suffix.js';
import { applyReplacements, parseReplacements, type Replacement } from '../transformers/replacements.js';
import { type ReplicaRule, transformReplicas } from '../transformers/replicas.js';
import { transformValueAdd, type ValueAddTarget } from '../transformers/value-add.js';
import { parseYamlStream } from '../yaml-read.js';
import type { Json, JsonObject } from '../yaml-types.js';
import { fail, str, wrapYaml } from './common.js';
import {
  applyJson6902Patch,
  applyPatch,
  applyStrategicMergePatches,
  parseJson6902,
  parsePatch,
  parseStrategicMergePatches,
} from './patches.js';

export interface BuiltinContext {
  ldr: Loader;
  /** Where the config was written, for errors. */
  where: string;
  /** The config's field specs: its own `fieldSpecs`, or those a kustomization field implies. */
  fieldSpecs: FieldSpec[];
}

export interface Builtin<O> {
  parse(cfg: JsonObject, ctx: BuiltinContext): O;
  apply(ra: Accumulator, options: O, ctx: BuiltinContext): void;
}

function builtin<O>(b: Builtin<O>): Builtin<unknown> {
  return b as Builtin<unknown>;
}

export function imageRule(v: Json, w: string): ImageRule {
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

const affix = (pick: (cfg: JsonObject) => Omit<AffixOptions, 'fieldSpecs'>) =>
  builtin<AffixOptions>({
    parse: (cfg, c) => ({ ...pick(cfg), fieldSpecs: c.fieldSpecs }),
    apply: (ra, o) => transformNameAffix(ra.resources, o),
  });

export const builtinTransformers: ReadonlyMap<string, Builtin<unknown>> = new Map([
  [
    'NamespaceTransformer',
    builtin<NamespaceOptions>({
      parse(cfg, c) {
        const md = isObject(cfg.metadata) ? cfg.metadata : {};
        const mode = str(cfg.setRoleBindingSubjects) || 'defaultOnly';
        if (!['defaultOnly', 'allServiceAccounts', 'none'].includes(mode))
          fail(c.where, `invalid setRoleBindingSubjects "${mode}"`);
        return {
          namespace: str(md.namespace),
          fieldSpecs: c.fieldSpecs,
          unsetOnly: cfg.unsetOnly === true,
          setRoleBindingSubjects: mode as RoleBindingSubjectMode,
        };
      },
      apply: (ra, o) => transformNamespace(ra.resources, o),
    }),
  ],
  ['PrefixTransformer', affix((cfg) => ({ prefix: str(cfg.prefix) }))],
  ['SuffixTransformer', affix((cfg) => ({ suffix: str(cfg.suffix) }))],
  ['PrefixSuffixTransformer', affix((cfg) => ({ prefix: str(cfg.prefix), suffix: str(cfg.suffix) }))],
  [
    'LabelTransformer',
    builtin<MapFieldOptions>({
      parse: (cfg, c) => ({ values: asStringMap(cfg.labels), fieldSpecs: c.fieldSpecs }),
      apply: (ra, o) => transformLabels(ra.resources, o),
    }),
  ],
  [
    'AnnotationsTransformer',
    builtin<MapFieldOptions>({
      parse: (cfg, c) => ({ values: asStringMap(cfg.annotations), fieldSpecs: c.fieldSpecs }),
      apply: (ra, o) => transformAnnotations(ra.resources, o),
    }),
  ],
  [
    'ImageTagTransformer',
    builtin<ImageRule>({
      parse: (cfg, c) => imageRule(cfg.imageTag ?? {}, c.where),
      apply: (ra, o, c) => transformImages(ra.resources, o, c.fieldSpecs),
    }),
  ],
  [
    'ReplicaCountTransformer',
    builtin<ReplicaRule>({
      parse(cfg) {
        const rep = isObject(cfg.replica) ? cfg.replica : {};
        return { name: str(rep.name), count: Number(rep.count ?? 0) };
      },
      apply: (ra, o, c) => transformReplicas(ra.resources, o, c.fieldSpecs),
    }),
  ],
  [
    'PatchTransformer',
    builtin({ parse: (cfg, c) => parsePatch(cfg, c.ldr, c.where), apply: (ra, o) => applyPatch(ra, o) }),
  ],
  [
    'PatchStrategicMergeTransformer',
    builtin({
      parse: (cfg, c) => parseStrategicMergePatches(cfg, c.ldr, c.where),
      apply: (ra, o) => applyStrategicMergePatches(ra, o),
    }),
  ],
  [
    'PatchJson6902Transformer',
    builtin({
      parse: (cfg, c) => parseJson6902(cfg, c.ldr, c.where),
      apply: (ra, o) => applyJson6902Patch(ra, o),
    }),
  ],
  [
    'ReplacementTransformer',
    builtin<Replacement[]>({
      parse(cfg, c) {
        const reps: Replacement[] = [];
        for (const r of Array.isArray(cfg.replacements) ? cfg.replacements : [])
          reps.push(...parseReplacements(r, c.ldr, c.where));
        return reps;
      },
      apply: (ra, o, c) => applyReplacements(ra.resources, o, c.where),
    }),
  ],
  [
    'ValueAddTransformer',
    builtin<{ value: string; targets: ValueAddTarget[] }>({
      parse: parseValueAdd,
      apply: (ra, o) => transformValueAdd(ra.resources, o.value, o.targets),
    }),
  ],
  [
    'HashTransformer',
    builtin<null>({
      parse: () => null,
      // Hashes the generated objects that want a suffix now instead of at the end of the build.
      apply: (ra) => addHashSuffixes(ra.resources),
    }),
  ],
]);

function parseValueAdd(cfg: JsonObject, c: BuiltinContext): { value: string; targets: ValueAddTarget[] } {
  const { ldr, where: pw } = c;
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
  return { value, targets };
}
