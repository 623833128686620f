// `crds`: OpenAPI definitions of custom resources whose `x-kubernetes-object-ref-*` properties
// declare name references (kustomize's LoadConfigFromCRDs).
import { emptyConfig, type FieldSpec, type TransformerConfig } from './fieldspec.js';
import { getOwn, hasOwn } from './own.js';
import { isObject } from './resource.js';
import type { Json, JsonObject } from './yaml-types.js';

/** A definition's schema: either the value itself or its `Schema` member (kube-openapi's format). */
function schemaOf(v: Json | undefined): JsonObject | undefined {
  if (!isObject(v)) return undefined;
  return isObject(v.Schema) ? v.Schema : v;
}

function refName(v: Json | undefined): string | undefined {
  return typeof v === 'string' ? v.replace(/^#\/definitions\//, '') : undefined;
}

export function crdConfig(docs: Json[], _file: string): TransformerConfig {
  const c = emptyConfig();
  for (const doc of docs) {
    if (!isObject(doc)) continue;
    const defs = isObject(doc.definitions) ? doc.definitions : doc;
    for (const [name, raw] of Object.entries(defs)) {
      const def = schemaOf(raw);
      const props = def && isObject(def.properties) ? def.properties : undefined;
      // Only objects of a kind (with kind and metadata) refer to others.
      if (!props || !hasOwn(props, 'kind') || !hasOwn(props, 'metadata')) continue;
      const kind = name.split('.').pop() ?? name;
      walkProps(c, def!, defs, kind, [], new Set([name]));
    }
  }
  return c;
}

function walkProps(
  c: TransformerConfig,
  def: JsonObject,
  defs: JsonObject,
  kind: string,
  path: string[],
  seen: Set<string>,
): void {
  const props = def.properties;
  if (!isObject(props)) return;
  for (const [field, schema] of Object.entries(props)) {
    if (!isObject(schema)) continue;
    const p = [...path, field];
    const refKind = schema['x-kubernetes-object-ref-kind'];
    if (typeof refKind === 'string') {
      const nameKey =
        typeof schema['x-kubernetes-object-ref-name-key'] === 'string'
          ? schema['x-kubernetes-object-ref-name-key']
          : 'name';
      const spec: FieldSpec = { kind, path: [...p, nameKey].join('/') };
      const existing = c.nameReference.find((b) => b.gvk.kind === refKind);
      if (existing) existing.referrers.push(spec);
      else c.nameReference.push({ gvk: { kind: refKind }, referrers: [spec] });
      continue;
    }
    const ref = refName(schema.$ref);
    const target = ref ? schemaOf(getOwn(defs, ref)) : undefined;
    if (ref && target && !seen.has(ref)) walkProps(c, target, defs, kind, p, new Set([...seen, ref]));
    else if (!ref) walkProps(c, schema, defs, kind, p, seen);
  }
}
