// The kustomization's generator and transformer fields as builtin configs, in kustomize's order
// (its kusttarget_configplugin.go): each field becomes the config of the builtin that implements
// it, a transformer's with the field specs of the accumulated transformer configuration. Checks
// here are the field's own shape (kustomize's typed Kustomization); the options are parsed by the
// builtin.
import type { FieldSpec, TransformerConfig } from '../fieldspec.js';
import { parseFieldSpecs } from '../fieldspec.js';
import { isObject } from '../resource.js';
import type { JsonObject } from '../yaml-types.js';
import { fail } from './common.js';

export interface FieldConfig {
  kind: string;
  cfg: JsonObject;
  fieldSpecs: FieldSpec[];
  /** Whether kustomize records this transformer in the transformerAnnotations. */
  annotated: boolean;
}

export interface GeneratorFieldConfig {
  kind: string;
  cfg: JsonObject;
  /** Where the field was written, for errors. */
  where: string;
}

/** Yields lazily, so a bad entry is reported only once the generators before it have run. */
export function* generatorFieldConfigs(k: JsonObject, w: string): Generator<GeneratorFieldConfig> {
  for (const [field, kind] of [
    ['configMapGenerator', 'ConfigMapGenerator'],
    ['secretGenerator', 'SecretGenerator'],
  ] as const) {
    const list = k[field];
    if (!Array.isArray(list)) continue;
    const where = `${w}: ${field}`;
    for (const entry of list) {
      if (!isObject(entry)) fail(where, 'generator entry must be a map');
      // The typed field has no metadata to take a name or namespace from.
      const { metadata: _m, ...cfg } = entry;
      yield { kind, cfg, where };
    }
  }
  refuseHelmCharts(k, w);
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

/** Yields lazily, so a bad field is reported only once the transformers before it have run. */
export function* transformerFieldConfigs(
  k: JsonObject,
  tc: TransformerConfig,
  w: string,
): Generator<FieldConfig> {
  const config = (kind: string, cfg: JsonObject, fieldSpecs: FieldSpec[] = [], annotated = false) => ({
    kind,
    cfg,
    fieldSpecs,
    annotated,
  });
  // 1. patchesStrategicMerge
  if (Array.isArray(k.patchesStrategicMerge) && k.patchesStrategicMerge.length > 0) {
    for (const e of k.patchesStrategicMerge)
      if (typeof e !== 'string') fail(w, 'patchesStrategicMerge entries must be strings');
    yield config('PatchStrategicMergeTransformer', { paths: k.patchesStrategicMerge });
  }
  // 2. patches
  for (const p of Array.isArray(k.patches) ? k.patches : []) {
    if (!isObject(p)) fail(w, 'patches entries must be maps');
    for (const key of Object.keys(p)) {
      if (!['path', 'patch', 'target', 'options'].includes(key))
        fail(w, `unknown field "${key}" in patches entry`);
    }
    yield config('PatchTransformer', p);
  }
  // 3. namespace
  if (typeof k.namespace === 'string' && k.namespace !== '')
    yield config('NamespaceTransformer', { metadata: { namespace: k.namespace } }, tc.namespace, true);
  // 4. namePrefix, 5. nameSuffix
  if (typeof k.namePrefix === 'string' && k.namePrefix !== '')
    yield config('PrefixTransformer', { prefix: k.namePrefix }, tc.namePrefix, true);
  if (typeof k.nameSuffix === 'string' && k.nameSuffix !== '')
    yield config('SuffixTransformer', { suffix: k.nameSuffix }, tc.nameSuffix, true);
  // 6. labels, then commonLabels
  for (const l of Array.isArray(k.labels) ? k.labels : []) {
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
    yield config('LabelTransformer', { labels: l.pairs ?? null }, specs);
  }
  if (isObject(k.commonLabels))
    yield config('LabelTransformer', { labels: k.commonLabels }, tc.commonLabels, true);
  // 7. commonAnnotations
  if (isObject(k.commonAnnotations))
    yield config('AnnotationsTransformer', { annotations: k.commonAnnotations }, tc.commonAnnotations, true);
  // 8. patchesJson6902 (kustomize passes an entry's inline `patch` as the builtin's `jsonOp`)
  for (const p of Array.isArray(k.patchesJson6902) ? k.patchesJson6902 : []) {
    if (!isObject(p)) fail(w, 'patchesJson6902 entries must be maps');
    const { patch, ...rest } = p;
    yield config('PatchJson6902Transformer', patch === undefined ? rest : { ...rest, jsonOp: patch });
  }
  // 9. replicas
  for (const r of Array.isArray(k.replicas) ? k.replicas : []) {
    if (!isObject(r)) fail(w, 'replicas entries must be maps');
    const count = Number(r.count);
    if (!Number.isInteger(count)) fail(w, `replicas count for ${String(r.name)} must be an integer`);
    yield config('ReplicaCountTransformer', { replica: { name: String(r.name ?? ''), count } }, tc.replicas);
  }
  // 10. images
  for (const i of Array.isArray(k.images) ? k.images : []) {
    if (!isObject(i)) fail(w, 'images entries must be maps');
    yield config('ImageTagTransformer', { imageTag: i }, tc.images);
  }
  // 11. replacements
  if (Array.isArray(k.replacements)) yield config('ReplacementTransformer', { replacements: k.replacements });
}
