// Drift detection: a server-side dry-run of each object compared with the live object (labels,
// annotations, and everything outside metadata and status), as Flux's manager_diff.go. Also the
// per-object plan that apply.ts executes, and the `diff` verb (what an apply would do).
import { formatRef, type Manifest, type ObjectRef, refOf } from '../kube/dynamic.js';
import { ApiError, isImmutableChange, isNoKindMatch } from '../kube/errors.js';
import type { ResourceType } from '../kube/resource.js';
import { manifestDigest } from './cache.js';
import { type Action, ChangeSet } from './changeset.js';
import type { ApplyContext } from './context.js';
import type { IgnoreRules } from './ignore.js';
import { mapLimit } from './limit.js';
import {
  isExcluded,
  isForceEnabled,
  type SsaPolicy,
  ssaPolicy,
  stripPlaceholderCABundle,
  takeoverPatch,
  withOwnerLabels,
} from './metadata.js';
import { normalize } from './normalize.js';
import { type Stage, stageOf } from './order.js';

// ---- Pure comparison -------------------------------------------------------------------------

const isEmptyContainer = (v: unknown): boolean =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** JSON equality where null, an empty map and an empty list are the same (Go's semantic equality). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmptyContainer(a) && isEmptyContainer(b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => semanticEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && semanticEqual(ao[k], bo[k]));
}

function withoutMetadataAndStatus(obj: Manifest): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = obj;
  return rest;
}

/**
 * True when applying would change the live object: it does not exist yet (the dry-run has no
 * resourceVersion), or labels, annotations, or anything outside metadata/status differ.
 */
export function hasDrifted(live: Manifest | undefined, dryRun: Manifest): boolean {
  if (!live || !dryRun.metadata.resourceVersion) return true;
  if (!semanticEqual(live.metadata.labels, dryRun.metadata.labels)) return true;
  if (!semanticEqual(live.metadata.annotations, dryRun.metadata.annotations)) return true;
  return !semanticEqual(withoutMetadataAndStatus(live), withoutMetadataAndStatus(dryRun));
}

/** Top-level paths whose values differ, for messages and `mooring diff` (`spec.replicas`, `metadata.labels`). */
export function driftedPaths(live: Manifest | undefined, dryRun: Manifest, limit = 20): string[] {
  if (!live) return ['(new object)'];
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= limit || semanticEqual(a, b)) return;
    const objs =
      a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b);
    if (!objs) {
      out.push(path);
      return;
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)]))
      walk(ao[k], bo[k], path ? `${path}.${k}` : k);
  };
  walk(live.metadata.labels, dryRun.metadata.labels, 'metadata.labels');
  walk(live.metadata.annotations, dryRun.metadata.annotations, 'metadata.annotations');
  walk(withoutMetadataAndStatus(live), withoutMetadataAndStatus(dryRun), '');
  return out;
}

// ---- Preparing and planning objects -----------------------------------------------------------

/** A desired object ready to apply: owner labels added, identity and digest computed. */
export interface Prepared {
  desired: Manifest;
  ref: ObjectRef;
  subject: string;
  digest: string;
  policy: SsaPolicy;
  stage: Stage;
  /** Resolved by the RESTMapper; undefined until the kind is served. */
  type?: ResourceType;
}

export function prepare(m: ApplyContext, obj: Manifest): Prepared {
  const desired = normalize(stripPlaceholderCABundle(withOwnerLabels(obj, m.ownerLabels)));
  const ref = refOf(desired);
  return {
    desired,
    ref,
    subject: formatRef(ref),
    digest: manifestDigest(desired),
    policy: ssaPolicy(desired.metadata),
    stage: stageOf(ref),
  };
}

/** A JSON patch operation of the takeover cleanup (see metadata.ts). */
export type TakeoverOps = ReturnType<typeof takeoverPatch>;

export type Plan =
  | { type: 'skip'; note: string; live?: Manifest }
  | { type: 'unchanged'; live: Manifest }
  | {
      type: 'write';
      action: 'created' | 'configured';
      live?: Manifest;
      merged?: Manifest;
      takeover: TakeoverOps;
      /** Immutable field changed and force requested: delete, wait until gone, apply. */
      recreate: boolean;
      /** Presumed new and written without a dry-run; the write tells whether it created it. */
      optimistic?: boolean;
    }
  | { type: 'defer'; why: string }
  | { type: 'reject'; reason: string; message: string };

export interface PlanContext {
  force: boolean;
  /** True when a NotFound dry-run is explained by a CRD or Namespace applied earlier in this set. */
  deferrable: (p: Prepared) => boolean;
  /** Drift ignore rules: ignored paths of an existing object keep their live values. */
  ignore?: IgnoreRules;
  signal?: AbortSignal;
}

function rejection(p: Prepared, err: ApiError): Plan {
  return {
    type: 'reject',
    reason: err.reason || String(err.code),
    message: `${p.subject} dry-run failed (${err.reason || err.code}): ${err.message}`,
  };
}

/** Decides what to do with one object: GET live and dry-run as needed, compare, never write. */
export async function planObject(m: ApplyContext, p: Prepared, ctx: PlanContext): Promise<Plan> {
  if (isExcluded(p.desired.metadata))
    return {
      type: 'skip',
      note: `${p.policy === 'Ignore' ? 'ssa: Ignore' : 'reconcile: disabled'} in manifest`,
    };
  let live: Manifest | undefined;
  let fetched = false;
  const getLive = async (): Promise<Manifest | undefined> => {
    if (!fetched) {
      live = await m.dynamic.get(p.ref, ctx.signal);
      fetched = true;
    }
    return live;
  };
  if (p.policy === 'IfNotPresent') {
    const l = await getLive();
    if (l) return { type: 'skip', note: 'ssa: IfNotPresent and the object exists', live: l };
  }
  if (ctx.ignore && ctx.ignore.pathsFor(p.desired).length > 0) {
    const l = await getLive();
    const adopted = l && ctx.ignore.adopt(p.desired, l);
    if (adopted) p.desired = adopted;
  }

  const dry = (): Promise<Manifest> =>
    m.dynamic.apply(p.desired, {
      fieldManager: m.fieldManager,
      force: true,
      dryRun: true,
      signal: ctx.signal,
    });
  let dryRun: Manifest;
  try {
    dryRun = await dry();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const l = await getLive().catch(() => undefined);
    if (l && isExcluded(l.metadata))
      return { type: 'skip', note: 'reconcile disabled on the live object', live: l };
    if (err.code === 404 && ctx.deferrable(p)) return { type: 'defer', why: err.message };
    if (l && isImmutableChange(err)) {
      if (ctx.force || isForceEnabled(p.desired.metadata) || isForceEnabled(l.metadata))
        return { type: 'write', action: 'configured', live: l, takeover: [], recreate: true };
      return {
        type: 'reject',
        reason: 'ImmutableField',
        message:
          `${p.subject} dry-run failed, immutable field changed (${err.reason || err.code}): ${err.message}; ` +
          'enable force (spec.force or the kustomize.toolkit.fluxcd.io/force: enabled annotation) to recreate it',
      };
    }
    return rejection(p, err);
  }

  if (!dryRun.metadata.resourceVersion)
    return { type: 'write', action: 'created', merged: dryRun, takeover: [], recreate: false };
  const l = await getLive();
  if (!l) return { type: 'write', action: 'created', merged: dryRun, takeover: [], recreate: false };
  if (l.metadata.resourceVersion !== dryRun.metadata.resourceVersion) {
    // Someone wrote the object between our dry-run and our read (a controller settling it):
    // compare against a dry-run of the state we read, not a mix of two states.
    try {
      dryRun = await dry();
    } catch (err) {
      if (err instanceof ApiError) return rejection(p, err);
      throw err;
    }
  }
  if (isExcluded(l.metadata)) return { type: 'skip', note: 'reconcile disabled on the live object', live: l };
  const takeover =
    p.policy === 'Merge' || ssaPolicy(l.metadata) === 'Merge'
      ? []
      : takeoverPatch(l, m.fieldManager, [...m.takeoverManagers]);
  if (takeover.length > 0 || hasDrifted(l, dryRun))
    return { type: 'write', action: 'configured', live: l, merged: dryRun, takeover, recreate: false };
  return { type: 'unchanged', live: l };
}

/** Resolves kinds through the RESTMapper; objects whose kind is not served get `type` undefined. */
export async function resolveTypes(m: ApplyContext, items: Prepared[], signal?: AbortSignal): Promise<void> {
  const kinds = new Map<string, Prepared[]>();
  for (const p of items) {
    const k = `${p.ref.group}/${p.ref.version}/${p.ref.kind}`;
    kinds.set(k, [...(kinds.get(k) ?? []), p]);
  }
  await Promise.all(
    [...kinds.values()].map(async (group) => {
      const first = group[0]!;
      try {
        const type = await m.mapper.find(first.ref, signal);
        for (const p of group) p.type = type;
      } catch (err) {
        if (!isNoKindMatch(err)) throw err;
      }
    }),
  );
}

// ---- The diff verb ----------------------------------------------------------------------------

export interface DiffOptions {
  force?: boolean;
  /** Drift ignore rules (spec.ignore): ignored fields are not differences. */
  ignore?: IgnoreRules;
  signal?: AbortSignal;
}

export interface DiffEntry {
  subject: string;
  action: Action;
  /** Top-level paths that differ, for configured objects. */
  paths?: string[];
  live?: Manifest;
  merged?: Manifest;
  /** Why the object could not be diffed (the server's dry-run message). */
  error?: string;
}

export interface DiffResult {
  changeSet: ChangeSet;
  entries: DiffEntry[];
}

/** What applyAll would do to each object, using dry-runs only (no cache: every object is checked). */
export async function diffAll(
  m: ApplyContext,
  objects: readonly Manifest[],
  opts: DiffOptions,
): Promise<DiffResult> {
  const items = objects.map((o) => prepare(m, o));
  await resolveTypes(m, items, opts.signal);
  const changeSet = new ChangeSet();
  const entries = await mapLimit(
    items,
    m.concurrency,
    async (p): Promise<DiffEntry> => {
      if (!p.type)
        return {
          subject: p.subject,
          action: 'created',
          error: `no API serves ${p.ref.kind} in ${p.desired.apiVersion}`,
        };
      const plan = await planObject(m, p, {
        force: opts.force ?? false,
        deferrable: () => false,
        signal: opts.signal,
        ...(opts.ignore ? { ignore: opts.ignore } : {}),
      });
      switch (plan.type) {
        case 'skip':
          return { subject: p.subject, action: 'skipped' };
        case 'unchanged':
          return { subject: p.subject, action: 'unchanged' };
        case 'write':
          return {
            subject: p.subject,
            action: plan.action,
            ...(plan.merged && plan.live ? { paths: driftedPaths(plan.live, plan.merged) } : {}),
            live: plan.live,
            merged: plan.merged,
          };
        default:
          return {
            subject: p.subject,
            action: 'configured',
            error: plan.type === 'reject' ? plan.message : plan.why,
          };
      }
    },
    opts.signal,
  );
  items.forEach((p, i) => {
    changeSet.add(p.ref, entries[i]!.action);
  });
  return { changeSet, entries };
}
