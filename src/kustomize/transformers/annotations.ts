// AnnotationsTransformer: `commonAnnotations` — sets annotations on objects and pod templates.
import type { Resource } from '../resource.js';
import { type MapFieldOptions, setMapEntries } from './labels.js';

export function transformAnnotations(resources: Resource[], opts: MapFieldOptions): void {
  setMapEntries(resources, opts);
}
