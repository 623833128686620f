// Navigation over the strategic-merge schema data (generated from the Kubernetes OpenAPI).

import { getOwn } from '../own.js';
import { patchSchemaData } from '../schema/patch-schema.js';
import type { PatchSchemaData } from '../schema/types.js';

export interface SchemaNode {
  data: PatchSchemaData;
  def?: string;
  /** Values of a map field all have this definition. */
  mapOf?: string;
  isList?: boolean;
  mergeKey?: string;
  /** All keys identifying an element (list-map-keys), when more than the merge key. */
  mapKeys?: string[];
  strategy?: string;
  items?: SchemaNode;
}

export function schemaForKind(
  apiVersion: string,
  kind: string,
  data: PatchSchemaData = patchSchemaData,
): SchemaNode | undefined {
  const def = getOwn(data.kinds, `${apiVersion}/${kind}`);
  if (def) return { data, def };
  // A version newer than the schema (e.g. batch/v1 CronJob): use another version of the kind.
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  for (const [key, d] of Object.entries(data.kinds)) {
    const i = key.lastIndexOf('/');
    const gv = key.slice(0, i);
    const g = gv.includes('/') ? gv.slice(0, gv.lastIndexOf('/')) : '';
    if (key.slice(i + 1) === kind && g === group) return { data, def: d };
  }
  if (data !== patchSchemaData) return schemaForKind(apiVersion, kind, patchSchemaData);
  return undefined;
}

export function schemaField(schema: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!schema) return undefined;
  if (schema.mapOf) return { data: schema.data, def: schema.mapOf };
  if (!schema.def) return undefined;
  // Field names come from patches and schemas from repositories: own keys only.
  const fields = getOwn(schema.data.defs, schema.def);
  const entry = fields ? getOwn(fields, key) : undefined;
  if (!entry) return undefined;
  if (entry.l) {
    const node: SchemaNode = { data: schema.data, isList: true };
    if (entry.k) node.mergeKey = entry.k;
    if (entry.s) node.strategy = entry.s;
    if (entry.mk) node.mapKeys = entry.mk;
    if (entry.r) node.items = { data: schema.data, def: entry.r };
    return node;
  }
  if (entry.r?.startsWith('map:')) return { data: schema.data, mapOf: entry.r.slice(4) };
  if (entry.r) return { data: schema.data, def: entry.r };
  return undefined;
}
