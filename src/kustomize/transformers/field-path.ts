// kyaml-style dotted field paths (`spec.containers.[name=app].image`, `data.[a.b]`, `items.*.x`).
import { getOwn, hasOwn, setOwn } from '../own.js';
import { isObject, KustomizeError } from '../resource.js';
import type { Json, JsonObject } from '../yaml-types.js';

/**
 * Splits on dots outside brackets. Like kyaml's PathGetter, segments are trimmed and empty ones
 * dropped, so `.metadata.name` and `metadata..name` both mean `metadata.name`.
 */
export function splitFieldPath(p: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of p) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === '.' && depth === 0) {
      pushSegment(out, cur);
      cur = '';
    } else cur += ch;
  }
  pushSegment(out, cur);
  return out;
}

function pushSegment(out: string[], seg: string): void {
  const trimmed = seg.trim();
  if (trimmed !== '') out.push(trimmed);
}

/** A field found by lookupFields: `key` is always an own key of a map parent (or an index). */
export interface FieldRef {
  parent: JsonObject | Json[];
  key: string | number;
}

/** Whether a path segment is a `[key=value]` element selector (`/^\[.*=.*\]$/`, in linear time). */
function isElementSelector(seg: string): boolean {
  return (
    seg.length >= 3 &&
    seg.startsWith('[') &&
    seg.endsWith(']') &&
    seg.includes('=') &&
    !/[\n\r\u2028\u2029]/.test(seg)
  );
}

/** Finds (and with createAs, creates) the fields at a path; returns references to them. */
export function lookupFields(root: JsonObject, segments: string[], createAs?: 'map' | 'scalar'): FieldRef[] {
  let current: FieldRef[] = [{ parent: { root } as JsonObject, key: 'root' }];
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    const next: FieldRef[] = [];
    for (const ref of current) {
      const node = (ref.parent as Record<string | number, Json>)[ref.key];
      const bracket = /^\[(.*)\]$/.exec(seg);
      if (Array.isArray(node)) {
        if (seg === '*' || seg === '[*]') {
          for (let idx = 0; idx < node.length; idx++) next.push({ parent: node, key: idx });
        } else if (/^-?\d+$/.test(seg)) {
          const idx = Number(seg);
          if (idx >= 0 && idx < node.length) next.push({ parent: node, key: idx });
        } else if (bracket) {
          const eq = bracket[1]!.indexOf('=');
          if (eq < 0) continue;
          const k = bracket[1]!.slice(0, eq);
          const v = bracket[1]!.slice(eq + 1);
          let found = false;
          node.forEach((el, idx) => {
            const field = isObject(el) ? getOwn(el, k) : undefined;
            if (k === '' ? String(el) === v : field !== undefined && String(field) === v) {
              next.push({ parent: node, key: idx });
              found = true;
            }
          });
          if (!found && createAs && k !== '') {
            node.push({ [k]: v });
            next.push({ parent: node, key: node.length - 1 });
          }
        }
        continue;
      }
      if (isObject(node)) {
        const key = bracket && !bracket[1]!.includes('=') ? bracket[1]! : seg;
        const present = hasOwn(node, key);
        if (present && node[key] !== null) next.push({ parent: node, key });
        else if (createAs) {
          if (!last) setOwn(node, key, isElementSelector(segments[i + 1] ?? '') ? [] : {});
          else setOwn(node, key, createAs === 'map' ? {} : '');
          next.push({ parent: node, key });
        } else if (present && last) next.push({ parent: node, key });
        continue;
      }
      if ((node === undefined || node === null) && createAs) {
        throw new KustomizeError(`cannot create field ${seg}`);
      }
    }
    current = next;
  }
  return current;
}

export function getField(root: JsonObject, path: string): Json | undefined {
  const refs = lookupFields(root, splitFieldPath(path));
  if (refs.length === 0) return undefined;
  const ref = refs[0]!;
  return (ref.parent as Record<string | number, Json>)[ref.key];
}
