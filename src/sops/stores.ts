// SOPS's stores: each format read into branches plus the raw `sops` metadata, and written back as
// plain text the way SOPS emits it (stores/yaml, stores/json, stores/dotenv, stores/ini).
import {
  type Alias,
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Pair,
  parseAllDocuments,
  Scalar,
  YAMLMap,
  YAMLSeq,
} from 'yaml';
import type { SopsFormat } from './format.js';
import { emitJsonTree, parseJsonTree } from './json.js';
import { Branch, type TreeValue, toPlain } from './tree.js';

export interface LoadedStore {
  branches: Branch[];
  /** The metadata as a plain object (the `sops` key), undefined when the document has none. */
  metadata: Record<string, unknown> | undefined;
}

const maxYamlDepth = 200;

function yamlToTree(node: unknown, doc: Document, depth: number): TreeValue {
  if (depth > maxYamlDepth) throw new Error('YAML nested too deeply');
  if (isAlias(node)) return yamlToTree((node as Alias).resolve(doc), doc, depth + 1);
  if (isMap(node)) {
    const b = new Branch();
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof k !== 'string') {
        throw new Error(`a mapping key is not a string (SOPS only supports string keys)`);
      }
      b.items.push({ key: k, value: yamlToTree(pair.value, doc, depth + 1) });
    }
    return b;
  }
  if (isSeq(node)) return node.items.map((i) => yamlToTree(i, doc, depth + 1));
  if (isScalar(node)) {
    const v = node.value;
    if (v === null || v === undefined) return null;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    if (v instanceof Uint8Array) return v;
    return String(v);
  }
  if (node === null || node === undefined) return null;
  throw new Error('unsupported YAML node');
}

function loadYaml(text: string): LoadedStore {
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  if (!Array.isArray(docs)) return { branches: [], metadata: undefined };
  const branches: Branch[] = [];
  let metadata: Record<string, unknown> | undefined;
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const tree = yamlToTree(doc.contents, doc, 0);
    if (tree === null) {
      branches.push(new Branch());
      continue;
    }
    if (!(tree instanceof Branch)) throw new Error('YAML documents that are not mappings are not supported');
    const sops = tree.get('sops');
    if (metadata === undefined && sops instanceof Branch) metadata = toPlain(sops) as Record<string, unknown>;
    branches.push(tree.without('sops'));
  }
  return { branches, metadata };
}

function loadJson(text: string): LoadedStore {
  const tree = parseJsonTree(text);
  if (!(tree instanceof Branch)) throw new Error('SOPS only supports JSON files with a top-level object');
  const sops = tree.get('sops');
  return {
    branches: [tree.without('sops')],
    metadata: sops instanceof Branch ? (toPlain(sops) as Record<string, unknown>) : undefined,
  };
}

/** Splits `age__list_0__map_enc` into ['age', 0, 'enc'] (SOPS's stores/flatten.go). */
function tokenize(k: string): (string | number)[] {
  const tokens: (string | number)[] = [];
  let mode: 'map' | 'list' = 'map';
  let start = 0;
  let i = 0;
  const finish = (end: number) => {
    const s = k.slice(start, end);
    if (mode === 'map') tokens.push(s);
    else {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error('a malformed flattened metadata key');
      tokens.push(n);
    }
  };
  while (i < k.length) {
    if (k.startsWith('__map_', i)) {
      finish(i);
      mode = 'map';
      i += 6;
      start = i;
    } else if (k.startsWith('__list_', i)) {
      finish(i);
      mode = 'list';
      i += 7;
      start = i;
    } else i++;
  }
  finish(k.length);
  return tokens;
}

/** dotenv and INI keep metadata flattened (`age__list_0__map_enc`); this rebuilds the object. */
export function unflatten(flat: Map<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = Object.create(null);
  for (const [k, raw] of flat) {
    const v: unknown = k === 'mac_only_encrypted' ? raw === 'true' : raw.replace(/\\n/g, '\n');
    const tokens = tokenize(k);
    let cur: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const last = i === tokens.length - 1;
      const nextIsList = typeof tokens[i + 1] === 'number';
      const slot = (cur as Record<string | number, unknown>)[t as never];
      if (last) {
        (cur as Record<string | number, unknown>)[t as never] = v;
      } else {
        const child = slot ?? (nextIsList ? [] : Object.create(null));
        (cur as Record<string | number, unknown>)[t as never] = child;
        cur = child as Record<string, unknown> | unknown[];
      }
    }
  }
  return root;
}

function loadDotenv(text: string): LoadedStore {
  const b = new Branch();
  const flat = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    if (line.startsWith('#')) continue; // comments are not part of the MAC
    const pos = line.indexOf('=');
    if (pos === -1) throw new Error('invalid dotenv line (no "=")');
    const key = line.slice(0, pos);
    const value = line.slice(pos + 1).replace(/\\n/g, '\n');
    if (key.startsWith('sops_')) flat.set(key.slice(5), value);
    else b.items.push({ key, value });
  }
  return { branches: [b], metadata: flat.size > 0 ? unflatten(flat) : undefined };
}

function loadIni(text: string): LoadedStore {
  const root = new Branch();
  const flat = new Map<string, string>();
  let section: Branch | undefined;
  let inSops = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    if (line.startsWith('[') && line.endsWith(']')) {
      const name = line.slice(1, -1).trim();
      inSops = name === 'sops';
      if (!inSops) {
        section = new Branch();
        root.items.push({ key: name, value: section });
      }
      continue;
    }
    const pos = line.search(/[=:]/);
    if (pos === -1) throw new Error('invalid INI line (no "=")');
    const key = line.slice(0, pos).trim();
    let value = line.slice(pos + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (inSops) flat.set(key, value);
    else {
      if (!section) {
        section = new Branch();
        root.items.push({ key: 'DEFAULT', value: section });
      }
      section.items.push({ key, value });
    }
  }
  return { branches: [root], metadata: flat.size > 0 ? unflatten(flat) : undefined };
}

export function loadStore(bytes: Uint8Array, format: SopsFormat): LoadedStore {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  switch (format) {
    case 'yaml':
      return loadYaml(text);
    case 'json':
    case 'binary':
      return loadJson(text);
    case 'dotenv':
      return loadDotenv(text);
    case 'ini':
      return loadIni(text);
  }
}

/** The plain text form of a leaf, as SOPS's stores.ValueToString writes it. */
export function leafText(v: TreeValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'string') return v;
  throw new Error('a complex value where a scalar is expected');
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  if (n === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const [mant, expS] = s.split(/e/i) as [string, string];
  const exp = Number(expS);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const pointAt =
    (mant.replace('-', '').indexOf('.') === -1
      ? mant.replace('-', '').length
      : mant.replace('-', '').indexOf('.')) + exp;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return neg ? `-${out}` : out;
}

function treeToYaml(v: TreeValue): unknown {
  if (v instanceof Branch) {
    const m = new YAMLMap();
    for (const i of v.items) m.items.push(new Pair(new Scalar(i.key), treeToYaml(i.value)));
    return m;
  }
  if (Array.isArray(v)) {
    const s = new YAMLSeq();
    for (const x of v) s.items.push(treeToYaml(x));
    return s;
  }
  if (v instanceof Uint8Array) return new Scalar(Buffer.from(v).toString('utf8'));
  return new Scalar(v);
}

export function emitStore(branches: Branch[], format: SopsFormat): Uint8Array {
  switch (format) {
    case 'yaml': {
      const out = branches.map((b) => {
        const doc = new Document();
        doc.contents = treeToYaml(b) as YAMLMap;
        return doc.toString({ indent: 4, lineWidth: 0 });
      });
      return Buffer.from(out.join('---\n'), 'utf8');
    }
    case 'json':
      return Buffer.from(`${emitJsonTree(branches[0] ?? new Branch())}\n`, 'utf8');
    case 'binary': {
      const data = branches[0]?.get('data');
      if (typeof data !== 'string') throw new Error("binary document has no string 'data' key");
      return Buffer.from(data, 'utf8');
    }
    case 'dotenv': {
      let s = '';
      for (const i of branches[0]?.items ?? []) {
        if (i.value instanceof Branch || Array.isArray(i.value))
          throw new Error('cannot use complex value in dotenv file');
        s += `${i.key}=${leafText(i.value).replace(/\n/g, '\\n')}\n`;
      }
      return Buffer.from(s, 'utf8');
    }
    case 'ini': {
      const parts: string[] = [];
      for (const sec of branches[0]?.items ?? []) {
        if (!(sec.value instanceof Branch)) continue;
        let s = sec.key === 'DEFAULT' ? '' : `[${sec.key}]\n`;
        for (const i of sec.value.items) s += `${i.key} = ${leafText(i.value).replace(/\n/g, '\\n')}\n`;
        parts.push(s);
      }
      return Buffer.from(parts.join('\n'), 'utf8');
    }
  }
}
