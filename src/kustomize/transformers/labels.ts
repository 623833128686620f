// LabelTransformer: `commonLabels` and `labels` — sets labels on objects and, depending on the
// field specs, on selectors and pod templates.
import { type FieldSpec, gvkSelected, visitField } from '../fieldspec.js';
import { getOwn, setOwn } from '../own.js';
import { isObject, type Resource } from '../resource.js';

export interface MapFieldOptions {
  values: Record<string, string>;
  fieldSpecs: FieldSpec[];
}

/** Sets every key of `values` in the maps at the field specs (shared by labels and annotations). */
export function setMapEntries(resources: Resource[], opts: MapFieldOptions): void {
  const keys = Object.keys(opts.values);
  if (keys.length === 0) return;
  for (const r of resources) {
    const gvk = r.gvk;
    for (const fs of opts.fieldSpecs) {
      if (!gvkSelected(gvk, fs)) continue;
      visitField(r.obj, fs.path, Boolean(fs.create), (holder, key) => {
        let m = holder[key];
        if (m === undefined || m === null) {
          m = {};
          holder[key] = m;
        }
        if (!isObject(m)) return;
        for (const k of keys) setOwn(m, k, getOwn(opts.values, k)!);
      });
    }
  }
}

export function transformLabels(resources: Resource[], opts: MapFieldOptions): void {
  setMapEntries(resources, opts);
}
