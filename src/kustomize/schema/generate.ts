// Generates src/kustomize/schema/patch-schema.ts from a Kubernetes OpenAPI v2 document: the
// strategic-merge metadata (x-kubernetes-patch-merge-key / -strategy) of every list reachable from
// a built-in kind, and which kinds are cluster-scoped. Run once when the Kubernetes version moves:
//
//   kubectl get --raw /openapi/v2 > openapi.json      # or kubernetes' api/openapi-spec/swagger.json
//   node .build/src/kustomize/schema/generate.js openapi.json > src/kustomize/schema/patch-schema.ts
import { readFileSync } from 'node:fs';

interface OpenApiSchema {
  $ref?: string;
  type?: string;
  items?: OpenApiSchema;
  properties?: Record<string, OpenApiSchema>;
  additionalProperties?: OpenApiSchema | boolean;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

interface OpenApiDocument {
  info?: { version?: string };
  paths: Record<
    string,
    Record<
      string,
      { 'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string } } | undefined
    >
  >;
  definitions: Record<string, OpenApiSchema>;
}

/** One field of a definition: [ref of the field or of its items, merge key, strategy, isList]. */
type FieldEntry = { r?: string; k?: string; s?: string; l?: 1; mk?: string[] };

const refName = (ref: string | undefined) => (ref ? ref.replace('#/definitions/', '') : undefined);

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: generate.js OPENAPI_V2_JSON');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;

  const fields = new Map<string, Record<string, FieldEntry>>();
  for (const [name, def] of Object.entries(doc.definitions)) {
    const out: Record<string, FieldEntry> = {};
    const props = def.properties ?? {};
    for (const [field, schema] of Object.entries(props)) {
      const entry: FieldEntry = {};
      if (schema.type === 'array') {
        entry.l = 1;
        const r = refName(schema.items?.$ref);
        if (r) entry.r = r;
      } else {
        const r = refName(schema.$ref);
        if (r) entry.r = r;
        const ap = schema.additionalProperties;
        if (!r && ap && typeof ap === 'object' && ap.$ref) entry.r = `map:${refName(ap.$ref)}`;
      }
      if (schema['x-kubernetes-patch-merge-key']) entry.k = schema['x-kubernetes-patch-merge-key'];
      if (schema['x-kubernetes-patch-strategy']) entry.s = schema['x-kubernetes-patch-strategy'];
      const mapKeys = schema['x-kubernetes-list-map-keys'];
      if (mapKeys && mapKeys.length > 1) entry.mk = mapKeys;
      if (entry.l || entry.r) out[field] = entry;
    }
    fields.set(name, out);
  }

  // Keep only definitions that matter for merging: those with a list, or leading to one.
  const keep = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const [name, f] of fields) {
      if (keep.has(name)) continue;
      const matters = Object.values(f).some((e) => e.l || (e.r && keep.has(e.r.replace(/^map:/, ''))));
      if (matters) {
        keep.add(name);
        changed = true;
      }
    }
  }

  const kinds: Record<string, string> = {};
  for (const [name, def] of Object.entries(doc.definitions)) {
    for (const gvk of def['x-kubernetes-group-version-kind'] ?? []) {
      if (!keep.has(name)) continue;
      const gv = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
      kinds[`${gv}/${gvk.kind}`] = short(name);
    }
  }

  const defs: Record<string, Record<string, FieldEntry>> = {};
  for (const name of [...keep].sort()) {
    const f: Record<string, FieldEntry> = {};
    for (const [field, e] of Object.entries(fields.get(name)!)) {
      const target = e.r?.replace(/^map:/, '');
      if (!e.l && !(target && keep.has(target))) continue;
      const copy: FieldEntry = { ...e };
      if (copy.r) {
        const t = copy.r.replace(/^map:/, '');
        if (keep.has(t)) copy.r = copy.r.startsWith('map:') ? `map:${short(t)}` : short(t);
        else delete copy.r;
      }
      f[field] = copy;
    }
    defs[short(name)] = f;
  }

  // Cluster-scoped kinds, per apiVersion as kustomize's kyaml keys them: those with a GET path that
  // never contains {namespace}. kustomize's built-in schema was read from a live cluster, so alpha
  // versions are unknown to it (and unknown kinds count as namespaced).
  const namespaced = new Set<string>();
  const all = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths)) {
    const gvk = ops.get?.['x-kubernetes-group-version-kind'];
    if (!gvk || p.includes('/watch/') || gvk.version.includes('alpha')) continue;
    const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
    all.add(key);
    if (p.includes('{namespace}')) namespaced.add(key);
  }
  const clusterScoped = [...all].filter((k) => !namespaced.has(k)).sort();

  const lines = [
    '// Generated by src/kustomize/schema/generate.ts from the Kubernetes OpenAPI v2 document',
    `// (${doc.info?.version ?? 'unversioned'}, kube-apiserver v1.20.2). Do not edit by hand.`,
    '/* biome-ignore-all format: generated data */',
    "import type { PatchSchemaData } from './types.js';",
    '',
    `export const patchSchemaData: PatchSchemaData = ${JSON.stringify({ kinds, defs, clusterScoped })};`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

function short(name: string): string {
  return name.replace(/^io\.k8s\./, '');
}

main();
