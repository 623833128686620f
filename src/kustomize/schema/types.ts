/** Strategic-merge metadata of one field: r = definition of the field (or of its items when a list;
 * `map:` prefix for a map of them), k = merge key, s = patch strategy, l = it is a list. */
export interface PatchFieldData {
  r?: string;
  k?: string;
  s?: string;
  l?: 1;
  /** x-kubernetes-list-map-keys, when there are several. */
  mk?: string[];
}

export interface PatchSchemaData {
  /** "apps/v1/Deployment" (core: "v1/Pod") to definition name. */
  kinds: Record<string, string>;
  defs: Record<string, Record<string, PatchFieldData>>;
  /** "group/version/Kind" of cluster-scoped built-in kinds (core group is ""). */
  clusterScoped: string[];
}
