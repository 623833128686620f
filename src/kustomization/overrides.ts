// The Kustomization spec's build overrides, merged into the kustomization file of the extracted
// (temporary) artifact the way Flux's generator does it: targetNamespace → namespace, namePrefix /
// nameSuffix replaced, patches and components appended, images merged by name. A directory without
// a kustomization file first gets the one the engine would generate for it.
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { KustomizationSpec } from '../api/kustomization.js';
import { RootedFileSystem } from '../kustomize/fs.js';
import { kustomizationFileNames } from '../kustomize/kustomization.js';
import { Loader } from '../kustomize/loader.js';
import { synthesizeKustomization } from '../kustomize/target.js';
import type { JsonObject } from '../kustomize/yaml.js';

export type BuildOverrides = Pick<
  KustomizationSpec,
  'targetNamespace' | 'namePrefix' | 'nameSuffix' | 'patches' | 'images' | 'components'
>;

function hasOverrides(o: BuildOverrides): boolean {
  return Boolean(
    o.targetNamespace ||
      o.namePrefix ||
      o.nameSuffix ||
      o.patches?.length ||
      o.images?.length ||
      o.components?.length,
  );
}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

/**
 * Writes the overrides into `dir`'s kustomization file (creating one when absent). `root` bounds
 * what the generated kustomization may read. No-op when the spec sets no overrides.
 */
export function applyOverrides(root: string, dir: string, overrides: BuildOverrides): void {
  if (!hasOverrides(overrides)) return;
  const existing = kustomizationFileNames.map((n) => join(dir, n)).find((p) => existsSync(p));
  let doc: ReturnType<typeof parseDocument>;
  if (existing) {
    doc = parseDocument(readFileSync(existing, 'utf8'), { version: '1.1' });
    if (doc.errors.length) throw new Error(`${existing}: ${doc.errors[0]!.message}`);
  } else {
    const fs = new RootedFileSystem(root);
    const generated = synthesizeKustomization(new Loader(fs, realpathSync(dir)));
    doc = parseDocument(stringify(generated.k));
  }
  const k = (doc.toJS() ?? {}) as JsonObject;
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
  const target = existing ?? join(dir, 'kustomization.yaml');
  for (const n of kustomizationFileNames) {
    const p = join(dir, n);
    if (p !== target) rmSync(p, { force: true });
  }
  writeFileSync(target, stringify(k, { version: '1.1' }));
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
