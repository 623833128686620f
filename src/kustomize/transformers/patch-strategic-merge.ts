// Strategic merge patches (`patchesStrategicMerge`, and `patches` entries that are not JSON patches).
import { schemaForKind } from '../merge/schema.js';
import { strategicMerge } from '../merge/smp.js';
import { idDisplay, KustomizeError, type ResId, type Resource, sameId } from '../resource.js';
import type { PatchSchemaData } from '../schema/types.js';
import type { JsonObject } from '../yaml-types.js';

export interface SmPatch {
  patch: JsonObject;
  where: string;
  allowNameChange?: boolean;
  allowKindChange?: boolean;
}

/** Applies one patch to the given targets; returns the resource list without deleted objects. */
export function applySmPatch(
  resources: Resource[],
  targets: Set<Resource>,
  p: SmPatch,
  schemaData?: PatchSchemaData,
): Resource[] {
  const out: Resource[] = [];
  for (const r of resources) {
    if (!targets.has(r)) {
      out.push(r);
      continue;
    }
    const { name, namespace, kind } = r;
    if (p.allowNameChange || p.allowKindChange) r.storePreviousId();
    const patch: JsonObject = { ...p.patch };
    if ('apiVersion' in r.obj) patch.apiVersion = r.apiVersion;
    else delete patch.apiVersion;
    if (p.patch.kind !== undefined) patch.kind = p.patch.kind;
    const schema = schemaForKind(r.apiVersion, r.kind, schemaData);
    let merged: JsonObject | null;
    try {
      merged = strategicMerge(r.obj, patch, schema);
    } catch (e) {
      throw new KustomizeError(`${p.where}: ${(e as Error).message}`);
    }
    if (merged === null || Object.keys(merged).length === 0) continue;
    r.obj = merged;
    if (!p.allowKindChange) r.obj.kind = kind;
    if (!p.allowNameChange) r.name = name;
    r.namespace = namespace;
    out.push(r);
  }
  return out;
}

/** Finds the single resource whose current or earlier id equals id (kustomize's GetById). */
export function getById(resources: Resource[], id: ResId, where: string): Resource {
  const matches = resources.filter((r) => r.allIds.some((x) => sameId(x, id)));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new KustomizeError(`${where}: no resource matches the patch target ${idDisplay(id)}`);
  }
  throw new KustomizeError(`${where}: multiple resources match the patch target ${idDisplay(id)}`);
}
