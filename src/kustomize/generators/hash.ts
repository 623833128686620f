// kustomize's content hash for generated ConfigMaps and Secrets (the `-7h2bbm2f5k` name suffix).
import { createHash } from 'node:crypto';
import type { Resource } from '../resource.js';
import type { Json, JsonObject } from '../yaml-types.js';

/** JSON the way Go's encoding/json writes it: sorted keys, HTML-safe escapes. */
export function goJson(v: Json | undefined): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    return typeof v === 'string'
      ? s
          .replaceAll('<', '\\u003c')
          .replaceAll('>', '\\u003e')
          .replaceAll('&', '\\u0026')
          .replaceAll('\u2028', '\\u2028')
          .replaceAll('\u2029', '\\u2029')
      : s;
  }
  if (Array.isArray(v)) return `[${v.map((x) => goJson(x)).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${goJson(k)}:${goJson((v as JsonObject)[k])}`).join(',')}}`;
}

function fieldValue(obj: JsonObject, key: string): Json {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return v;
  return String(v);
}

export function encodeForHash(obj: JsonObject): string {
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  // kustomize looks the name up as one field literally called "metadata/name", so it is always empty.
  const name = '';
  if (kind === 'ConfigMap') {
    const m: JsonObject = { kind, name, data: fieldValue(obj, 'data') };
    const bin = fieldValue(obj, 'binaryData');
    if (bin !== null && typeof bin === 'object') m.binaryData = bin;
    return goJson(m);
  }
  if (kind === 'Secret') {
    const m: JsonObject = { kind, name, type: fieldValue(obj, 'type'), data: fieldValue(obj, 'data') };
    const sd = fieldValue(obj, 'stringData');
    if (sd !== null && typeof sd === 'object') m.stringData = sd;
    return goJson(m);
  }
  return goJson(obj);
}

export function hashSuffix(obj: JsonObject): string {
  const hex = createHash('sha256').update(encodeForHash(obj)).digest('hex');
  const map: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return Array.from(hex.slice(0, 10), (c) => map[c] ?? c).join('');
}

/** Appends the content hash to the names of generated objects that want one. */
export function addHashSuffixes(resources: Resource[]): void {
  for (const r of resources) {
    if (!r.needsHash) continue;
    const h = hashSuffix(r.obj);
    r.storePreviousId();
    r.name = `${r.name}-${h}`;
    r.needsHash = false;
  }
}
