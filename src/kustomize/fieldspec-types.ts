// The shapes of field specs, shared by the default specs (defaults.ts) and the code that walks
// and extends them (fieldspec.ts), so neither has to import the other for its types.
import type { Gvk } from './resource.js';

/** "This field of these kinds" (kustomize's FieldSpec); `create` adds the field when absent. */
export interface FieldSpec extends Partial<Gvk> {
  path: string;
  create?: boolean;
}

/** The kinds that refer to objects of `gvk` by name, and where (kustomize's nameReference). */
export interface NameBackReference {
  gvk: Partial<Gvk>;
  referrers: FieldSpec[];
}
