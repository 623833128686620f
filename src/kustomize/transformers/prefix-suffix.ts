// PrefixTransformer / SuffixTransformer: `namePrefix` / `nameSuffix`.
import { type FieldSpec, gvkSelected, visitField } from '../fieldspec.js';
import type { Resource } from '../resource.js';

/** Kinds whose names kustomize never prefixes or suffixes. */
const skipped = [
  { kind: 'CustomResourceDefinition' },
  { group: 'apiregistration.k8s.io', kind: 'APIService' },
  { kind: 'Namespace' },
];

export interface AffixOptions {
  prefix?: string;
  suffix?: string;
  fieldSpecs: FieldSpec[];
}

export function transformNameAffix(resources: Resource[], opts: AffixOptions): void {
  const prefix = opts.prefix ?? '';
  const suffix = opts.suffix ?? '';
  for (const r of resources) {
    const org = r.originalId;
    if (skipped.some((s) => gvkSelected(org, s))) continue;
    for (const fs of opts.fieldSpecs) {
      if (!gvkSelected(org, fs)) continue;
      if (fs.path === 'metadata/name') {
        if (opts.prefix !== undefined) {
          r.prefixes.push(prefix);
          if (prefix !== '') r.storePreviousId();
        }
        if (opts.suffix !== undefined) {
          r.suffixes.push(suffix);
          if (suffix !== '') r.storePreviousId();
        }
      }
      visitField(r.obj, fs.path, Boolean(fs.create), (holder, key) => {
        const v = holder[key];
        if (typeof v === 'string') holder[key] = `${prefix}${v}${suffix}`;
      });
    }
  }
}
