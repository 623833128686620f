// Name references: after prefixes, suffixes and hashes changed names, fix every field that refers
// to another object by name (ConfigMaps in volumes and env, ServiceAccounts, roleRefs, ...).
import { gvkSelected, type NameBackReference, resHasField, visitField } from '../fieldspec.js';
import { hasOwn } from '../own.js';
import {
  effectiveNamespace,
  type Gvk,
  isClusterScoped,
  isObject,
  KustomizeError,
  type ResId,
  type Resource,
} from '../resource.js';
import type { Json, JsonObject } from '../yaml-types.js';

function sameEndingSubSlice(a: string[], b: string[]): boolean {
  let shortest = a;
  let longest = b;
  if (shortest.length > longest.length) [shortest, longest] = [longest, shortest];
  const diff = longest.length - shortest.length;
  if (shortest.length === 0) return diff === 0;
  for (let i = shortest.length - 1; i >= 0; i--) if (longest[i + diff] !== shortest[i]) return false;
  return true;
}

/** What the pass needs to know about each object, computed once (names do not change during it). */
interface Info {
  r: Resource;
  id: ResId;
  /** The ids it had before its current one: kustomize matches references against these only. */
  prevIds: ResId[];
  clusterScoped: boolean;
  effNs: string;
  orgEffNs: string;
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

interface Ctx {
  referrer: Info;
  path: string;
  target: Partial<Gvk>;
  byName: Map<string, Info[]>;
  /** Namespaces of ServiceAccount subjects, which a RoleBinding may reach into. */
  rbNs: Set<string>;
}

/** kustomize's SubsetThatCouldBeReferencedByResource. */
function reachable(ctx: Ctx, t: Info): boolean {
  if (ctx.referrer.clusterScoped || t.clusterScoped) return true;
  if (t.effNs === ctx.referrer.effNs) return true;
  return ctx.rbNs.has(t.r.namespace);
}

function selectReferral(
  ctx: Ctx,
  oldName: string,
  namespace: string | undefined,
  withNs: boolean,
): Resource | undefined {
  let c = (ctx.byName.get(oldName) ?? []).filter((t) => reachable(ctx, t));
  if (namespace !== undefined) {
    const want = namespace === '' ? 'default' : namespace;
    const byOrg = c.filter((t) => t.orgEffNs === want);
    c = byOrg.length > 0 ? byOrg : c.filter((t) => t.effNs === want);
  }
  c = c.filter((t) => t.prevIds.some((id) => gvkSelected(id, ctx.target)));
  if (ctx.path.endsWith('roleRef/name')) {
    const roleRef = ctx.referrer.r.obj.roleRef;
    if (isObject(roleRef) && typeof roleRef.apiGroup === 'string' && typeof roleRef.kind === 'string') {
      const sel = { group: roleRef.apiGroup, kind: roleRef.kind };
      c = c.filter((t) => t.prevIds.some((id) => gvkSelected(id, sel)));
    }
  }
  if (!ctx.referrer.clusterScoped) {
    c = c.filter((t) => t.clusterScoped || t.r.kind === 'ServiceAccount' || ctx.referrer.effNs === t.effNs);
  }
  if (c.length === 1) return c[0]!.r;
  const ref = ctx.referrer.r;
  // First a coarse pass where an empty prefix or suffix list matches anything, then an exact one.
  c = c.filter(
    ({ r }) =>
      (r.prefixes.length === 0 ||
        ref.prefixes.length === 0 ||
        sameEndingSubSlice(r.prefixes, ref.prefixes)) &&
      (r.suffixes.length === 0 || ref.suffixes.length === 0 || sameEndingSubSlice(r.suffixes, ref.suffixes)),
  );
  if (c.length === 1) return c[0]!.r;
  c = c.filter(
    ({ r }) => sameEndingSubSlice(r.prefixes, ref.prefixes) && sameEndingSubSlice(r.suffixes, ref.suffixes),
  );
  if (c.length === 1) return c[0]!.r;
  if (c.length === 0) return undefined;
  const first = c[0]!.r;
  const identical = c.every(({ r }) => r.name === first.name && (!withNs || r.namespace === first.namespace));
  if (identical) return first;
  throw new KustomizeError(
    `found multiple possible referrals for name "${oldName}" in ${ref.kind} ${ref.name}: ${c
      .map(({ r }) => `${r.kind}/${r.name}${r.namespace ? `.${r.namespace}` : ''}`)
      .join(', ')}`,
  );
}

function setScalar(ctx: Ctx, holder: JsonObject | Json[], key: string | number): void {
  const v = (holder as Record<string | number, Json>)[key];
  if (typeof v !== 'string') return;
  const referral = selectReferral(ctx, v, undefined, false);
  if (!referral || referral.name === v) return;
  (holder as Record<string | number, Json>)[key] = referral.name;
}

function setMapping(ctx: Ctx, node: JsonObject): void {
  if (!hasOwn(node, 'name')) throw new KustomizeError(`path config error; no 'name' field in node`);
  const oldName = node.name;
  if (typeof oldName !== 'string') return;
  if (hasOwn(node, 'namespace') && (node.namespace === null || node.namespace === '')) {
    throw new KustomizeError(
      `Invalid Input: namespace is blank for resource ${ctx.referrer.r.kind} ${ctx.referrer.r.name} (${ctx.path})`,
    );
  }
  const ns = typeof node.namespace === 'string' ? node.namespace : undefined;
  const referral = selectReferral(ctx, oldName, ns, true);
  if (!referral) return;
  if (referral.name === oldName && referral.namespace === '') return;
  node.name = referral.name;
  if (referral.namespace !== '') node.namespace = referral.namespace;
}

export function fixNameReferences(resources: Resource[], backRefs: NameBackReference[]): void {
  const infos = new Map<Resource, Info>();
  const byName = new Map<string, Info[]>();
  for (const r of resources) {
    const id = r.id;
    const info: Info = {
      r,
      id,
      prevIds: r.previousIds,
      clusterScoped: isClusterScoped(id),
      effNs: effectiveNamespace(id),
      orgEffNs: effectiveNamespace(r.originalId),
    };
    infos.set(r, info);
    // An object never renamed or moved needs no reference fixed, and kustomize finds none for it.
    for (const name of new Set(r.previousIds.map((x) => x.name))) {
      const list = byName.get(name);
      if (list) list.push(info);
      else byName.set(name, [info]);
    }
  }
  for (const b of backRefs) {
    for (const spec of b.referrers) {
      for (const info of infos.values()) {
        if (!gvkSelected(info.r.originalId, spec)) continue;
        if (!resHasField(info.r.obj, spec.path)) continue;
        const ctx: Ctx = {
          referrer: info,
          path: spec.path,
          target: b.gvk,
          byName,
          rbNs: roleBindingNamespaces(info.r),
        };
        visitField(info.r.obj, spec.path, false, (holder, key) => {
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
  }
}
