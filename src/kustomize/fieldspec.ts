// Field specs: "which field of which kinds" (kustomize's FieldSpec), how to walk them, and the
// transformer configuration (default field specs per transformer, extended by `configurations`
// and `crds`).

import {
  commonAnnotationSpecs,
  commonLabelSpecs,
  imageSpecs,
  nameReferenceSpecs,
  namespaceSpecs,
  replicaSpecs,
  templateLabelSpecs,
  varReferenceSpecs,
} from './defaults.js';
import type { FieldSpec, NameBackReference } from './fieldspec-types.js';
import { getOwn, hasOwn, setOwn } from './own.js';
import { type Gvk, KustomizeError, parseApiVersion } from './resource.js';
import type { Json, JsonObject } from './yaml-types.js';

export type { FieldSpec, NameBackReference } from './fieldspec-types.js';

export interface TransformerConfig {
  namePrefix: FieldSpec[];
  nameSuffix: FieldSpec[];
  namespace: FieldSpec[];
  commonLabels: FieldSpec[];
  /** Extra places for the `labels` field's pairs. */
  labels: FieldSpec[];
  templateLabels: FieldSpec[];
  commonAnnotations: FieldSpec[];
  images: FieldSpec[];
  replicas: FieldSpec[];
  varReference: FieldSpec[];
  nameReference: NameBackReference[];
}

export function emptyConfig(): TransformerConfig {
  return {
    namePrefix: [],
    nameSuffix: [],
    namespace: [],
    commonLabels: [],
    labels: [],
    templateLabels: [],
    commonAnnotations: [],
    images: [],
    replicas: [],
    varReference: [],
    nameReference: [],
  };
}

export function defaultConfig(): TransformerConfig {
  return {
    namePrefix: [{ path: 'metadata/name' }],
    nameSuffix: [{ path: 'metadata/name' }],
    namespace: namespaceSpecs.map((f) => ({ ...f })),
    commonLabels: commonLabelSpecs.map((f) => ({ ...f })),
    labels: [],
    templateLabels: templateLabelSpecs.map((f) => ({ ...f })),
    commonAnnotations: commonAnnotationSpecs.map((f) => ({ ...f })),
    images: imageSpecs.map((f) => ({ ...f })),
    replicas: replicaSpecs.map((f) => ({ ...f })),
    varReference: varReferenceSpecs.map((f) => ({ ...f })),
    nameReference: nameReferenceSpecs.map((b) => ({
      gvk: { ...b.gvk },
      referrers: b.referrers.map((f) => ({ ...f })),
    })),
  };
}

function sameSpec(a: FieldSpec, b: FieldSpec): boolean {
  return (
    a.path === b.path &&
    (a.group ?? '') === (b.group ?? '') &&
    (a.version ?? '') === (b.version ?? '') &&
    (a.kind ?? '') === (b.kind ?? '')
  );
}

function mergeSpecs(into: FieldSpec[], from: FieldSpec[]): void {
  for (const f of from) {
    const existing = into.find((x) => sameSpec(x, f));
    if (!existing) into.push({ ...f });
    else if (Boolean(existing.create) !== Boolean(f.create)) {
      throw new KustomizeError(
        `conflicting fieldspecs for path ${f.path} (create ${existing.create} vs ${f.create})`,
      );
    }
  }
}

export function mergeConfig(into: TransformerConfig, from: TransformerConfig): void {
  for (const key of [
    'namePrefix',
    'nameSuffix',
    'namespace',
    'commonLabels',
    'labels',
    'templateLabels',
    'commonAnnotations',
    'images',
    'replicas',
    'varReference',
  ] as const) {
    mergeSpecs(into[key], from[key]);
  }
  for (const b of from.nameReference) {
    const existing = into.nameReference.find(
      (x) =>
        (x.gvk.group ?? '') === (b.gvk.group ?? '') &&
        (x.gvk.version ?? '') === (b.gvk.version ?? '') &&
        (x.gvk.kind ?? '') === (b.gvk.kind ?? ''),
    );
    if (existing) mergeSpecs(existing.referrers, b.referrers);
    else into.nameReference.push({ gvk: { ...b.gvk }, referrers: b.referrers.map((f) => ({ ...f })) });
  }
}

/** Reads a field spec written in a kustomization or configuration file. */
export function parseFieldSpec(v: Json, where: string): FieldSpec {
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new KustomizeError(`${where}: fieldSpec must be a map`);
  const o = v as JsonObject;
  const fs: FieldSpec = { path: typeof o.path === 'string' ? o.path : '' };
  let group = typeof o.group === 'string' ? o.group : undefined;
  let version = typeof o.version === 'string' ? o.version : undefined;
  if (typeof o.apiVersion === 'string') {
    const gv = parseApiVersion(o.apiVersion);
    group = gv.group;
    version = gv.version;
  }
  if (group) fs.group = group;
  if (version) fs.version = version;
  if (typeof o.kind === 'string' && o.kind) fs.kind = o.kind;
  if (o.create === true) fs.create = true;
  return fs;
}

export function parseFieldSpecs(v: Json | undefined, where: string): FieldSpec[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError(`${where}: fieldSpecs must be a list`);
  return v.map((x) => parseFieldSpec(x, where));
}

/** Reads a transformer configuration file (the `configurations` entries). */
export function parseConfig(v: Json, where: string): TransformerConfig {
  const c = emptyConfig();
  if (v === null) return c;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new KustomizeError(`${where}: configuration must be a map`);
  for (const [key, value] of Object.entries(v)) {
    switch (key) {
      case 'namePrefix':
      case 'nameSuffix':
      case 'namespace':
      case 'commonLabels':
      case 'labels':
      case 'templateLabels':
      case 'commonAnnotations':
      case 'images':
      case 'replicas':
      case 'varReference':
        c[key] = parseFieldSpecs(value, where);
        break;
      case 'nameReference':
        if (!Array.isArray(value)) throw new KustomizeError(`${where}: nameReference must be a list`);
        for (const b of value) {
          const o = b as JsonObject;
          const spec = parseFieldSpec({ ...o, path: '' }, where);
          const gvk: Partial<Gvk> = {};
          if (spec.group) gvk.group = spec.group;
          if (spec.version) gvk.version = spec.version;
          if (spec.kind) gvk.kind = spec.kind;
          c.nameReference.push({ gvk, referrers: parseFieldSpecs(o.fieldSpecs, where) });
        }
        break;
      default:
        throw new KustomizeError(`${where}: unknown transformer configuration field "${key}"`);
    }
  }
  return c;
}

/** Does this gvk match a (possibly partial) selector? Empty selector fields match anything. */
export function gvkSelected(gvk: Gvk, sel: Partial<Gvk>): boolean {
  if (sel.group && sel.group !== gvk.group) return false;
  if (sel.version && sel.version !== gvk.version) return false;
  if (sel.kind && sel.kind !== gvk.kind) return false;
  return true;
}

/** Splits "a/b\/c/d" into ["a", "b/c", "d"]. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && path[i + 1] === '/') {
      cur += '/';
      i++;
    } else if (ch === '/') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.filter((s, i) => s !== '' || i === 0);
}

/**
 * Called with a map and one of its keys. The key is always an own property of the map while the
 * visitor runs (a missing field, visited to be created, is an own property holding undefined), so
 * `parent[key]` reads and writes data even for keys like `__proto__` or `constructor`.
 */
export type FieldVisitor = (parent: JsonObject, key: string) => void;

interface Segment {
  name: string;
  seq: boolean;
  match?: { key: string; value: string };
}

const segmentCache = new Map<string, Segment[]>();

function segmentsOf(path: string): Segment[] {
  let s = segmentCache.get(path);
  if (!s) {
    s = splitPath(path).map((p) => {
      const m = elementMatch(p);
      if (m) return { name: m.name, seq: true, match: { key: m.key, value: m.value } };
      if (p.endsWith('[]')) return { name: p.slice(0, -2), seq: true };
      return { name: p, seq: false };
    });
    // Paths come from repositories too: the process-wide cache stays bounded.
    if (segmentCache.size >= 4096) segmentCache.clear();
    segmentCache.set(path, s);
  }
  return s;
}

/**
 * `name[key=value]` as `/^(.*)\[([^=\]]*)=([^\]]*)\]$/` reads it, in linear time: the last `[`
 * after any inner `]` that still has a `=` after it opens the selector.
 */
function elementMatch(p: string): { name: string; key: string; value: string } | undefined {
  if (!p.endsWith(']')) return undefined;
  const body = p.slice(0, -1);
  const lastEq = body.lastIndexOf('=');
  if (lastEq < 1) return undefined;
  // `.` does not match line terminators, so the name ends before the first one.
  const lineEnd = body.search(/[\n\r\u2028\u2029]/);
  const open = body.lastIndexOf('[', lineEnd < 0 ? lastEq - 1 : Math.min(lastEq - 1, lineEnd));
  if (open < 0 || body.indexOf(']', open) >= 0) return undefined;
  const eq = body.indexOf('=', open);
  return { name: body.slice(0, open), key: body.slice(open + 1, eq), value: body.slice(eq + 1) };
}

/**
 * Visits the field at `path` in obj, descending into every element of sequences met on the way.
 * With create, missing maps on the way are created and the visitor is called for a missing last field.
 */
export function visitField(obj: JsonObject, path: string, create: boolean, visit: FieldVisitor): void {
  walk(obj, segmentsOf(path), 0, create, visit);
}

function walk(node: Json, segs: Segment[], i: number, create: boolean, visit: FieldVisitor): void {
  if (Array.isArray(node)) {
    for (const el of node) walk(el, segs, i, create, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const seg = segs[i]!;
  const last = i === segs.length - 1;
  if (seg.match) {
    const list = getOwn(node, seg.name);
    if (!Array.isArray(list)) return;
    for (const el of list) {
      if (
        el &&
        typeof el === 'object' &&
        !Array.isArray(el) &&
        String(getOwn(el, seg.match.key)) === seg.match.value
      ) {
        if (last) continue;
        walk(el, segs, i + 1, create, visit);
      }
    }
    return;
  }
  if (last) {
    if (getOwn(node, seg.name) !== undefined) visit(node, seg.name);
    else if (create) visitMissing(node, seg.name, visit);
    return;
  }
  let child = getOwn(node, seg.name);
  if (child === undefined || child === null) {
    // kustomize creates missing maps on the way, never missing lists; a null list becomes [].
    if (seg.seq && child === null) setOwn(node, seg.name, []);
    if (!create || seg.seq) return;
    child = {};
    setOwn(node, seg.name, child);
  }
  walk(child, segs, i + 1, create, visit);
}

/** Visits a field that is not there yet as an own slot; the slot goes again if the visitor left it empty. */
function visitMissing(node: JsonObject, key: string, visit: FieldVisitor): void {
  const had = hasOwn(node, key);
  if (!had) setOwn(node, key, undefined as unknown as Json);
  visit(node, key);
  if (!had && node[key] === undefined) delete node[key];
}

/** Applies fn to the field spec's field in every resource object selected by the spec. */
export function resHasField(obj: JsonObject, path: string): boolean {
  let found = false;
  visitField(obj, path, false, () => {
    found = true;
  });
  return found;
}
