// `openapi`: a custom OpenAPI schema whose strategic-merge metadata applies to the kinds it defines.

import type { Loader } from './loader.js';
import { setOwn } from './own.js';
import { isObject, KustomizeError } from './resource.js';
import { patchSchemaData } from './schema/patch-schema.js';
import type { PatchFieldData, PatchSchemaData } from './schema/types.js';
import { parseYamlStream } from './yaml-read.js';
import type { Json, JsonObject } from './yaml-types.js';

export function loadOpenApi(v: Json, ldr: Loader, where: string): PatchSchemaData {
  if (!isObject(v)) throw new KustomizeError(`${where}: openapi must be a map`);
  if (typeof v.path !== 'string') {
    if (typeof v.version === 'string') {
      if (v.version !== 'v1.21.2')
        throw new KustomizeError(`${where}: the specified OpenAPI version is not built in`);
      return patchSchemaData;
    }
    throw new KustomizeError(`${where}: openapi needs a path`);
  }
  if (typeof v.version === 'string')
    throw new KustomizeError(`${where}: openapi: builtin version and path cannot both be set`);
  const file = ldr.filePath(v.path);
  const docs = parseYamlStream(ldr.fs.readFile(file), file);
  const doc = docs[0];
  if (!isObject(doc) || !isObject(doc.definitions))
    throw new KustomizeError(`${file}: not an OpenAPI document with definitions`);
  return schemaFromDefinitions(doc.definitions);
}

function refName(s: Json | undefined): string | undefined {
  return typeof s === 'string' ? s.replace('#/definitions/', '') : undefined;
}

export function schemaFromDefinitions(definitions: JsonObject): PatchSchemaData {
  const kinds: Record<string, string> = {};
  const defs: Record<string, Record<string, PatchFieldData>> = {};
  // Inline object schemas become synthetic definitions named after their path.
  const addDef = (name: string, def: JsonObject): void => {
    const fields: Record<string, PatchFieldData> = {};
    const props = isObject(def.properties) ? def.properties : {};
    for (const [field, s] of Object.entries(props)) {
      if (!isObject(s)) continue;
      const e: PatchFieldData = {};
      if (s.type === 'array') {
        e.l = 1;
        const items = isObject(s.items) ? s.items : undefined;
        const r = items ? refName(items.$ref) : undefined;
        if (r) e.r = r;
        else if (items && isObject(items.properties)) {
          e.r = `${name}.${field}[]`;
          addDef(e.r, items);
        }
      } else {
        const r = refName(s.$ref);
        if (r) e.r = r;
        else if (isObject(s.properties)) {
          e.r = `${name}.${field}`;
          addDef(e.r, s);
        }
      }
      if (typeof s['x-kubernetes-patch-merge-key'] === 'string') e.k = s['x-kubernetes-patch-merge-key'];
      if (typeof s['x-kubernetes-patch-strategy'] === 'string') e.s = s['x-kubernetes-patch-strategy'];
      const mk = s['x-kubernetes-list-map-keys'];
      if (Array.isArray(mk) && mk.length > 1) e.mk = mk.map(String);
      if (e.l || e.r) setOwn(fields, field, e);
    }
    setOwn(defs, name, fields);
  };
  for (const [name, def] of Object.entries(definitions)) {
    if (!isObject(def)) continue;
    const gvks = def['x-kubernetes-group-version-kind'];
    if (Array.isArray(gvks)) {
      for (const g of gvks) {
        if (!isObject(g)) continue;
        const gv = g.group ? `${String(g.group)}/${String(g.version)}` : String(g.version);
        setOwn(kinds, `${gv}/${String(g.kind)}`, name);
      }
    }
    addDef(name, def);
  }
  return { kinds, defs, clusterScoped: patchSchemaData.clusterScoped };
}
