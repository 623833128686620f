// Drift ignore rules (Flux's Kustomization spec.ignore): JSON pointers (RFC 6901), optionally for
// objects matching a target selector, whose values the cluster owns. Before an object that exists
// is dry-run, each ignored path of the desired object takes the live value (or is removed when
// the live object has none): such fields are then neither reported as drift nor overwritten. On
// create the desired object is applied whole, as in Flux. Pure.

import type { Manifest } from '../kube/dynamic.js';
import { parseLabelSelector } from '../kustomize/selector.js';

export interface IgnoreTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface IgnoreRuleSpec {
  paths: string[];
  target?: IgnoreTarget;
}

export class InvalidIgnoreRule extends Error {}

type Matcher = (obj: Manifest) => boolean;

interface CompiledRule {
  pointers: string[][];
  matches: Matcher;
}

export class IgnoreRules {
  private constructor(private readonly rules: CompiledRule[]) {}

  /** Compiles the rules; throws InvalidIgnoreRule naming `spec.ignore[i]`. */
  static compile(specs: readonly IgnoreRuleSpec[] | undefined): IgnoreRules | undefined {
    if (!specs?.length) return undefined;
    return new IgnoreRules(
      specs.map((r, i) => {
        const where = `spec.ignore[${i}]`;
        return {
          pointers: r.paths.map((p, j) => parsePointer(p, `${where}.paths[${j}]`)),
          matches: compileTarget(r.target, `${where}.target`),
        };
      }),
    );
  }

  /** The ignored paths that apply to this object. */
  pathsFor(obj: Manifest): string[][] {
    return this.rules.filter((r) => r.matches(obj)).flatMap((r) => r.pointers);
  }

  /** `desired` with every ignored path set to the live value (or removed); undefined if none applies. */
  adopt(desired: Manifest, live: Manifest): Manifest | undefined {
    const paths = this.pathsFor(desired);
    if (paths.length === 0) return undefined;
    const out = structuredClone(desired);
    for (const tokens of paths) {
      const value = getAt(live, tokens);
      if (value === undefined) removeAt(out, tokens);
      else setAt(out, tokens, structuredClone(value));
    }
    return out;
  }
}

function parsePointer(pointer: string, where: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw new InvalidIgnoreRule(`${where}: '${pointer}' is not a JSON pointer (must start with '/')`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

type Container = Record<string, unknown> | unknown[];

function child(cur: unknown, token: string): unknown {
  if (Array.isArray(cur)) {
    const i = arrayIndex(token);
    return i === undefined ? undefined : cur[i];
  }
  if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, token))
    return (cur as Record<string, unknown>)[token];
  return undefined;
}

function arrayIndex(token: string): number | undefined {
  return /^(0|[1-9][0-9]{0,8})$/.test(token) ? Number(token) : undefined;
}

function getAt(obj: unknown, tokens: string[]): unknown {
  let cur = obj;
  for (const t of tokens) {
    cur = child(cur, t);
    if (cur === undefined) return undefined;
  }
  return cur;
}

function setAt(obj: Manifest, tokens: string[], value: unknown): void {
  if (tokens.length === 0) return;
  let cur: Container = obj as unknown as Container;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i]!;
    let next = child(cur, t);
    if (next === undefined || next === null || typeof next !== 'object') {
      // Only maps are created on the way; a missing list item cannot be made up.
      if (Array.isArray(cur)) return;
      next = {};
      Object.defineProperty(cur, t, { value: next, enumerable: true, writable: true, configurable: true });
    }
    cur = next as Container;
  }
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(cur)) {
    const i = arrayIndex(last);
    if (i !== undefined && i < cur.length) cur[i] = value;
    return;
  }
  Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
}

function removeAt(obj: Manifest, tokens: string[]): void {
  if (tokens.length === 0) return;
  const parent = getAt(obj, tokens.slice(0, -1));
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(parent)) {
    const i = arrayIndex(last);
    if (i !== undefined && i < parent.length) parent.splice(i, 1);
  } else if (parent !== null && typeof parent === 'object' && Object.hasOwn(parent, last)) {
    delete (parent as Record<string, unknown>)[last];
  }
}

function compileTarget(t: IgnoreTarget | undefined, where: string): Matcher {
  if (!t) return () => true;
  const re = (field: keyof IgnoreTarget): RegExp | undefined => {
    const pattern = t[field];
    if (!pattern) return undefined;
    try {
      return new RegExp(`^(?:${pattern})$`);
    } catch {
      throw new InvalidIgnoreRule(`${where}.${field}: invalid regular expression '${pattern}'`);
    }
  };
  const [group, version, kind, name, namespace] = (
    ['group', 'version', 'kind', 'name', 'namespace'] as const
  ).map(re);
  const selector = (field: 'labelSelector' | 'annotationSelector') => {
    const s = t[field];
    if (!s) return undefined;
    try {
      return parseLabelSelector(s);
    } catch (err) {
      throw new InvalidIgnoreRule(`${where}.${field}: ${(err as Error).message}`);
    }
  };
  const labels = selector('labelSelector');
  const annotations = selector('annotationSelector');
  return (obj) => {
    const slash = obj.apiVersion.indexOf('/');
    const g = slash < 0 ? '' : obj.apiVersion.slice(0, slash);
    const v = slash < 0 ? obj.apiVersion : obj.apiVersion.slice(slash + 1);
    return (
      (!group || group.test(g)) &&
      (!version || version.test(v)) &&
      (!kind || kind.test(obj.kind)) &&
      (!name || name.test(obj.metadata.name)) &&
      (!namespace || namespace.test(obj.metadata.namespace ?? '')) &&
      (!labels || labels.every((q) => q(obj.metadata.labels ?? {}))) &&
      (!annotations || annotations.every((q) => q(obj.metadata.annotations ?? {})))
    );
  };
}
