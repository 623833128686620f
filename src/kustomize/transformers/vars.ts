// `vars`: $(NAME) references in known fields, replaced by a field of a named object once all
// names are final.
import { type FieldSpec, gvkSelected, visitField } from '../fieldspec.js';
import { isObject, KustomizeError, lowerKeys, parseApiVersion, type Resource } from '../resource.js';
import type { Json } from '../yaml-types.js';
import { getField } from './field-path.js';

export interface Var {
  name: string;
  objref: { group: string; version: string; kind: string; name: string; namespace: string };
  fieldPath: string;
}

export function parseVar(v: Json, w: string): Var {
  const lv = lowerKeys(v);
  if (!isObject(v) || typeof lv.name !== 'string') throw new KustomizeError(`${w}: var needs a name`);
  const o = lowerKeys(lv.objref);
  const gv = parseApiVersion(typeof o.apiversion === 'string' ? o.apiversion : '');
  const fr = lowerKeys(lv.fieldref);
  return {
    name: lv.name,
    objref: {
      group: typeof o.group === 'string' ? o.group : gv.group,
      version: typeof o.version === 'string' ? o.version : gv.version,
      kind: typeof o.kind === 'string' ? o.kind : '',
      name: typeof o.name === 'string' ? o.name : '',
      namespace: typeof o.namespace === 'string' ? o.namespace : '',
    },
    fieldPath: typeof fr.fieldpath === 'string' && fr.fieldpath ? fr.fieldpath : 'metadata.name',
  };
}

/** Go's field path syntax in vars: `spec.ports[0].port` as well as kyaml's `spec.ports.0.port`. */
function varFieldPath(p: string): string {
  return p.replace(/\[(\d+)\]/g, '.$1');
}

function resolveValues(resources: Resource[], vars: Var[]): Map<string, Json> {
  const values = new Map<string, Json>();
  for (const v of vars) {
    const matches = resources.filter((r) => r.refVarNames.includes(v.name));
    if (matches.length === 0) {
      throw new KustomizeError(`var '${v.name}' cannot be mapped to a field in the set of known resources`);
    }
    const value = getField(matches[0]!.obj, varFieldPath(v.fieldPath));
    if (value === undefined) {
      throw new KustomizeError(
        `field specified in var '${v.name}' (${v.fieldPath}) not found in ${v.objref.kind} ${v.objref.name}`,
      );
    }
    values.set(v.name, value);
  }
  return values;
}

/**
 * Replaces `$(NAME)` references and `$$` escapes left to right, as
 * `s.replace(/\$\(([^)]*)\)|\$\$/g, …)` would, in linear time: that regex rescans to the end of
 * the string from every `$(` that has no `)` after it (quadratic on a long run of `$(`).
 */
function replaceRefs(s: string, replace: (ref: string, name: string | undefined) => string): string {
  let out = '';
  let copied = 0;
  // The first `)` at or after the last `$(` looked at; -1 once there is none left.
  let close = -2;
  for (let d = s.indexOf('$'); d >= 0; d = s.indexOf('$', d)) {
    if (s[d + 1] === '(') {
      if (close !== -1 && close < d + 2) close = s.indexOf(')', d + 2);
      if (close >= 0) {
        out += s.slice(copied, d) + replace(s.slice(d, close + 1), s.slice(d + 2, close));
        copied = d = close + 1;
        continue;
      }
    }
    if (s[d + 1] === '$') {
      out += `${s.slice(copied, d)}${replace('$$', undefined)}`;
      copied = d = d + 2;
      continue;
    }
    d++;
  }
  return out + s.slice(copied);
}

function expand(s: string, values: Map<string, Json>, used: Set<string>): Json {
  const whole = /^\$\(([^)]*)\)$/.exec(s);
  if (whole && values.has(whole[1]!)) {
    used.add(whole[1]!);
    const v = values.get(whole[1]!)!;
    return v;
  }
  return replaceRefs(s, (m, name) => {
    if (m === '$$') return '$';
    if (name !== undefined && values.has(name)) {
      used.add(name);
      const v = values.get(name)!;
      return typeof v === 'string' ? v : JSON.stringify(v);
    }
    return m;
  });
}

export function resolveVars(resources: Resource[], vars: Var[], specs: FieldSpec[]): void {
  if (vars.length === 0) return;
  const values = resolveValues(resources, vars);
  const used = new Set<string>();
  for (const r of resources) {
    for (const fs of specs) {
      if (!gvkSelected(r.gvk, fs)) continue;
      visitField(r.obj, fs.path, false, (holder, key) => {
        const cur = holder[key];
        if (typeof cur === 'string') holder[key] = expand(cur, values, used);
        else if (Array.isArray(cur)) {
          for (let i = 0; i < cur.length; i++) {
            const el = cur[i];
            if (typeof el === 'string') cur[i] = expand(el, values, used);
          }
        } else if (isObject(cur)) {
          for (const [k, el] of Object.entries(cur))
            if (typeof el === 'string') cur[k] = expand(el, values, used);
        }
      });
    }
  }
}
