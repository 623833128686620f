// ReplacementTransformer: `replacements` — copy a field of one object into fields of others.
import type { Loader } from '../loader.js';
import {
  effectiveNamespace,
  isObject,
  KustomizeError,
  parseApiVersion,
  type ResId,
  type Resource,
} from '../resource.js';
import { parseLabelSelector, parseSelectorFields, type Selector } from '../selector.js';
import { parseYamlStream } from '../yaml-read.js';
import type { Json, JsonObject } from '../yaml-types.js';
import { lookupFields, splitFieldPath } from './field-path.js';

type IdSelector = Selector;

interface FieldOptions {
  delimiter?: string;
  index?: number;
  create?: boolean;
}

interface Target {
  select: IdSelector;
  reject: IdSelector[];
  fieldPaths: string[];
  options?: FieldOptions;
}

export interface Replacement {
  source?: IdSelector & { fieldPath: string; options?: FieldOptions };
  sourceValue?: Json;
  targets: Target[];
}

function parseIdSelector(v: Json | undefined, w: string): IdSelector {
  return parseSelectorFields(v ?? null, w, 'selector', (k, str, s) => {
    if (k === 'apiVersion') {
      const gv = parseApiVersion(str);
      s.group = gv.group;
      s.version = gv.version;
      return true;
    }
    // Read by the caller from the source/target map itself.
    return k === 'fieldPath' || k === 'options';
  });
}

function parseOptions(v: Json | undefined): FieldOptions | undefined {
  if (!isObject(v)) return undefined;
  const o: FieldOptions = {};
  if (typeof v.delimiter === 'string') o.delimiter = v.delimiter;
  if (typeof v.index === 'number') o.index = v.index;
  if (v.create === true) o.create = true;
  return o;
}

function parseOne(v: Json, w: string): Replacement {
  if (!isObject(v)) throw new KustomizeError(`${w}: replacement must be a map`);
  const targets: Target[] = [];
  if (!Array.isArray(v.targets)) throw new KustomizeError(`${w}: replacement needs targets`);
  for (const t of v.targets) {
    if (!isObject(t)) throw new KustomizeError(`${w}: replacement target must be a map`);
    if (!isObject(t.select)) throw new KustomizeError(`${w}: target must specify resources to select`);
    const target: Target = {
      select: parseIdSelector(t.select, w),
      reject: Array.isArray(t.reject) ? t.reject.map((r) => parseIdSelector(r, w)) : [],
      fieldPaths: Array.isArray(t.fieldPaths) ? t.fieldPaths.map(String) : ['metadata.name'],
    };
    const opts = parseOptions(t.options);
    if (opts) target.options = opts;
    targets.push(target);
  }
  const r: Replacement = { targets };
  if (v.source !== undefined && v.source !== null) {
    if (!isObject(v.source)) throw new KustomizeError(`${w}: replacement source must be a map`);
    const src = parseIdSelector(v.source, w);
    const fieldPath =
      typeof v.source.fieldPath === 'string' && v.source.fieldPath ? v.source.fieldPath : 'metadata.name';
    r.source = { ...src, fieldPath };
    const o = parseOptions(v.source.options);
    if (o) r.source.options = o;
  } else if (v.sourceValue !== undefined) {
    r.sourceValue = v.sourceValue;
  } else {
    throw new KustomizeError(`${w}: replacement needs a source`);
  }
  return r;
}

/** A `replacements` entry: inline, or `path:` to a file of replacements. */
export function parseReplacements(v: Json, ldr: Loader, w: string): Replacement[] {
  if (isObject(v) && typeof v.path === 'string') {
    if (v.source !== undefined || v.targets !== undefined) {
      throw new KustomizeError(`${w}: replacement path and inline replacement cannot both be set`);
    }
    const file = ldr.filePath(v.path);
    const docs = parseYamlStream(ldr.fs.readFile(file), file);
    const out: Replacement[] = [];
    for (const d of docs) {
      if (Array.isArray(d)) for (const x of d) out.push(parseOne(x, file));
      else out.push(parseOne(d, file));
    }
    return out;
  }
  return [parseOne(v, w)];
}

function idSelected(id: ResId, s: IdSelector): boolean {
  if (s.name && s.name !== id.name) return false;
  if (s.namespace && effectiveNamespace({ ...id, namespace: s.namespace }) !== effectiveNamespace(id))
    return false;
  if (s.group !== undefined && s.group !== '' && s.group !== id.group) return false;
  if (s.version && s.version !== id.version) return false;
  if (s.kind && s.kind !== id.kind) return false;
  return true;
}

function metaSelected(r: Resource, s: IdSelector): boolean {
  if (s.labelSelector && !parseLabelSelector(s.labelSelector).every((q) => q(r.labels()))) return false;
  if (s.annotationSelector && !parseLabelSelector(s.annotationSelector).every((q) => q(r.annotations())))
    return false;
  return true;
}

function describe(s: IdSelector): string {
  return JSON.stringify(s);
}

function sourceValue(resources: Resource[], rep: Replacement, w: string): Json {
  if (!rep.source) return rep.sourceValue ?? null;
  const src = rep.source;
  const matches = resources.filter((r) => metaSelected(r, src) && r.allIds.some((id) => idSelected(id, src)));
  if (matches.length === 0) throw new KustomizeError(`${w}: nothing selected by ${describe(src)}`);
  if (matches.length > 1) throw new KustomizeError(`${w}: multiple matches for selector ${describe(src)}`);
  const refs = lookupFields(matches[0]!.obj, splitFieldPath(src.fieldPath));
  const ref = refs[0];
  const value = ref ? (ref.parent as Record<string | number, Json>)[ref.key] : undefined;
  if (value === undefined || value === null || value === '') {
    throw new KustomizeError(
      `${w}: fieldPath \`${src.fieldPath}\` is missing for replacement source ${describe(src)}`,
    );
  }
  const opts = src.options;
  if (opts?.delimiter) {
    if (typeof value === 'object')
      throw new KustomizeError(`${w}: delimiter option can only be used with scalar nodes`);
    const parts = String(value).split(opts.delimiter);
    const idx = opts.index ?? 0;
    if (idx < 0 || idx >= parts.length) {
      throw new KustomizeError(`${w}: options.index ${idx} is out of bounds for value ${String(value)}`);
    }
    return parts[idx]!;
  }
  return value;
}

function scalarText(v: Json): string {
  return v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function setValue(
  ref: { parent: JsonObject | Json[]; key: string | number },
  value: Json,
  opts: FieldOptions | undefined,
  w: string,
): void {
  const holder = ref.parent as Record<string | number, Json>;
  const cur = holder[ref.key];
  let v: Json = structuredClone(value);
  if (opts?.delimiter) {
    if (cur !== undefined && cur !== null && typeof cur === 'object') {
      throw new KustomizeError(`${w}: delimiter option can only be used with scalar nodes`);
    }
    const parts = scalarText(cur ?? '').split(opts.delimiter);
    const idx = opts.index ?? 0;
    const text = scalarText(value);
    if (idx < 0) parts.unshift(text);
    else if (idx >= parts.length) parts.push(text);
    else parts[idx] = text;
    v = parts.join(opts.delimiter);
  }
  if (cur !== undefined && cur !== null && typeof cur !== 'object' && (v === null || typeof v !== 'object')) {
    // kyaml keeps the target's type and copies only the text.
    const text = scalarText(v);
    if (typeof cur === 'string') holder[ref.key] = text;
    else if (typeof cur === 'number')
      holder[ref.key] = Number.isFinite(Number(text)) && text !== '' ? Number(text) : text;
    else if (typeof cur === 'boolean')
      holder[ref.key] = text === 'true' ? true : text === 'false' ? false : text;
    return;
  }
  holder[ref.key] = v;
}

export function applyReplacements(resources: Resource[], reps: Replacement[], w: string): void {
  for (const rep of reps) {
    const value = sourceValue(resources, rep, w);
    for (const t of rep.targets) {
      for (const r of resources) {
        if (!metaSelected(r, t.select)) continue;
        const ids = r.allIds;
        if (!ids.some((id) => idSelected(id, t.select))) continue;
        // An object is rejected when any of its ids (current or earlier) matches a reject entry.
        const rejected = t.reject.some(
          (rj) =>
            ids.some((id) => idSelected(id, rj)) &&
            (rj.labelSelector || rj.annotationSelector ? metaSelected(r, rj) : true),
        );
        if (rejected) continue;
        for (const fp of t.fieldPaths) {
          const create = t.options?.create
            ? value !== null && typeof value === 'object'
              ? 'map'
              : 'scalar'
            : undefined;
          const refs = lookupFields(r.obj, splitFieldPath(fp), create);
          if (refs.length === 0) {
            throw new KustomizeError(
              `${w}: unable to find ${create ? 'or create ' : ''}field "${fp}" in replacement target ${r.kind}/${r.name}`,
            );
          }
          for (const ref of refs) setValue(ref, value, t.options, w);
        }
      }
    }
  }
}
