// Finding, reading and checking a kustomization file.
import * as path from 'node:path';
import type { FileSystem } from './fs.js';
import { setOwn } from './own.js';
import { isObject, KustomizeError } from './resource.js';
import { parseYaml } from './yaml-read.js';
import type { Json, JsonObject } from './yaml-types.js';

export const kustomizationFileNames = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

const knownFields = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'openapi',
  'namePrefix',
  'nameSuffix',
  'namespace',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'patchesStrategicMerge',
  'patchesJson6902',
  'patches',
  'images',
  'imageTags',
  'replacements',
  'replicas',
  'vars',
  'sortOptions',
  'resources',
  'bases',
  'components',
  'crds',
  'configMapGenerator',
  'secretGenerator',
  'helmGlobals',
  'helmCharts',
  'helmChartInflationGenerator',
  'generatorOptions',
  'configurations',
  'generators',
  'transformers',
  'validators',
  'buildMetadata',
]);

export interface LoadedKustomization {
  /** Absolute directory of the kustomization. */
  dir: string;
  /** File name it was read from (e.g. kustomization.yaml), or undefined when synthesized. */
  file: string | undefined;
  isComponent: boolean;
  k: JsonObject;
}

/** Finds the kustomization file in dir; undefined when there is none. */
export function findKustomizationFile(fs: FileSystem, dir: string): string | undefined {
  const found = kustomizationFileNames.filter((n) => fs.stat(path.posix.join(dir, n)) === 'file');
  if (found.length > 1) {
    throw new KustomizeError(`${dir}: found multiple kustomization files: ${found.join(', ')}`);
  }
  return found[0];
}

export function loadKustomization(fs: FileSystem, dir: string): LoadedKustomization {
  const file = findKustomizationFile(fs, dir);
  if (!file) {
    throw new KustomizeError(
      `unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '${dir}'`,
    );
  }
  const where = path.posix.join(dir, file);
  const text = fs.readFile(where);
  let parsed: Json;
  try {
    parsed = parseYaml(text, where, false);
  } catch (e) {
    throw new KustomizeError((e as Error).message);
  }
  if (parsed === null) parsed = {};
  if (!isObject(parsed)) throw new KustomizeError(`${where}: a kustomization must be a YAML map`);
  return { dir, file, ...checkKustomization(parsed, where) };
}

/** Go's JSON decoding matches field names case-insensitively; so does kustomize. */
export function canonicalKeys(
  o: JsonObject,
  known: Iterable<string>,
  where: string,
  what: string,
  strict = true,
): JsonObject {
  const byLower = new Map<string, string>();
  for (const k of known) byLower.set(k.toLowerCase(), k);
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(o)) {
    const canon = byLower.get(key.toLowerCase());
    if (!canon) {
      if (strict) throw new KustomizeError(`${where}: unknown field "${key}" in ${what}`);
      setOwn(out, key, v);
      continue;
    }
    out[canon] = v;
  }
  return out;
}

export function checkKustomization(
  input: JsonObject,
  where: string,
): { isComponent: boolean; k: JsonObject } {
  const k = canonicalKeys(input, knownFields, where, 'kustomization');
  const kind = k.kind === undefined || k.kind === null || k.kind === '' ? 'Kustomization' : k.kind;
  const apiVersion = k.apiVersion ?? '';
  if (kind === 'Component') {
    if (apiVersion !== '' && apiVersion !== 'kustomize.config.k8s.io/v1alpha1') {
      throw new KustomizeError(
        `${where}: apiVersion for Component should be kustomize.config.k8s.io/v1alpha1`,
      );
    }
  } else if (kind === 'Kustomization') {
    if (apiVersion !== '' && apiVersion !== 'kustomize.config.k8s.io/v1beta1') {
      throw new KustomizeError(
        `${where}: apiVersion for Kustomization should be kustomize.config.k8s.io/v1beta1`,
      );
    }
  } else {
    throw new KustomizeError(`${where}: kind should be Kustomization or Component, not "${String(kind)}"`);
  }
  const fixed: JsonObject = { ...k };
  // Deprecated spellings kustomize still accepts.
  if (Array.isArray(k.bases)) fixed.resources = [...(asList(k.resources) ?? []), ...k.bases];
  if (Array.isArray(k.imageTags)) fixed.images = [...(asList(k.images) ?? []), ...k.imageTags];
  for (const key of [
    'resources',
    'components',
    'crds',
    'configurations',
    'generators',
    'transformers',
    'validators',
    'patchesStrategicMerge',
    'patchesJson6902',
    'patches',
    'images',
    'replacements',
    'replicas',
    'vars',
    'configMapGenerator',
    'secretGenerator',
    'labels',
  ]) {
    const v = fixed[key];
    if (v !== undefined && v !== null && !Array.isArray(v)) {
      throw new KustomizeError(`${where}: field "${key}" must be a list`);
    }
  }
  for (const key of ['commonLabels', 'commonAnnotations']) {
    const v = fixed[key];
    if (v !== undefined && v !== null && !isObject(v))
      throw new KustomizeError(`${where}: field "${key}" must be a map`);
  }
  return { isComponent: kind === 'Component', k: fixed };
}

export function asList(v: Json | undefined): Json[] | undefined {
  return Array.isArray(v) ? v : undefined;
}

export function asStringList(v: Json | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError(`${where} must be a list`);
  return v.map((x) => {
    if (typeof x !== 'string') throw new KustomizeError(`${where} must be a list of strings`);
    return x;
  });
}

export function asStringMap(v: Json | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) {
    for (const [key, val] of Object.entries(v)) {
      setOwn(
        out,
        key,
        val === null
          ? ''
          : typeof val === 'string'
            ? val
            : typeof val === 'object'
              ? JSON.stringify(val)
              : String(val),
      );
    }
  }
  return out;
}
