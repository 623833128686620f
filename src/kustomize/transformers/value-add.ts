// ValueAddTransformer: adds a value (by default the kustomization directory's name) to fields of
// selected objects, or inserts it as a path segment of their current value.
import { splitPath } from '../fieldspec.js';
import { getOwn, setOwn } from '../own.js';
import { isObject, KustomizeError, type Resource } from '../resource.js';
import { type Selector, select } from '../selector.js';
import type { Json } from '../yaml-types.js';
import { transformNamespace } from './namespace.js';

export interface ValueAddTarget {
  selector?: Selector;
  fieldPath: string;
  filePathPosition: number;
}

/** Inserts part into a slash-separated path at a position (appended past the end). */
export function insertPathPart(p: string, pos: number, part: string): string {
  const parts = p.split('/');
  if (pos >= parts.length) return [...parts, part].join('/');
  parts.splice(Math.max(pos, 0), 0, part);
  return parts.join('/');
}

export function transformValueAdd(resources: Resource[], value: string, targets: ValueAddTarget[]): void {
  for (const t of targets) {
    const selected = t.selector ? select(resources, t.selector) : resources;
    if (t.fieldPath === 'metadata/namespace') {
      transformNamespace(selected, { namespace: value, fieldSpecs: [] });
      continue;
    }
    for (const r of selected) {
      const fields = splitPath(t.fieldPath);
      let node: Json = r.obj;
      for (const f of fields.slice(0, -1)) {
        if (!isObject(node)) throw new KustomizeError(`value add: ${t.fieldPath} does not lead to a map`);
        let child: Json | undefined = getOwn(node, f);
        if (!isObject(child)) {
          child = {};
          setOwn(node, f, child);
        }
        node = child;
      }
      if (!isObject(node)) throw new KustomizeError(`value add: ${t.fieldPath} does not lead to a map`);
      const last = fields[fields.length - 1]!;
      const cur = getOwn(node, last);
      const text = cur === undefined || cur === null ? '' : String(cur);
      setOwn(
        node,
        last,
        t.filePathPosition === 0 || text === '' ? value : insertPathPart(text, t.filePathPosition - 1, value),
      );
    }
  }
}
