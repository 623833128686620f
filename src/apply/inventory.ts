// The inventory of applied objects, as Flux stores it in a Kustomization's status:
// `{id: "<namespace>_<name>_<group>_<kind>", v: "<version>"}`, sorted by id. RBAC names may
// contain `:`, which cli-utils' ObjMetadata transcodes to `__` (flux-api.md §2.2).
import type { ObjectRef } from '../kube/dynamic.js';
import { compareDeleteOrder } from './order.js';

export interface InventoryEntry {
  id: string;
  v: string;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';

export function inventoryId(ref: Pick<ObjectRef, 'namespace' | 'name' | 'group' | 'kind'>): string {
  const name = ref.group === RBAC_GROUP ? ref.name.replaceAll(':', '__') : ref.name;
  return `${ref.namespace}_${name}_${ref.group}_${ref.kind}`;
}

/** Parses an inventory id back into an object reference; undefined when it is malformed. */
export function parseInventoryId(id: string, version = ''): ObjectRef | undefined {
  const fields = id.split('_');
  if (fields.length < 4) return undefined;
  const kind = fields[fields.length - 1]!;
  const group = fields[fields.length - 2]!;
  const namespace = fields[0]!;
  let name = fields.slice(1, -2).join('_');
  if (group === RBAC_GROUP) name = name.replaceAll('__', ':');
  if (!kind || !name) return undefined;
  return { group, version, kind, namespace, name };
}

export function entryRef(entry: InventoryEntry): ObjectRef | undefined {
  return parseInventoryId(entry.id, entry.v);
}

/** Inventory of a set of objects: one entry per object, sorted by id, duplicates removed. */
export function inventoryOf(refs: Iterable<ObjectRef>): InventoryEntry[] {
  const byId = new Map<string, InventoryEntry>();
  for (const ref of refs) byId.set(inventoryId(ref), { id: inventoryId(ref), v: ref.version });
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Entries of `previous` whose object is not in `current` (same id, any version): what a prune
 * deletes, in delete order.
 */
export function staleEntries(previous: InventoryEntry[], current: InventoryEntry[]): InventoryEntry[] {
  const keep = new Set(current.map((e) => e.id));
  const stale = previous.filter((e) => !keep.has(e.id));
  return stale
    .map((e) => ({ e, ref: entryRef(e) }))
    .sort((a, b) =>
      a.ref && b.ref ? compareDeleteOrder(a.ref, b.ref) : a.e.id < b.e.id ? -1 : a.e.id > b.e.id ? 1 : 0,
    )
    .map(({ e }) => e);
}
