// The engine's entry point: a directory in, resources out (kustomize's `krusty.Kustomizer.Run`).
import * as path from 'node:path';
import { defaultMaxFileBytes, type FileSystem, RootedFileSystem } from './fs.js';
import { addHashSuffixes } from './generators/hash.js';
import { findKustomizationFile, loadKustomization } from './kustomization.js';
import { Loader } from './loader.js';
import { sortLegacy } from './order.js';
import { KustomizeError, type Resource } from './resource.js';
import { accumulateKustomization, synthesizeKustomization } from './target.js';
import { fixNameReferences } from './transformers/name-reference.js';
import { resolveVars } from './transformers/vars.js';
import { type JsonObject, stringifyStream } from './yaml.js';

export { KustomizeError } from './resource.js';

export interface BuildOptions {
  /** Refuse builds producing more objects than this. */
  maxResources?: number;
  /**
   * For a directory without a kustomization file, generate one over its YAML files and
   * sub-kustomizations, the way Flux's kustomize-controller does. Off: kustomize's error.
   */
  generateKustomization?: boolean;
}

/** Builds the kustomization in dir (absolute, inside fs). Throws KustomizeError on any problem. */
export function build(fs: FileSystem, dir: string, options: BuildOptions = {}): Resource[] {
  const limits = { maxResources: options.maxResources ?? 20000 };
  const root = path.posix.resolve('/', dir);
  if (fs.stat(root) !== 'dir') throw new KustomizeError(`${dir}: not a directory`);
  const ldr = new Loader(fs, root);
  const kust =
    options.generateKustomization && !findKustomizationFile(fs, root)
      ? synthesizeKustomization(ldr)
      : loadKustomization(fs, root);
  const ra = accumulateKustomization(ldr, kust, limits);
  addHashSuffixes(ra.resources);
  fixNameReferences(ra.resources, ra.config.nameReference);
  resolveVars(ra.resources, ra.vars, ra.config.varReference);
  // Objects marked as local configuration are inputs to the build, not part of its output.
  const out = ra.resources.filter((r) => r.annotations()['config.kubernetes.io/local-config'] !== 'true');
  const sort = ra.sortOptions;
  if (sort?.order === 'fifo') return out;
  return sortLegacy(out, sort?.orderFirst, sort?.orderLast);
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
