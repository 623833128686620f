// RFC 6902 JSON patch over plain JSON values (what kustomize does through evanphx/json-patch).
import { getOwn, hasOwn, setOwn } from '../own.js';
import { isObject, KustomizeError } from '../resource.js';
import type { Json, JsonObject } from '../yaml-types.js';

export interface JsonPatchOp {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

export function parseJsonPatch(v: Json, where: string): JsonPatchOp[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError(`${where}: a JSON patch must be a list of operations`);
  return v.map((op, i) => {
    if (!isObject(op) || typeof op.op !== 'string') {
      throw new KustomizeError(`${where}: operation ${i} has no "op"`);
    }
    if (typeof op.path !== 'string') throw new KustomizeError(`${where}: operation ${i} has no "path"`);
    const out: JsonPatchOp = { op: op.op, path: op.path };
    if (hasOwn(op, 'value')) out.value = op.value as Json;
    if (typeof op.from === 'string') out.from = op.from;
    return out;
  });
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new KustomizeError(`JSON pointer "${path}" must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function index(arr: Json[], token: string, forAdd: boolean, path: string): number {
  if (token === '-' && forAdd) return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new KustomizeError(`invalid array index "${token}" in ${path}`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i >= arr.length)) {
    throw new KustomizeError(`array index ${i} out of bounds in ${path}`);
  }
  return i;
}

/** Follows tokens from doc; only own keys of maps lead anywhere (`__proto__` is data, not a way out). */
function walk(doc: Json, tokens: string[], path: string): Json {
  let cur: Json = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[index(cur, t, false, path)]!;
    else if (isObject(cur) && hasOwn(cur, t)) cur = getOwn(cur, t)!;
    else throw new KustomizeError(`path ${path} does not exist`);
  }
  return cur;
}

function parentOf(doc: Json, tokens: string[], path: string): Json {
  return walk(doc, tokens.slice(0, -1), path);
}

function get(doc: Json, path: string): Json {
  return walk(doc, pointer(path), path);
}

function add(doc: Json, path: string, value: Json): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(index(parent, last, true, path), 0, value);
  else if (isObject(parent)) setOwn(parent, last, value);
  else throw new KustomizeError(`cannot add at ${path}: parent is not a map or list`);
  return doc;
}

function remove(doc: Json, path: string): Json {
  const tokens = pointer(path);
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) parent.splice(index(parent, last, false, path), 1);
  else if (isObject(parent) && hasOwn(parent, last)) delete parent[last];
  else throw new KustomizeError(`cannot remove ${path}: it does not exist`);
  return doc;
}

/** evanphx/json-patch's equality for `test`: maps by their own keys in any order, lists in order. */
function deepEqual(a: Json, b: Json): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]!))
    );
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => hasOwn(b, k) && deepEqual(a[k]!, getOwn(b, k)!))
    );
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

export function applyJsonPatch(doc: JsonObject, ops: JsonPatchOp[]): JsonObject {
  let cur: Json = doc;
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        cur = add(cur, op.path, structuredClone(op.value ?? null));
        break;
      case 'remove':
        cur = remove(cur, op.path);
        break;
      case 'replace':
        get(cur, op.path);
        cur = remove(cur, op.path);
        cur = add(cur, op.path, structuredClone(op.value ?? null));
        break;
      case 'move': {
        if (op.from === undefined) throw new KustomizeError('move operation needs "from"');
        const v = get(cur, op.from);
        cur = remove(cur, op.from);
        cur = add(cur, op.path, v);
        break;
      }
      case 'copy': {
        if (op.from === undefined) throw new KustomizeError('copy operation needs "from"');
        cur = add(cur, op.path, structuredClone(get(cur, op.from)));
        break;
      }
      case 'test':
        if (!deepEqual(get(cur, op.path), op.value ?? null)) {
          throw new KustomizeError(`test operation failed at ${op.path}`);
        }
        break;
      default:
        throw new KustomizeError(`unknown JSON patch operation "${op.op}"`);
    }
  }
  if (!isObject(cur)) throw new KustomizeError('JSON patch did not produce an object');
  return cur;
}
