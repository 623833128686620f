// Name references: after prefixes, suffixes and hashes changed names, fix every field that refers
// to another object by name (ConfigMaps in volumes and env, ServiceAccounts, roleRefs, ...).
import { gvkSelected, type NameBackReference, resHasField, visitField } from '../fieldspec.js';
import {
  effectiveNamespace,
  type Gvk,
  isClusterScoped,
  isObject,
  KustomizeError,
  type Resource,
} from '../resource.js';
import type { Json, JsonObject } from '../yaml.js';

function sameEndingSubSlice(a: string[], b: string[]): boolean {
  let shortest = a;
  let longest = b;
  if (shortest.length > longest.length) [shortest, longest] = [longest, shortest];
  const diff = longest.length - shortest.length;
  if (shortest.length === 0) return diff === 0;
  for (let i = shortest.length - 1; i >= 0; i--) if (longest[i + diff] !== shortest[i]) return false;
  return true;
}

function roleBindingNamespaces(r: Resource): Set<string> {
  const out = new Set<string>();
  if (r.kind !== 'RoleBinding') return out;
  const subjects = r.obj.subjects;
  if (!Array.isArray(subjects)) return out;
  for (const s of subjects) {
    if (isObject(s) && s.kind === 'ServiceAccount' && typeof s.namespace === 'string') out.add(s.namespace);
  }
  return out;
}

function candidatesFor(referrer: Resource, all: Resource[]): Resource[] {
  const rid = referrer.id;
  if (isClusterScoped(rid)) return all;
  const rbNs = roleBindingNamespaces(referrer);
  return all.filter((t) => {
    const id = t.id;
    if (isClusterScoped(id)) return true;
    if (effectiveNamespace(id) === effectiveNamespace(rid)) return true;
    return rbNs.has(t.namespace);
  });
}

interface Ctx {
  referrer: Resource;
  path: string;
  target: Partial<Gvk>;
  candidates: Resource[];
}

function selectReferral(
  ctx: Ctx,
  oldName: string,
  candidates: Resource[],
  withNs: boolean,
): Resource | undefined {
  let c = candidates.filter((r) => r.allIds.some((id) => id.name === oldName));
  c = c.filter((r) => r.allIds.some((id) => gvkSelected(id, ctx.target)));
  if (ctx.path.endsWith('roleRef/name')) {
    const roleRef = ctx.referrer.obj.roleRef;
    if (isObject(roleRef) && typeof roleRef.apiGroup === 'string' && typeof roleRef.kind === 'string') {
      const sel = { group: roleRef.apiGroup, kind: roleRef.kind };
      c = c.filter((r) => r.allIds.some((id) => gvkSelected(id, sel)));
    }
  }
  const rid = ctx.referrer.id;
  if (!isClusterScoped(rid)) {
    c = c.filter(
      (r) =>
        isClusterScoped(r.id) ||
        r.kind === 'ServiceAccount' ||
        effectiveNamespace(rid) === effectiveNamespace(r.id),
    );
  }
  if (c.length === 1) return c[0];
  const ref = ctx.referrer;
  // First a coarse pass where an empty prefix or suffix list matches anything, then an exact one.
  c = c.filter(
    (r) =>
      (r.prefixes.length === 0 ||
        ref.prefixes.length === 0 ||
        sameEndingSubSlice(r.prefixes, ref.prefixes)) &&
      (r.suffixes.length === 0 || ref.suffixes.length === 0 || sameEndingSubSlice(r.suffixes, ref.suffixes)),
  );
  if (c.length === 1) return c[0];
  c = c.filter(
    (r) => sameEndingSubSlice(r.prefixes, ref.prefixes) && sameEndingSubSlice(r.suffixes, ref.suffixes),
  );
  if (c.length === 1) return c[0];
  if (c.length === 0) return undefined;
  const first = c[0]!;
  const identical = c.every((r) => r.name === first.name && (!withNs || r.namespace === first.namespace));
  if (identical) return first;
  throw new KustomizeError(
    `found multiple possible referrals for name "${oldName}" in ${ctx.referrer.kind} ${ctx.referrer.name}: ${c
      .map((r) => `${r.kind}/${r.name}`)
      .join(', ')}`,
  );
}

function setScalar(ctx: Ctx, holder: JsonObject | Json[], key: string | number): void {
  const v = (holder as Record<string | number, Json>)[key];
  if (typeof v !== 'string') return;
  const referral = selectReferral(ctx, v, ctx.candidates, false);
  if (!referral || referral.name === v) return;
  (holder as Record<string | number, Json>)[key] = referral.name;
}

function setMapping(ctx: Ctx, node: JsonObject): void {
  if (!('name' in node)) throw new KustomizeError(`path config error; no 'name' field in node`);
  const oldName = node.name;
  if (typeof oldName !== 'string') return;
  let candidates = ctx.candidates;
  if ('namespace' in node && (node.namespace === null || node.namespace === '')) {
    throw new KustomizeError(
      `Invalid Input: namespace is blank for resource ${ctx.referrer.kind} ${ctx.referrer.name} (${ctx.path})`,
    );
  }
  if (typeof node.namespace === 'string') {
    const ns = node.namespace;
    const eff = (id: { namespace: string }) => (id.namespace === '' ? 'default' : id.namespace);
    const want = ns === '' ? 'default' : ns;
    const byOrg = ctx.candidates.filter((r) => eff(r.originalId) === want);
    candidates = byOrg.length > 0 ? byOrg : ctx.candidates.filter((r) => eff(r) === want);
  }
  const referral = selectReferral(ctx, oldName, candidates, true);
  if (!referral) return;
  if (referral.name === oldName && referral.namespace === '') return;
  node.name = referral.name;
  if (referral.namespace !== '') node.namespace = referral.namespace;
}

export function fixNameReferences(resources: Resource[], backRefs: NameBackReference[]): void {
  const work: { r: Resource; path: string; target: Partial<Gvk> }[] = [];
  for (const b of backRefs) {
    for (const spec of b.referrers) {
      for (const r of resources) {
        if (!gvkSelected(r.originalId, spec)) continue;
        if (!resHasField(r.obj, spec.path)) continue;
        work.push({ r, path: spec.path, target: b.gvk });
      }
    }
  }
  const candidateCache = new Map<Resource, Resource[]>();
  for (const w of work) {
    let candidates = candidateCache.get(w.r);
    if (!candidates) {
      candidates = candidatesFor(w.r, resources);
      candidateCache.set(w.r, candidates);
    }
    const ctx: Ctx = { referrer: w.r, path: w.path, target: w.target, candidates };
    visitField(w.r.obj, w.path, false, (holder, key) => {
      const v = holder[key];
      if (v === null || v === undefined) return;
      if (typeof v === 'string') setScalar(ctx, holder, key);
      else if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const el = v[i];
          if (typeof el === 'string') setScalar(ctx, v, i);
          else if (isObject(el)) setMapping(ctx, el);
        }
      } else if (isObject(v)) setMapping(ctx, v);
    });
  }
}
