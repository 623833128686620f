// Strategic merge patch, as kustomize's kyaml merge applies it: maps merge field by field, lists
// with patch strategy "merge" merge element by element on their merge key, other lists are
// replaced; `$patch: delete|replace|merge` and `$deleteFromPrimitiveList` directives are honoured.
// Where the schema says nothing (custom resources, unknown fields) a list of maps is merged when
// its elements carry one of kyaml's associative keys.
import { getOwn, hasOwn, setOwn } from '../own.js';
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
  return normalize(r, schema) as JsonObject;
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
      if (c !== undefined) setOwn(out, k, c);
    }
    return out;
  }
  return v;
}

function mergeMap(dest: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  const out: JsonObject = { ...dest };
  // kyaml drops null fields of schema-less maps it merges into.
  if (!schema) for (const [k, v] of Object.entries(out)) if (v === null && !hasOwn(patch, k)) delete out[k];
  for (const [key, pv] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith('$setElementOrder/')) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const list = getOwn(out, field);
      if (Array.isArray(list) && Array.isArray(pv)) {
        setOwn(
          out,
          field,
          list.filter((x) => !pv.some((d) => d === x)),
        );
      }
      continue;
    }
    const fieldSchema = schemaField(schema, key);
    const merged = mergeValue(getOwn(out, key), pv, fieldSchema);
    if (merged === undefined) delete out[key];
    else setOwn(out, key, merged);
  }
  return out;
}

function mergeList(dest: Json[], patch: Json[], schema: SchemaNode | undefined): Json[] | undefined {
  // A `$patch: replace` element replaces the whole list with the other elements.
  if (patch.some((el) => isObject(el) && el.$patch === 'replace')) {
    return clean(patch.filter((el) => !(isObject(el) && el.$patch === 'replace'))) as Json[];
  }
  // A bare `$patch: delete` element removes the whole list.
  if (patch.some((el) => isObject(el) && el.$patch === 'delete' && Object.keys(el).length === 1))
    return undefined;
  // `$patch: merge` is the default; the element carries nothing else.
  const items = patch.filter(
    (el) => !(isObject(el) && el.$patch === 'merge' && Object.keys(el).length === 1),
  );
  let keys: string[] | undefined;
  let associative: boolean;
  if (schema?.isList) {
    associative = schema.strategy?.split(',').includes('merge') ?? false;
    keys = schema.mapKeys ?? (schema.mergeKey ? [schema.mergeKey] : undefined);
  } else {
    // Without a schema (custom resources, unknown fields) kustomize replaces lists.
    associative = false;
  }
  if (!associative) return clean(items) as Json[];
  const itemSchema = schema?.items;
  if (keys === undefined) {
    // A merged list of primitives: union keeping order.
    const allScalars = [...dest, ...items].every((x) => x === null || typeof x !== 'object');
    if (!allScalars) {
      const k = inferKey(dest) ?? inferKey(items);
      if (!k) return clean(items) as Json[];
      keys = [k];
    } else {
      const out = [...items];
      for (const el of dest) if (!out.some((x) => x === el)) out.push(el);
      return out;
    }
  }
  const ks = keys;
  const same = (a: Json | undefined, b: JsonObject) =>
    isObject(a) && ks.every((k) => keyEquals(keyValue(a, k), keyValue(b, k)));
  // kyaml lists the patch's elements first (merged with their counterparts), then the rest.
  const rest: (Json | undefined)[] = dedupe(dest, ks);
  const head: Json[] = [];
  for (const el of items) {
    if (!isObject(el)) {
      const i = rest.indexOf(el);
      if (i >= 0) rest[i] = undefined;
      if (!head.some((x) => x === el)) head.push(el);
      continue;
    }
    const idx = rest.findIndex((x) => x !== undefined && same(x, el));
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

/** kyaml treats a port without a protocol as TCP when matching list elements. */
function keyValue(o: JsonObject, key: string): Json | undefined {
  const v = getOwn(o, key);
  if (key === 'protocol' && (v === undefined || v === null)) return 'TCP';
  return v;
}

function keyEquals(a: Json | undefined, b: Json | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) {
    return (a === undefined || a === null) && (b === undefined || b === null);
  }
  return String(a) === String(b);
}

/** kyaml keeps one element per key: the last one, where the first one was. */
function dedupe(list: Json[], keys: string[]): Json[] {
  const out: Json[] = [];
  for (const el of list) {
    if (!isObject(el)) {
      out.push(el);
      continue;
    }
    const i = out.findIndex(
      (x) => isObject(x) && keys.every((k) => keyEquals(keyValue(x, k), keyValue(el, k))),
    );
    if (i >= 0) out[i] = el;
    else out.push(el);
  }
  return out;
}

/**
 * What kyaml's merge does to the parts of the object the patch did not touch: null fields are
 * dropped and associative lists keep one element per key.
 */
export function normalize(v: Json, schema: SchemaNode | undefined): Json {
  if (Array.isArray(v)) {
    let list = v;
    if (schema?.isList && schema.strategy?.split(',').includes('merge')) {
      const keys = schema.mapKeys ?? (schema.mergeKey ? [schema.mergeKey] : undefined);
      if (keys) list = dedupe(list, keys);
    }
    return list.map((el) => normalize(el, schema?.items));
  }
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) setOwn(out, k, normalize(val, schemaField(schema, k)));
    return out;
  }
  return v;
}

function inferKey(list: Json[]): string | undefined {
  const first = list[0];
  if (!isObject(first)) return undefined;
  for (const k of associativeKeys) if (hasOwn(first, k)) return k;
  return undefined;
}

export function assertMergeable(patch: Json, where: string): JsonObject {
  if (!isObject(patch)) throw new KustomizeError(`${where}: a strategic merge patch must be a map`);
  return patch;
}
