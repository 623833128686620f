// Strategic merge patch, as kustomize's kyaml merge applies it: maps merge field by field, lists
// with patch strategy "merge" merge element by element on their merge key, other lists are
// replaced; `$patch: delete|replace|merge` and `$deleteFromPrimitiveList` directives are honoured.
// Where the schema says nothing (custom resources, unknown fields) a list of maps is merged when
// its elements carry one of kyaml's associative keys.
import { isObject, KustomizeError } from '../resource.js';
import type { Json, JsonObject } from '../yaml.js';
import { type SchemaNode, schemaField } from './schema.js';

/** kyaml's keys that make a schema-less list associative, in the order they are tried. */
const associativeKeys = ['mountPath', 'devicePath', 'ip', 'type', 'topologyKey', 'name', 'containerPort'];

export function strategicMerge(
  dest: JsonObject,
  patch: JsonObject,
  schema: SchemaNode | undefined,
): JsonObject | null {
  const r = mergeValue(dest, patch, schema);
  if (r === undefined || r === null) return null;
  return r as JsonObject;
}

/** Returns the merged value; undefined means "delete this field". */
function mergeValue(dest: Json | undefined, patch: Json, schema: SchemaNode | undefined): Json | undefined {
  if (patch === null) return undefined;
  if (isObject(patch)) {
    const directive = patch.$patch;
    if (directive === 'delete') return undefined;
    if (directive === 'replace') return clean(withoutDirective(patch));
    if (!isObject(dest)) return clean(patch);
    return mergeMap(dest, patch, schema);
  }
  if (Array.isArray(patch)) {
    if (!Array.isArray(dest)) return clean(patch);
    return mergeList(dest, patch, schema);
  }
  return patch;
}

function withoutDirective(o: JsonObject): JsonObject {
  const { $patch: _, ...rest } = o;
  return rest;
}

/** Strips directives from a value that is copied in without merging. */
function clean(v: Json): Json | undefined {
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const el of v) {
      if (isObject(el) && (el.$patch === 'delete' || el.$patch === 'replace')) {
        if (el.$patch === 'delete') continue;
        const rest = withoutDirective(el);
        if (Object.keys(rest).length === 0) continue;
      }
      const c = clean(el);
      if (c !== undefined) out.push(c);
    }
    return out;
  }
  if (isObject(v)) {
    if (v.$patch === 'delete') return undefined;
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) {
      if (
        k === '$patch' ||
        k === '$retainKeys' ||
        k.startsWith('$setElementOrder/') ||
        k.startsWith('$deleteFromPrimitiveList/')
      ) {
        continue;
      }
      if (val === null) continue;
      const c = clean(val);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  return v;
}

function mergeMap(dest: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  const out: JsonObject = { ...dest };
  for (const [key, pv] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = out[field];
      if (Array.isArray(list) && Array.isArray(pv)) {
        out[field] = list.filter((x) => !pv.some((d) => d === x));
      }
      continue;
    }
    const fieldSchema = schemaField(schema, key);
    const merged = mergeValue(out[key], pv, fieldSchema);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

function mergeList(dest: Json[], patch: Json[], schema: SchemaNode | undefined): Json[] {
  // A `$patch: replace` element replaces the whole list with the other elements.
  if (patch.some((el) => isObject(el) && el.$patch === 'replace')) {
    return clean(patch.filter((el) => !(isObject(el) && el.$patch === 'replace'))) as Json[];
  }
  let key: string | undefined;
  let associative: boolean;
  if (schema?.isList) {
    associative = schema.strategy?.split(',').includes('merge') ?? false;
    key = schema.mergeKey;
  } else {
    associative = false;
  }
  if (!schema?.isList) {
    key = inferKey(dest) ?? inferKey(patch);
    associative = key !== undefined;
  }
  if (!associative) return clean(patch) as Json[];
  const itemSchema = schema?.items;
  if (key === undefined) {
    // Merge list of primitives (or maps without a key): union keeping dest order.
    const allScalars = [...dest, ...patch].every((x) => x === null || typeof x !== 'object');
    if (!allScalars) {
      const k = inferKey(dest) ?? inferKey(patch);
      if (!k) return clean(patch) as Json[];
      key = k;
    } else {
      const out = [...dest];
      for (const el of patch) if (!out.some((x) => x === el)) out.push(el);
      return out;
    }
  }
  // kyaml lists the patch's elements first (merged with their counterparts), then the rest.
  const rest: (Json | undefined)[] = dest.map((x) => x);
  const head: Json[] = [];
  for (const el of patch) {
    if (!isObject(el)) {
      const i = rest.findIndex((x) => x === el);
      if (i >= 0) rest[i] = undefined;
      if (!head.some((x) => x === el)) head.push(el);
      continue;
    }
    const kv = el[key];
    const idx = rest.findIndex((x) => x !== undefined && isObject(x) && keyEquals(x[key!], kv));
    const existing = idx >= 0 ? rest[idx] : undefined;
    if (idx >= 0) rest[idx] = undefined;
    if (el.$patch === 'delete') continue;
    if (existing === undefined) {
      const c = clean(el);
      if (c !== undefined) head.push(c);
      continue;
    }
    const merged = mergeValue(existing, el, itemSchema);
    if (merged !== undefined) head.push(merged);
  }
  return [...head, ...(rest.filter((x) => x !== undefined) as Json[])];
}

function keyEquals(a: Json | undefined, b: Json | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return String(a) === String(b);
}

function inferKey(list: Json[]): string | undefined {
  const first = list[0];
  if (!isObject(first)) return undefined;
  for (const k of associativeKeys) if (k in first) return k;
  return undefined;
}

export function assertMergeable(patch: Json, where: string): JsonObject {
  if (!isObject(patch)) throw new KustomizeError(`${where}: a strategic merge patch must be a map`);
  return patch;
}
