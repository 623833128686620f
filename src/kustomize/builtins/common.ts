// Helpers shared by the builtin plugins and the kustomization target.
import { KustomizeError } from '../resource.js';
import { YamlError } from '../yaml-read.js';
import type { Json } from '../yaml-types.js';

export function fail(where: string, msg: string): never {
  throw new KustomizeError(`${where}: ${msg}`);
}

export function wrapYaml<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof YamlError) throw new KustomizeError(e.message);
    throw e;
  }
}

export function str(v: Json | undefined): string {
  return v === undefined || v === null ? '' : String(v);
}
