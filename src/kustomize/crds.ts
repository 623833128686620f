// `crds`: OpenAPI definitions of custom resources whose `x-kubernetes-object-ref-*` properties
// declare name references (kustomize's LoadConfigFromCRDs).
import { emptyConfig, type FieldSpec, type TransformerConfig } from './fieldspec.js';
import { isObject } from './resource.js';
import type { Json, JsonObject } from './yaml.js';

export function crdConfig(docs: Json[], _file: string): TransformerConfig {
  const c = emptyConfig();
  for (const doc of docs) {
    if (!isObject(doc)) continue;
    // Either a map of definitions ({"io.x.Foo": {...}}) or a single OpenAPI document with definitions.
    const defs = isObject(doc.definitions) ? doc.definitions : doc;
    for (const [name, def] of Object.entries(defs)) {
      if (!isObject(def)) continue;
      const kind = kindOf(name, def);
      walkProps(c, def, defs, kind, []);
    }
  }
  return c;
}

function kindOf(name: string, def: JsonObject): string {
  const gvk = def['x-kubernetes-group-version-kind'];
  if (Array.isArray(gvk) && isObject(gvk[0]) && typeof gvk[0].kind === 'string') return gvk[0].kind;
  return name.split('.').pop() ?? name;
}

function walkProps(
  c: TransformerConfig,
  def: JsonObject,
  defs: JsonObject,
  kind: string,
  path: string[],
): void {
  if (path.length > 20) return;
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
    }
    const ref = typeof schema.$ref === 'string' ? schema.$ref.replace('#/definitions/', '') : undefined;
    if (ref && isObject(defs[ref])) walkProps(c, defs[ref] as JsonObject, defs, kind, p);
    else walkProps(c, schema, defs, kind, p);
  }
}
