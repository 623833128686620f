// Target selection for patches and replacements: gvk, name/namespace regexes and label or
// annotation selectors, matched the way kustomize's ResMap.Select does.
//
// The regexes come from Git. kustomize compiles them with Go's regexp (RE2: linear time, no
// backreferences or lookaround); so do we, with re2js (a port of the same engine), instead of a
// backtracking JavaScript RegExp where `(a+)+b` against `aaa…a` takes exponential time.
import { RE2JS } from 're2js';
import { getOwn, hasOwn } from './own.js';
import { effectiveNamespace, isObject, KustomizeError, type Resource } from './resource.js';
import type { Json } from './yaml-types.js';

export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export function parseSelector(v: Json | undefined, where: string): Selector | undefined {
  if (v === undefined || v === null) return undefined;
  return parseSelectorFields(v, where, 'target');
}

/**
 * The selector fields of a map. `extra` handles fields a caller allows besides them (it answers
 * false for an unknown field); `noun` names the map in errors ("target", "selector").
 */
export function parseSelectorFields(
  v: Json,
  where: string,
  noun: string,
  extra: (key: string, value: string, s: Selector) => boolean = () => false,
): Selector {
  if (!isObject(v)) throw new KustomizeError(`${where}: ${noun} must be a map`);
  const s: Selector = {};
  for (const [k, val] of Object.entries(v)) {
    if (val === null) continue;
    const str = String(val);
    switch (k) {
      case 'group':
      case 'version':
      case 'kind':
      case 'name':
      case 'namespace':
      case 'labelSelector':
      case 'annotationSelector':
        s[k] = str;
        break;
      default:
        if (!extra(k, str, s)) throw new KustomizeError(`${where}: unknown ${noun} field "${k}"`);
    }
  }
  return s;
}

const regexCache = new Map<string, RE2JS>();

/** kustomize's anchorRegex: `^(?:pattern)$`, compiled with RE2 syntax and semantics. */
function anchoredRegex(pattern: string): RE2JS {
  let re = regexCache.get(pattern);
  if (!re) {
    try {
      re = RE2JS.compile(`^(?:${pattern})$`);
    } catch (e) {
      const why = e instanceof Error && e.message ? `: ${e.message}` : '';
      throw new KustomizeError(`invalid regular expression in target: ${pattern}${why}`);
    }
    // Patterns come from repositories: the process-wide cache stays bounded.
    if (regexCache.size >= 1024) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

type Requirement = (m: Record<string, string>) => boolean;

/** Parses a Kubernetes label selector string (`a=b,c!=d,e in (x,y),!f,g`). */
export function parseLabelSelector(sel: string): Requirement[] {
  const reqs: Requirement[] = [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sel) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (p === '') continue;
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
    if (m) {
      const key = m[1]!;
      const values = m[3]!.split(',').map((x) => x.trim());
      const neg = m[2] === 'notin';
      reqs.push((l) => {
        const v = getOwn(l, key);
        return neg ? v === undefined || !values.includes(v) : v !== undefined && values.includes(v);
      });
      continue;
    }
    m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(p);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      if (op === '!=') reqs.push((l) => getOwn(l, key) !== value);
      else reqs.push((l) => getOwn(l, key) === value);
      continue;
    }
    m = /^!\s*(\S+)$/.exec(p);
    if (m) {
      const key = m[1]!;
      reqs.push((l) => !hasOwn(l, key));
      continue;
    }
    if (/^[^\s!=(),]+$/.test(p)) {
      reqs.push((l) => hasOwn(l, p));
      continue;
    }
    throw new KustomizeError(`invalid label selector "${sel}"`);
  }
  return reqs;
}

export function matchesSelector(r: Resource, s: Selector): boolean {
  if (s.namespace) {
    const re = anchoredRegex(s.namespace);
    if (!re.test(effectiveNamespace(r.originalId)) && !re.test(effectiveNamespace(r.id))) return false;
  }
  if (s.name) {
    const re = anchoredRegex(s.name);
    if (!re.test(r.originalId.name) && !re.test(r.name)) return false;
  }
  const gvk = r.gvk;
  if (s.group !== undefined && s.group !== '' && !anchoredRegex(s.group).test(gvk.group)) return false;
  if (s.version && !anchoredRegex(s.version).test(gvk.version)) return false;
  if (s.kind && !anchoredRegex(s.kind).test(gvk.kind)) return false;
  if (s.labelSelector && !parseLabelSelector(s.labelSelector).every((q) => q(r.labels()))) return false;
  if (s.annotationSelector && !parseLabelSelector(s.annotationSelector).every((q) => q(r.annotations()))) {
    return false;
  }
  return true;
}

export function select(resources: Resource[], s: Selector): Resource[] {
  // Like kustomize's NewSelectorRegex: every pattern is compiled (and a bad one refused) up front.
  for (const p of [s.group, s.version, s.kind, s.name, s.namespace]) if (p) anchoredRegex(p);
  return resources.filter((r) => matchesSelector(r, s));
}
