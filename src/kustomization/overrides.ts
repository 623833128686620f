// The Kustomization spec's build overrides, merged into the kustomization file the way Flux's
// generator does it: targetNamespace → namespace, namePrefix /
// nameSuffix replaced, patches and components appended (missing components dropped when
// ignoreMissingComponents), buildMetadata added, images merged by name. A directory without
// a kustomization file first gets the one the engine would generate for it.
import * as path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { KustomizationSpec } from '../api/kustomization.js';
import type { FileSystem } from '../kustomize/fs.js';
import { kustomizationFileNames } from '../kustomize/kustomization.js';
import type { JsonObject } from '../kustomize/yaml-types.js';
import { generatedKustomization } from './buildkustomization.js';

export type BuildOverrides = Pick<
  KustomizationSpec,
  | 'targetNamespace'
  | 'namePrefix'
  | 'nameSuffix'
  | 'patches'
  | 'images'
  | 'components'
  | 'ignoreMissingComponents'
  | 'buildMetadata'
>;

function hasOverrides(o: BuildOverrides): boolean {
  return Boolean(
    o.targetNamespace ||
      o.namePrefix ||
      o.nameSuffix ||
      o.patches?.length ||
      o.images?.length ||
      o.components?.length ||
      o.buildMetadata?.length ||
      o.ignoreMissingComponents,
  );
}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/**
 * The kustomization file of `dir` with the overrides merged in, as in-memory file contents for an
 * OverlayFileSystem (the other kustomization file names are hidden). Undefined when the spec sets
 * no overrides. `dir` is an absolute path inside `fs`.
 */
export function overriddenKustomization(
  fs: FileSystem,
  dir: string,
  overrides: BuildOverrides,
): Map<string, string | null> | undefined {
  if (!hasOverrides(overrides)) return undefined;
  const existing = kustomizationFileNames
    .map((n) => path.posix.join(dir, n))
    .find((p) => fs.stat(p) === 'file');
  let k: JsonObject;
  if (existing) {
    const doc = parseDocument(fs.readFile(existing), { version: '1.1' });
    if (doc.errors.length) throw new Error(`${existing}: ${doc.errors[0]!.message}`);
    k = (doc.toJS() ?? {}) as JsonObject;
  } else {
    k = generatedKustomization(fs, dir);
  }
  if (overrides.targetNamespace) k.namespace = overrides.targetNamespace;
  if (overrides.namePrefix) k.namePrefix = overrides.namePrefix;
  if (overrides.nameSuffix) k.nameSuffix = overrides.nameSuffix;
  if (overrides.patches?.length) {
    const patches = Array.isArray(k.patches) ? k.patches : [];
    k.patches = [...patches, ...overrides.patches.map((p) => ({ ...p }) as unknown as JsonObject)];
  }
  if (overrides.components?.length) {
    const components = Array.isArray(k.components) ? k.components : [];
    k.components = [...components, ...overrides.components];
  }
  if (overrides.ignoreMissingComponents && Array.isArray(k.components)) {
    // Flux drops the component paths not found in the source from the generated file.
    k.components = k.components.filter(
      (c) => typeof c !== 'string' || fs.stat(path.posix.join(dir, c)) !== undefined,
    );
  }
  if (overrides.buildMetadata?.length) {
    const meta = Array.isArray(k.buildMetadata) ? k.buildMetadata.map(String) : [];
    k.buildMetadata = [...new Set([...meta, ...overrides.buildMetadata])];
  }
  if (overrides.images?.length) {
    const images = (Array.isArray(k.images) ? k.images : []) as unknown as ImageOverride[];
    for (const img of overrides.images as ImageOverride[]) {
      const i = images.findIndex((x) => x.name === img.name);
      if (i >= 0) images[i] = { ...img };
      else images.push({ ...img });
    }
    k.images = images as unknown as JsonObject[];
  }
  if (k.namespace === '_placeholder' && overrides.targetNamespace === undefined) delete k.namespace;
  const target = existing ?? path.posix.join(dir, 'kustomization.yaml');
  const files = new Map<string, string | null>();
  for (const n of kustomizationFileNames) files.set(path.posix.join(dir, n), null);
  files.set(target, stringify(k, { version: '1.1' }));
  return files;
}

/** spec.commonMetadata: labels and annotations set on every built object, overriding existing keys. */
export function applyCommonMetadata(
  objects: JsonObject[],
  common: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
): void {
  if (!common?.labels && !common?.annotations) return;
  for (const obj of objects) {
    const meta = ((obj.metadata as JsonObject | undefined) ?? {}) as JsonObject;
    obj.metadata = meta;
    if (common.labels) meta.labels = { ...((meta.labels as JsonObject | undefined) ?? {}), ...common.labels };
    if (common.annotations) {
      meta.annotations = { ...((meta.annotations as JsonObject | undefined) ?? {}), ...common.annotations };
    }
  }
}
