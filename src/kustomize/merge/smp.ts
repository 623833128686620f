// Strategic merge patch, as kustomize's kyaml merge applies it: maps merge field by field, lists
// with patch strategy "merge" merge element by element on their merge key, other lists are
// replaced; `$patch: delete|replace|merge` and `$deleteFromPrimitiveList` directives are honoured.
// Where the schema says nothing (custom resources, unknown fields) a list of maps is merged when
// its elements carry one of kyaml's associative keys.
import { getOwn, hasOwn, setOwn } from '../own.js';
import { isObject, KustomizeError } from '../resource.js';
import type { Json, JsonObject } from '../yaml-types.js';
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
  // kyaml walks the fields the patch does not touch too.
  for (const [key, v] of Object.entries(out)) {
    if (!Object.hasOwn(patch, key)) setOwn(out, key, normalize(v, schemaField(schema, key)));
  }
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
  let keys: string[] | undefined;
  let associative: boolean;
  if (schema?.isList) {
    associative = schema.strategy?.split(',').includes('merge') ?? false;
    keys = schema.mapKeys ?? (schema.mergeKey ? [schema.mergeKey] : undefined);
  } else {
    // Without a schema (custom resources, unknown fields) kustomize replaces lists.
    associative = false;
  }
  if (!associative) return clean(patch) as Json[];
  // The first element carrying `$patch` alone is a directive for the whole list.
  const directive = listDirective(patch);
  let items = patch;
  if (directive) {
    items = patch.filter((el) => !(isObject(el) && el.$patch === directive));
    if (directive === 'delete') return undefined;
    if (directive === 'replace') return clean(items) as Json[];
  }
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
  return mergeAssociative(dest, items, keys, schema?.items);
}

function listDirective(patch: Json[]): string | undefined {
  const first = patch.find((el) => isObject(el) && Object.hasOwn(el, '$patch'));
  if (!isObject(first) || Object.keys(first).length !== 1) return undefined;
  const v = first.$patch;
  if (v === 'delete' || v === 'replace' || v === 'merge') return v;
  throw new KustomizeError(`unknown patch strategy '${String(v)}'`);
}

/** A key's value as kyaml compares it: the scalar's text; "" when missing, null or not a scalar. */
function keyText(el: Json | undefined, key: string): string {
  if (!isObject(el) || !Object.hasOwn(el, key)) return '';
  const v = el[key];
  if (v === null || v === undefined || typeof v === 'object') return '';
  return String(v);
}

/** kyaml's ElementList: whether every key is present with exactly this text. */
function matchesExact(el: Json, keys: string[], values: string[]): boolean {
  if (!isObject(el)) return false;
  return keys.every((k, i) => Object.hasOwn(el, k) && keyText(el, k) === values[i]);
}

/** kyaml's ElementSetter: drops empty elements; replaces (without an element: removes) every element
 * matching the key values ("" = the field only has to exist), or appends the element. With fewer
 * values than keys only the first keys count; with no values nothing matches and nothing is kept. */
function setElement(list: Json[], keys: string[], values: string[], element: Json | undefined): Json[] {
  const out: Json[] = [];
  let found = false;
  for (const el of list) {
    if (el === null || (isObject(el) && Object.keys(el).length === 0)) continue;
    if (!isObject(el)) {
      out.push(el);
      continue;
    }
    const matches =
      values.length > 0 &&
      values.every((v, j) => Object.hasOwn(el, keys[j]!) && (v === '' || keyText(el, keys[j]!) === v));
    if (!matches) {
      if (values.length > 0) out.push(el);
      continue;
    }
    found = true;
    if (element !== undefined) out.push(element);
  }
  if (element !== undefined && !found) out.push(element);
  return out;
}

/** The keys (and this tuple's values) that identify elements: those set on some element. */
function validKeys(all: string[][], values: string[], keys: string[]): [string[], string[]] {
  const used = keys.filter((_, i) => all.some((v) => v[i] !== ''));
  if (used.length === 0) return [keys, values];
  return [used, values.filter((_, i) => used.includes(keys[i]!))];
}

/** Two key tuples name the same element when they share a value and differ only where one is empty. */
function fillTuple(a: string[], b: string[]): string[] | undefined {
  let common = false;
  const res: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      common = true;
      res.push(a[i]!);
      continue;
    }
    if (a[i] !== '' && b[i] !== '') return undefined;
    res.push(a[i] !== '' ? a[i]! : b[i]!);
  }
  return common ? res : undefined;
}

/**
 * kyaml's merge of an associative list with patches prepended (kustomize's setting). Every key
 * tuple, the patch's first, is walked with its first match in the target and in the patch; a
 * merged element replaces its target element in place; the result lists the patch-only elements
 * first, then the target's elements in their order (one per key: the last, where the first was).
 * With several keys (ports: containerPort + protocol) a key missing from one tuple is filled from a
 * tuple that shares a value, so a patch element without `protocol` no longer finds a target element
 * that has one, and is dropped.
 */
function mergeAssociative(
  destIn: Json[],
  patch: Json[],
  keys: string[],
  itemSchema: SchemaNode | undefined,
): Json[] | undefined {
  let dest = [...destIn];
  const tuples: string[][] = [];
  const seen = new Set<string>();
  for (const el of [...patch, ...dest]) {
    const t = keys.map((k) => keyText(el, k));
    const id = JSON.stringify(t);
    if (seen.has(id)) continue;
    seen.add(id);
    tuples.push(t);
  }
  if (tuples.length === 0) return dest;
  if (keys.length > 1) {
    for (let i = 0; i < tuples.length; i++) {
      const a = tuples[i]!;
      for (let j = 0; j < tuples.length; j++) {
        const r = fillTuple(a, tuples[j]!);
        if (r) {
          tuples[i] = r;
          tuples[j] = r;
        }
      }
    }
  }
  let items: Json[] = [];
  let vKeys = keys;
  for (const t of tuples) {
    let vValues: string[];
    [vKeys, vValues] = validKeys(tuples, t, keys);
    const [lk, lv] = validKeys([vValues], vValues, vKeys);
    const di = dest.findIndex((el) => matchesExact(el, lk, lv));
    const d = di >= 0 ? dest[di] : undefined;
    const p = patch.find((el) => matchesExact(el, lk, lv));
    const { value: v, inPlace } = walkElement(d, p, itemSchema);
    if (inPlace && di >= 0 && v !== undefined) dest[di] = v;
    if (v === undefined || v === null || (isObject(v) && Object.keys(v).length === 0)) {
      dest = setElement(dest, vKeys, vValues, undefined);
      continue;
    }
    if (isObject(v)) {
      for (let i = 0; i < vKeys.length; i++) {
        const k = vKeys[i]!;
        if (Object.hasOwn(v, k) || vValues[i] === '') continue;
        const src = isObject(d) && hasOwn(d, k) ? getOwn(d, k) : isObject(p) ? getOwn(p, k) : undefined;
        if (src !== undefined) setOwn(v, k, src);
      }
    }
    items = setElement(items, vKeys, vValues, v);
  }
  // The target's elements, as merged in place, are set into the result by key.
  for (const el of dest) {
    const values: string[] = [];
    for (const k of vKeys) {
      // kyaml appends the element once for every key it lacks.
      if (!isObject(el) || !Object.hasOwn(el, k)) items.push(el);
      else values.push(keyText(el, k));
    }
    if (vKeys.length > 1) items = setElement(items, vKeys, values, undefined);
    items = setElement(items, vKeys, values, el);
  }
  return items;
}

/** One element walked with its counterparts; inPlace when kyaml changes the target's own node. */
function walkElement(
  d: Json | undefined,
  p: Json | undefined,
  schema: SchemaNode | undefined,
): { value: Json | undefined; inPlace: boolean } {
  if (p === undefined) return { value: d === undefined ? undefined : normalize(d, schema), inPlace: true };
  if (isObject(p)) {
    if (p.$patch === 'delete') return { value: undefined, inPlace: false };
    if (p.$patch === 'replace') return { value: clean(withoutDirective(p)), inPlace: false };
    if (!isObject(d)) return { value: clean(p), inPlace: false };
    return { value: mergeMap(d, withoutDirective(p), schema), inPlace: true };
  }
  return { value: p, inPlace: false };
}

/**
 * What kyaml's merge does to the parts of the object the patch did not touch: null fields are
 * dropped and associative lists are walked as if merged with nothing.
 */
export function normalize(v: Json, schema: SchemaNode | undefined): Json {
  if (Array.isArray(v)) {
    if (schema?.isList && schema.strategy?.split(',').includes('merge')) {
      const keys = schema.mapKeys ?? (schema.mergeKey ? [schema.mergeKey] : undefined);
      if (keys && v.some(isObject)) return mergeAssociative(v, [], keys, schema.items) ?? [];
    }
    return v.map((el) => normalize(el, schema?.items));
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
