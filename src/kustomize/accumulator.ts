// What a kustomization accumulates while it is built (kustomize's ResAccumulator): its objects,
// the transformer field specs, its vars, the strategic-merge schema and the output order.
import { defaultConfig, type TransformerConfig } from './fieldspec.js';
import type { Origin, Resource } from './resource.js';
import type { PatchSchemaData } from './schema/types.js';
import type { Var } from './transformers/vars.js';

export interface Accumulator {
  resources: Resource[];
  config: TransformerConfig;
  vars: Var[];
  /** Custom OpenAPI schema for strategic merge, from the kustomization's `openapi` field. */
  schema?: PatchSchemaData;
  sortOptions?: SortOptions;
}

export interface SortOptions {
  order: 'legacy' | 'fifo';
  orderFirst?: string[];
  orderLast?: string[];
}

export function emptyAccumulator(): Accumulator {
  return { resources: [], config: defaultConfig(), vars: [] };
}

/** Records, for buildMetadata transformerAnnotations, that a transformer ran over every object. */
export function noteTransformation(ra: Accumulator, origin: Origin): void {
  for (const r of ra.resources) r.transformations.push(origin);
}
