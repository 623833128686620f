// The engine's entry point: a directory in, resources out (kustomize's `krusty.Kustomizer.Run`).
import * as path from 'node:path';
import { defaultMaxFileBytes, type FileSystem, RootedFileSystem } from './fs.js';
import { addHashSuffixes } from './generators/hash.js';
import { checkKustomization, findKustomizationFile, loadKustomization } from './kustomization.js';
import { Loader } from './loader.js';
import { sortLegacy } from './order.js';
import { isObject, KustomizeError, type Origin, type Resource } from './resource.js';
import { accumulateKustomization } from './target.js';
import { fixNameReferences } from './transformers/name-reference.js';
import { resolveVars } from './transformers/vars.js';
import type { JsonObject } from './yaml-types.js';
import { stringifyOrdered, stringifyStream } from './yaml-write.js';

export { KustomizeError } from './resource.js';

export interface BuildOptions {
  /** Refuse builds producing more objects than this. */
  maxResources?: number;
  /**
   * The kustomization to build for a directory without a kustomization file (for example the one
   * Flux generates). Unset: kustomize's error.
   */
  missingKustomization?: (fs: FileSystem, dir: string) => JsonObject;
}

/** Builds the kustomization in dir (absolute, inside fs). Throws KustomizeError on any problem. */
export function build(fs: FileSystem, dir: string, options: BuildOptions = {}): Resource[] {
  const limits = { maxResources: options.maxResources ?? 20000 };
  const root = path.posix.resolve('/', dir);
  if (fs.stat(root) !== 'dir') throw new KustomizeError(`${dir}: not a directory`);
  const ldr = new Loader(fs, root);
  const kust =
    options.missingKustomization && !findKustomizationFile(fs, root)
      ? { dir: root, file: undefined, ...checkKustomization(options.missingKustomization(fs, root), root) }
      : loadKustomization(fs, root);
  const ra = accumulateKustomization(ldr, kust, limits);
  addHashSuffixes(ra.resources);
  fixNameReferences(ra.resources, ra.config.nameReference);
  resolveVars(ra.resources, ra.vars, ra.config.varReference);
  const meta = Array.isArray(kust.k.buildMetadata) ? kust.k.buildMetadata.map(String) : [];
  for (const r of ra.resources) {
    if (meta.includes('originAnnotations') && r.origin) {
      r.metadata.annotations = {
        ...r.annotations(),
        'config.kubernetes.io/origin': stringifyOrdered(originJson(r.origin)),
      };
    }
    if (meta.includes('transformerAnnotations') && r.transformations.length > 0) {
      r.metadata.annotations = {
        ...r.annotations(),
        'alpha.config.kubernetes.io/transformations': stringifyOrdered(r.transformations.map(originJson)),
      };
    }
    if (meta.includes('managedByLabel')) {
      r.metadata.labels = { ...r.labels(), 'app.kubernetes.io/managed-by': 'kustomize-v5.5.0' };
    }
    // kyaml clears its own bookkeeping annotations on output and, with them, an empty map.
    const md = r.obj.metadata;
    if (isObject(md) && isObject(md.annotations) && Object.keys(md.annotations).length === 0) {
      delete md.annotations;
    }
  }
  // Objects marked as local configuration are inputs to the build, not part of its output.
  const out = ra.resources.filter((r) => r.annotations()['config.kubernetes.io/local-config'] !== 'true');
  const sort = ra.sortOptions;
  if (sort?.order === 'fifo') return out;
  return sortLegacy(out, sort?.orderFirst, sort?.orderLast);
}

/** An origin in kustomize's field order (its YAML is written in struct order, not sorted). */
function originJson(o: Origin): JsonObject {
  const out: JsonObject = {};
  if (o.path) out.path = o.path;
  if (o.repo) out.repo = o.repo;
  if (o.ref) out.ref = o.ref;
  if (o.configuredIn) out.configuredIn = o.configuredIn;
  if (o.configuredBy) {
    const by: JsonObject = { apiVersion: o.configuredBy.apiVersion, kind: o.configuredBy.kind };
    if (o.configuredBy.name) by.name = o.configuredBy.name;
    if (o.configuredBy.namespace) by.namespace = o.configuredBy.namespace;
    out.configuredBy = by;
  }
  return out;
}

/** The objects of a build, as plain JSON objects. */
export function toObjects(resources: Resource[]): JsonObject[] {
  return resources.map((r) => r.obj);
}

/** YAML exactly as `kustomize build` prints it. */
export function toYaml(resources: Resource[]): string {
  return stringifyStream(toObjects(resources));
}

/** Builds a directory of the local disk; files are only read inside `root` (default: dir itself). */
export function buildDirectory(dir: string, root = dir, options: BuildOptions = {}): Resource[] {
  const fs = new RootedFileSystem(root, defaultMaxFileBytes);
  const abs = path.resolve(dir);
  const rel = path.relative(path.resolve(root), abs);
  return build(fs, path.posix.join(fs.root, rel.split(path.sep).join('/')), options);
}
