// YAML in the way `kustomize build` reads it.
//
// Reading follows kyaml (go-yaml v3): plain scalars resolve with the YAML 1.2 core rules plus the
// 1.1 octal spelling `0644` (420), `yes`/`on` stay strings, timestamps become RFC 3339 strings.
import {
  type Alias,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Node,
  parseAllDocuments,
} from 'yaml';
import { hasOwn, setOwn } from './own.js';
import { parseStreamFast } from './yaml-events.js';
import type { Json, JsonObject } from './yaml-types.js';

export class YamlError extends Error {}

/**
 * Parses a multi-document YAML stream into plain JSON values (null documents dropped). In a patch
 * (`patch`), a plain null annotation value stays null (it deletes the annotation).
 */
export function parseYamlStream(text: string, file: string, uniqueKeys = true, patch = false): Json[] {
  return parseStreamFast(text, patch, resolvePlain) ?? parseYamlStreamFull(text, file, uniqueKeys, patch);
}

/** The full reader (the `yaml` package's document model): what the fast path hands over to. */
export function parseYamlStreamFull(text: string, file: string, uniqueKeys = true, patch = false): Json[] {
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys, prettyErrors: false });
  const out: Json[] = [];
  const unterminatedEnd = unterminatedLastLineEnd(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    const err = doc.errors[0];
    if (err) throw new YamlError(`${file}: invalid YAML: ${err.message.split('\n')[0]}`);
    if (doc.contents === null) continue;
    const budget = { decoded: 0, aliased: 0, inAlias: 0, unterminatedEnd };
    const value = toJson(doc.contents as Node, doc, file, [], budget, patch);
    if (value === null) continue;
    out.push(value);
  }
  return out;
}

/** Parses a single YAML document (an empty one is null). */
export function parseYaml(text: string, file: string, uniqueKeys = true): Json {
  const docs = parseYamlStream(text, file, uniqueKeys);
  if (docs.length > 1) throw new YamlError(`${file}: expected one YAML document, found ${docs.length}`);
  return docs[0] ?? null;
}

/**
 * Alias expansion budget of one document, as go-yaml v3's decoder has it (`allowedAliasRatio`):
 * a "billion laughs" document is refused instead of being expanded into memory.
 */
interface AliasBudget {
  decoded: number;
  aliased: number;
  inAlias: number;
  /** See unterminatedLastLineEnd. */
  unterminatedEnd: number;
}

/**
 * The end offset of the text when its last line holds content but no line break, else -1. A block
 * scalar whose last line ends there has no final line break to keep: go-yaml reads `|` or `>` at
 * the end of such a file without the trailing newline the `yaml` package adds.
 */
function unterminatedLastLineEnd(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return -1;
    if (c !== 32 && c !== 9) return text.length;
  }
  return -1;
}

function allowedAliasRatio(decoded: number): number {
  if (decoded <= 400_000) return 0.99;
  if (decoded >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decoded - 400_000) / 3_600_000);
}

function toJson(
  node: Node | null,
  doc: Document,
  file: string,
  path: string[],
  budget: AliasBudget,
  patch = false,
): Json {
  if (node === null || node === undefined) return null;
  budget.decoded++;
  if (budget.inAlias > 0) budget.aliased++;
  if (
    budget.aliased > 100 &&
    budget.decoded > 1000 &&
    budget.aliased / budget.decoded > allowedAliasRatio(budget.decoded)
  ) {
    throw new YamlError(`${file}: invalid YAML: document contains excessive aliasing`);
  }
  if (isAlias(node)) {
    budget.inAlias++;
    try {
      return toJson((node as Alias).resolve(doc) as Node, doc, file, path, budget, patch);
    } finally {
      budget.inAlias--;
    }
  }
  if (isScalar(node)) {
    let raw = node.value === null || node.value === undefined ? '' : String(node.value);
    if (
      (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') &&
      node.range?.[1] === budget.unterminatedEnd &&
      raw.endsWith('\n')
    ) {
      raw = raw.slice(0, -1);
    }
    const tag = node.tag;
    const quoted = node.type !== 'PLAIN';
    if (tag && tag !== '!') return resolveTagged(tag, raw, file);
    if (quoted || tag === '!') return raw;
    const src = node.source ?? raw;
    // Labels and annotations are string maps; kyaml keeps the source text of annotation values.
    if (path[path.length - 3] === 'metadata' && path[path.length - 2] === 'annotations') {
      return patch && resolvePlain(src) === null ? null : src;
    }
    return resolvePlain(src);
  }
  if (isMap(node)) {
    const obj: JsonObject = {};
    const merges: JsonObject[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      let key: string;
      if (keyNode === null) key = '';
      else if (isScalar(keyNode)) key = keyNode.value === null ? '' : String(keyNode.value);
      else throw new YamlError(`${file}: complex mapping keys are not supported`);
      if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
        const v = toJson(pair.value as Node, doc, file, path, budget, patch);
        if (Array.isArray(v)) for (const m of v) merges.push(m as JsonObject);
        else if (v && typeof v === 'object') merges.push(v);
        continue;
      }
      setOwn(obj, key, toJson(pair.value as Node, doc, file, [...path, key], budget, patch));
    }
    if (merges.length === 0) return obj;
    const merged: JsonObject = {};
    for (const m of merges)
      for (const [k, v] of Object.entries(m)) if (!hasOwn(merged, k)) setOwn(merged, k, v);
    return { ...merged, ...obj };
  }
  if (isSeq(node)) return node.items.map((n) => toJson(n as Node, doc, file, [...path, '[]'], budget, patch));
  throw new YamlError(`${file}: unsupported YAML node`);
}

function resolveTagged(tag: string, raw: string, file: string): Json {
  switch (tag) {
    case 'tag:yaml.org,2002:str':
    case 'tag:yaml.org,2002:binary':
      return raw;
    case 'tag:yaml.org,2002:int':
    case 'tag:yaml.org,2002:float': {
      const v = resolvePlain(raw);
      if (typeof v !== 'number') throw new YamlError(`${file}: cannot decode !!${tag.slice(18)} \`${raw}\``);
      return v;
    }
    case 'tag:yaml.org,2002:bool':
      if (raw === 'true' || raw === 'false') return raw === 'true';
      throw new YamlError(`${file}: cannot decode !!bool \`${raw}\``);
    case 'tag:yaml.org,2002:null':
      return null;
    default:
      return resolvePlain(raw);
  }
}

// Shared with the emitter, which quotes strings that go-yaml would read back as a number or time.
export const floatRe = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
export const timestampRe =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(\.\d*)?[ \t]*(Z|[-+]\d{1,2}(?::?\d{2})?)?)?$/;

/** go-yaml v3's resolution of an untagged plain scalar. */
export function resolvePlain(s: string): Json {
  switch (s) {
    case '':
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    case '.inf':
    case '.Inf':
    case '.INF':
    case '+.inf':
    case '+.Inf':
    case '+.INF':
    case '-.inf':
    case '-.Inf':
    case '-.INF':
    case '.nan':
    case '.NaN':
    case '.NAN':
      return s;
  }
  const c = s.charCodeAt(0);
  const numeric = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
  if (!numeric) return s;
  const ts = timestampRe.exec(s);
  if (ts) return formatTimestamp(ts) ?? s;
  const plain = s.replaceAll('_', '');
  const n = parseGoInt(plain);
  if (n !== undefined) return n;
  if (floatRe.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return f;
  }
  return s;
}

function parseGoInt(s: string): number | undefined {
  let m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  let body = m[2]!;
  let v: number;
  if (/^0[xX]/.test(body)) v = Number.parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) v = Number.parseInt(body.slice(2), 2);
  else if (/^0[oO]/.test(body)) v = Number.parseInt(body.slice(2), 8);
  else if (body.length > 1 && body[0] === '0') v = Number.parseInt(body, 8);
  else v = Number.parseInt(body, 10);
  m = null;
  body = '';
  return sign * v;
}

function formatTimestamp(m: RegExpExecArray): string | undefined {
  const [, y, mo, d, h, mi, sec, frac, tz] = m;
  const pad = (v: string | undefined, n = 2) => (v ?? '0').padStart(n, '0');
  if (h === undefined) {
    if (mo!.length !== 2 || d!.length !== 2) return undefined;
    return `${y}-${mo}-${d}T00:00:00Z`;
  }
  let fraction = frac ? frac.replace(/0+$/, '') : '';
  if (fraction === '.') fraction = '';
  let zone = 'Z';
  if (tz && tz !== 'Z') {
    const tm = /^([-+])(\d{1,2})(?::?(\d{2}))?$/.exec(tz)!;
    zone = `${tm[1]}${pad(tm[2])}:${pad(tm[3])}`;
    if (zone === '+00:00' || zone === '-00:00') zone = 'Z';
  }
  return `${y}-${pad(mo)}-${pad(d)}T${pad(h)}:${mi}:${sec}${fraction}${zone}`;
}
