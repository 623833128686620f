// applyAll: validate the whole set with server-side dry-runs, then apply only what drifted, in
// stages (definitions → classes → resources), each stage in Flux's kind order, waiting for CRDs
// to be Established before the objects that need them. An ApplyCache makes the steady state
// nearly free: objects whose manifest and live fingerprint did not change are not even dry-run.
// A set whose only work is new objects (a first sync) is written without dry-runs, and a
// rejection removes what the pass created: one request per object, still all or nothing.
import { formatRef, type Manifest, type ObjectRef } from '../kube/dynamic.js';
import { ApiError, isAborted } from '../kube/errors.js';
import { type ApplyCache, type CachedObject, liveFingerprint } from './cache.js';
import { type Action, ChangeSet } from './changeset.js';
import type { ApplyContext } from './context.js';
import {
  driftedPaths,
  type Plan,
  type PlanContext,
  type Prepared,
  planObject,
  prepare,
  resolveTypes,
} from './diff.js';
import type { IgnoreRules } from './ignore.js';
import { inventoryId } from './inventory.js';
import { delay, mapLimit } from './limit.js';
import { isExcluded, ownerSelector, takeoverPatch } from './metadata.js';
import { STAGES, sortForApply } from './order.js';
import { waitForSet } from './wait.js';

export interface ApplyOptions {
  /** Recreate objects whose immutable fields changed (Flux's spec.force). */
  force?: boolean;
  /** Steady-state cache, one per applied set; without it every object is dry-run. */
  cache?: ApplyCache;
  /** How long to wait for CRDs, Namespaces and classes to become ready (default 60 s). */
  waitTimeoutMs?: number;
  /** Poll interval while waiting (default 500 ms). */
  waitIntervalMs?: number;
  /** Drift ignore rules (Flux's spec.ignore): see ignore.ts. */
  ignore?: IgnoreRules;
  /**
   * Inventory ids of what the caller applied before (a Kustomization's inventory). With it, a set
   * whose uncached objects are all absent from it is written without dry-runs: see presumedNew.
   */
  previousInventory?: ReadonlySet<string>;
  /** Tells drift (live changed, manifest did not) from changes in Git, to report or hold it. */
  drift?: DriftOptions;
  signal?: AbortSignal;
}

export interface DriftOptions {
  /** True when `digest` is the manifest last applied for this object: a difference is drift. */
  unchangedManifest: (ref: ObjectRef, digest: string) => boolean;
  /** Report drift without correcting it: such objects are not written (nor cached). */
  reportOnly: boolean;
}

/** An existing object whose manifest did not change but whose live state differs from it. */
export interface DriftedObject {
  ref: ObjectRef;
  subject: string;
  /** Field paths that differ (`spec.replicas`, `data.key`): names only, never values. */
  paths: string[];
  /** True when this pass wrote the object back; false in report-only mode. */
  corrected: boolean;
}

export type ApplyFailureReason = 'ValidationFailed' | 'ApplyFailed' | 'WaitFailed' | 'Canceled';

export interface ObjectFailure {
  subject: string;
  message: string;
}

export interface ApplyFailure {
  reason: ApplyFailureReason;
  /** Human message; for validation, one line per rejected object with the server's words. */
  message: string;
  objects: ObjectFailure[];
}

export interface ApplyStats {
  objects: number;
  /** Objects found unchanged through the cache, without GET or dry-run. */
  cacheHits: number;
  /** Objects checked with GET + server-side dry-run. */
  dryRun: number;
  /** Objects written (created, configured, recreated). */
  written: number;
  /** Objects written without a dry-run because they were presumed new. */
  optimistic: number;
}

export interface ApplyResult {
  /** What happened to each object handled so far (all of them on success), in apply order. */
  changeSet: ChangeSet;
  error?: ApplyFailure;
  stats: ApplyStats;
  /** Drift found on objects whose manifest did not change (only with `drift` options). */
  drift: DriftedObject[];
}

type Outcome = { action: Action; note?: string };

export async function applyAll(
  m: ApplyContext,
  objects: readonly Manifest[],
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const items = sortForApply(
    objects.map((o) => prepare(m, o)),
    (p) => p.ref,
  );
  const stats: ApplyStats = { objects: items.length, cacheHits: 0, dryRun: 0, written: 0, optimistic: 0 };
  const outcomes = new Map<Prepared, Outcome>();
  const drift: DriftedObject[] = [];
  const result = (error?: ApplyFailure): ApplyResult => {
    const changeSet = new ChangeSet();
    for (const p of items) {
      const o = outcomes.get(p);
      if (o) changeSet.add(p.ref, o.action, o.note);
    }
    return { changeSet, stats, drift, ...(error ? { error } : {}) };
  };
  try {
    return await run(m, items, opts, stats, outcomes, result, drift);
  } catch (err) {
    for (const p of items) if (!outcomes.has(p)) opts.cache?.forget(p.ref);
    if (isAborted(err) || opts.signal?.aborted)
      return result({ reason: 'Canceled', message: 'apply canceled', objects: [] });
    const message = err instanceof Error ? err.message : String(err);
    return result({ reason: 'ApplyFailed', message, objects: [] });
  }
}

async function run(
  m: ApplyContext,
  items: Prepared[],
  opts: ApplyOptions,
  stats: ApplyStats,
  outcomes: Map<Prepared, Outcome>,
  result: (error?: ApplyFailure) => ApplyResult,
  drift: DriftedObject[],
): Promise<ApplyResult> {
  const { signal, cache } = opts;
  const force = opts.force ?? false;
  const waitTimeoutMs = opts.waitTimeoutMs ?? 60_000;
  const waitIntervalMs = opts.waitIntervalMs ?? 500;

  // ---- 1. Identity: duplicates, kinds, scope ---------------------------------------------------
  const rejected: ObjectFailure[] = [];
  const seen = new Set<string>();
  for (const p of items) {
    const id = inventoryId(p.ref);
    if (seen.has(id))
      rejected.push({ subject: p.subject, message: `${p.subject} appears more than once in the set` });
    seen.add(id);
  }
  await resolveTypes(m, items, signal);
  const definedKinds = new Set<string>();
  const setNamespaces = new Set<string>();
  for (const p of items) {
    if (p.ref.kind === 'CustomResourceDefinition') {
      const spec = p.desired.spec as { group?: string; names?: { kind?: string } } | undefined;
      definedKinds.add(`${spec?.group}/${spec?.names?.kind}`);
    }
    if (p.ref.kind === 'Namespace' && p.ref.group === '') setNamespaces.add(p.ref.name);
  }
  const needsDefinition = (p: Prepared): boolean =>
    definedKinds.has(`${p.ref.group}/${p.ref.kind}`) ||
    (p.ref.namespace !== '' && setNamespaces.has(p.ref.namespace));

  const deferred = new Set<Prepared>();
  for (const p of items) {
    if (!p.type) {
      if (definedKinds.has(`${p.ref.group}/${p.ref.kind}`)) deferred.add(p);
      else
        rejected.push({
          subject: p.subject,
          message: `${p.subject} dry-run failed (NoKindMatch): no API serves kind "${p.ref.kind}" in version "${p.desired.apiVersion}"`,
        });
    } else normalizeScope(p, rejected);
  }

  // ---- 2. Steady state: skip objects whose manifest and live fingerprint are unchanged ---------
  const plans = new Map<Prepared, Plan | { type: 'cached'; entry: CachedObject }>();
  if (cache) {
    const hits = await probeCache(
      m,
      cache,
      items.filter((p) => p.type && !deferred.has(p)),
      signal,
    );
    for (const [p, entry] of hits) plans.set(p, { type: 'cached', entry });
    stats.cacheHits = hits.size;
  }

  // ---- 3. Validate: dry-run everything not cached; definitions first so that objects in a ------
  //         namespace this set creates are deferred instead of failing with NotFound. A set of
  //         new objects only skips this: its writes validate it, and a rejection is undone.
  const ctx = { force, deferrable: needsDefinition, signal, ...(opts.ignore ? { ignore: opts.ignore } : {}) };
  const fresh = presumedNew(items, plans, deferred, rejected, opts.previousInventory);
  for (const p of fresh ?? [])
    plans.set(p, { type: 'write', action: 'created', takeover: [], recreate: false, optimistic: true });
  const created: Prepared[] = [];
  const adopted: Prepared[] = [];
  const planAll = async (list: Prepared[]): Promise<void> => {
    const results = await mapLimit(list, m.concurrency, (p) => planObject(m, p, ctx), signal);
    list.forEach((p, i) => {
      plans.set(p, results[i]!);
    });
    stats.dryRun += list.length;
  };
  const toPlan = (stageDefs: boolean) =>
    items.filter(
      (p) =>
        p.type &&
        !deferred.has(p) &&
        !plans.has(p) &&
        (p.stage === 'definitions') === stageDefs &&
        !isRejected(p),
    );
  const isRejected = (p: Prepared) => rejected.some((r) => r.subject === p.subject);
  if (!fresh) await planAll(toPlan(true));
  const newNamespaces = new Set(
    items
      .filter((p) => p.ref.kind === 'Namespace' && p.ref.group === '')
      .filter((p) => {
        const plan = plans.get(p);
        return plan?.type === 'write' && plan.action === 'created';
      })
      .map((p) => p.ref.name),
  );
  for (const p of toPlan(false)) if (p.ref.namespace && newNamespaces.has(p.ref.namespace)) deferred.add(p);
  if (!fresh) await planAll(toPlan(false));
  for (const p of items) {
    const plan = plans.get(p);
    if (plan?.type === 'reject') rejected.push({ subject: p.subject, message: plan.message });
    if (plan?.type === 'defer') deferred.add(p);
  }
  if (rejected.length > 0) return result(validationFailure(rejected));

  // ---- 4. Apply stage by stage ---------------------------------------------------------------
  for (const stage of STAGES) {
    const stageItems = items.filter((p) => p.stage === stage);
    const late = stageItems.filter((p) => deferred.has(p));
    if (late.length > 0) {
      const lateRejected = await planDeferred(m, late, plans, ctx, waitTimeoutMs, waitIntervalMs, signal);
      stats.dryRun += late.length;
      if (lateRejected.length > 0) return result(validationFailure(lateRejected));
    }
    const written: Prepared[] = [];
    // Kinds in order, one after the other; objects of the same kind in parallel.
    for (const group of byKind(stageItems)) {
      const held = opts.drift ? noteDrift(group, plans, opts.drift, drift) : new Set<Prepared>();
      const writes = group.filter((p) => plans.get(p)?.type === 'write' && !held.has(p));
      for (const p of held) outcomes.set(p, { action: 'unchanged', note: 'drifted (report-only)' });
      for (const p of group) {
        const plan = plans.get(p)!;
        if (plan.type === 'cached') outcomes.set(p, { action: plan.entry.action });
        else if (plan.type === 'unchanged') {
          outcomes.set(p, { action: 'unchanged' });
          cache?.record(p.ref, {
            digest: p.digest,
            fingerprint: fingerprint(m, p, plan.live),
            action: 'unchanged',
          });
        } else if (plan.type === 'skip') {
          outcomes.set(p, { action: 'skipped', note: plan.note });
          if (plan.live)
            cache?.record(p.ref, {
              digest: p.digest,
              fingerprint: fingerprint(m, p, plan.live),
              action: 'skipped',
            });
          else cache?.forget(p.ref);
        }
      }
      const failures: ObjectFailure[] = [];
      await mapLimit(
        writes,
        m.concurrency,
        async (p) => {
          const plan = plans.get(p) as Extract<Plan, { type: 'write' }>;
          try {
            const { applied, action } = await write(m, p, plan, waitTimeoutMs, waitIntervalMs, signal);
            stats.written++;
            if (plan.optimistic) stats.optimistic++;
            if (plan.optimistic) (action === 'created' ? created : adopted).push(p);
            written.push(p);
            outcomes.set(p, { action, ...(plan.recreate ? { note: 'recreated' } : {}) });
            cache?.record(p.ref, {
              digest: p.digest,
              fingerprint: fingerprint(m, p, applied),
              action: 'unchanged',
            });
          } catch (err) {
            cache?.forget(p.ref);
            if (!(err instanceof ApiError)) throw err;
            failures.push({
              subject: p.subject,
              message: `${p.subject} apply failed (${err.reason || err.code}): ${err.message}`,
            });
          }
        },
        signal,
      );
      if (failures.length > 0 && fresh)
        return result(await undoFresh(m, items, outcomes, created, adopted, failures, ctx, cache));
      if (failures.length > 0)
        return result({
          reason: 'ApplyFailed',
          message: failures.map((f) => f.message).join('\n'),
          objects: failures,
        });
    }
    if (stage !== 'resources' && written.length > 0) {
      const waited = await waitForSet(
        m,
        written.map((p) => p.ref),
        { timeoutMs: waitTimeoutMs, intervalMs: waitIntervalMs, failFast: true, signal },
      );
      if (!waited.ok)
        return result({
          reason: 'WaitFailed',
          message: waited.message,
          objects: waited.objects
            .filter((o) => o.status !== 'Current')
            .map((o) => ({ subject: o.subject, message: `${o.status}: ${o.message}` })),
        });
      for (const p of written)
        if (p.ref.kind === 'CustomResourceDefinition') {
          const spec = p.desired.spec as { group?: string } | undefined;
          if (spec?.group) m.mapper.invalidate(spec.group);
        }
    }
  }
  return result();
}

/**
 * Records the drift among a group's writes: existing objects whose manifest is unchanged. In
 * report-only mode returns them to be left alone (not written, not cached, so checked again).
 */
function noteDrift(
  group: Prepared[],
  plans: Map<Prepared, Plan | { type: 'cached'; entry: CachedObject }>,
  opts: DriftOptions,
  out: DriftedObject[],
): Set<Prepared> {
  const held = new Set<Prepared>();
  for (const p of group) {
    const plan = plans.get(p);
    if (plan?.type !== 'write' || plan.action !== 'configured' || !plan.live) continue;
    if (!opts.unchangedManifest(p.ref, p.digest)) continue;
    const paths = plan.merged
      ? driftedPaths(plan.live, plan.merged)
      : ['(an immutable field: the object must be recreated)'];
    if (paths.length === 0 && plan.takeover.length > 0) paths.push('metadata.managedFields');
    out.push({ ref: p.ref, subject: p.subject, paths, corrected: !opts.reportOnly });
    if (opts.reportOnly) held.add(p);
  }
  return held;
}

function validationFailure(rejected: ObjectFailure[]): ApplyFailure {
  const n = rejected.length;
  return {
    reason: 'ValidationFailed',
    message: `${n} object${n === 1 ? '' : 's'} rejected by server-side dry-run, nothing applied:\n${rejected.map((r) => r.message).join('\n')}`,
    objects: rejected,
  };
}

/** Namespaced kinds need a namespace; cluster-scoped kinds are identified without one. */
function normalizeScope(p: Prepared, rejected: ObjectFailure[]): void {
  if (!p.type) return;
  if (p.type.namespaced && !p.ref.namespace)
    rejected.push({
      subject: p.subject,
      message: `${p.subject} has no namespace, but ${p.ref.kind} is namespaced`,
    });
  if (!p.type.namespaced && p.ref.namespace) {
    p.ref = { ...p.ref, namespace: '' };
    p.subject = formatRef(p.ref);
  }
}

function fingerprint(m: ApplyContext, p: Prepared, live: Manifest): string {
  return liveFingerprint(p.ref, live.metadata, {
    desired: p.desired.metadata,
    takeover: p.policy === 'Merge' ? [] : [...m.takeoverManagers],
  });
}

const PROBE_GET_LIMIT = 4;

/**
 * One metadata-only LIST per kind and namespace (or GETs for up to PROBE_GET_LIMIT objects) (filtered by our owner labels) tells which cached
 * objects are still exactly as we left them. A failed LIST (e.g. no list permission) only means
 * those objects are dry-run as usual.
 */
async function probeCache(
  m: ApplyContext,
  cache: ApplyCache,
  items: Prepared[],
  signal?: AbortSignal,
): Promise<Map<Prepared, CachedObject>> {
  const groups = new Map<string, Array<{ p: Prepared; entry: CachedObject }>>();
  for (const p of items) {
    const entry = cache.lookup(p.ref, p.digest);
    if (!entry) continue;
    const key = `${p.ref.group}/${p.ref.version}/${p.ref.kind}/${p.ref.namespace}`;
    groups.set(key, [...(groups.get(key) ?? []), { p, entry }]);
  }
  const hits = new Map<Prepared, CachedObject>();
  const selector = ownerSelector(m.ownerLabels);
  await mapLimit(
    [...groups.values()],
    m.concurrency,
    async (group) => {
      const first = group[0]!.p;
      let listed: Manifest[];
      try {
        // A LIST costs the apiserver a scan of the whole kind in the namespace, however few
        // objects match the selector: with many small Kustomizations sharing a namespace that is
        // quadratic. A handful of objects is cheaper to GET one by one.
        listed =
          group.length <= PROBE_GET_LIMIT
            ? (await Promise.all(group.map(({ p }) => m.dynamic.getMetadata(p.ref, signal)))).filter(
                (o): o is Manifest => o !== undefined,
              )
            : await m.dynamic.list(first.ref, {
                namespace: first.ref.namespace || undefined,
                labelSelector: selector,
                metadataOnly: true,
                signal,
              });
      } catch (err) {
        if (err instanceof ApiError) return;
        throw err;
      }
      const byName = new Map(listed.map((o) => [o.metadata.name, o]));
      for (const { p, entry } of group) {
        const live = byName.get(p.ref.name);
        if (live && fingerprint(m, p, live) === entry.fingerprint) hits.set(p, entry);
      }
    },
    signal,
  );
  return hits;
}

/** Plans objects that had to wait for a CRD or Namespace of this set; discovery may lag a moment. */
async function planDeferred(
  m: ApplyContext,
  late: Prepared[],
  plans: Map<Prepared, Plan | { type: 'cached'; entry: CachedObject }>,
  ctx: PlanContext,
  timeoutMs: number,
  intervalMs: number,
  signal?: AbortSignal,
): Promise<ObjectFailure[]> {
  const deadline = Date.now() + timeoutMs;
  let pending = late;
  for (;;) {
    await resolveTypes(
      m,
      pending.filter((p) => !p.type),
      signal,
    );
    const rejected: ObjectFailure[] = [];
    for (const p of pending) normalizeScope(p, rejected);
    if (rejected.length > 0) return rejected;
    const ready = pending.filter((p) => p.type);
    const results = await mapLimit(ready, m.concurrency, (p) => planObject(m, p, ctx), signal);
    ready.forEach((p, i) => {
      plans.set(p, results[i]!);
    });
    pending = pending.filter((p) => !p.type || plans.get(p)?.type === 'defer');
    const failed = late.flatMap((p) => {
      const plan = plans.get(p);
      return plan?.type === 'reject' ? [{ subject: p.subject, message: plan.message }] : [];
    });
    if (failed.length > 0) return failed;
    if (pending.length === 0) return [];
    if (Date.now() > deadline)
      return pending.map((p) => ({
        subject: p.subject,
        message: p.type
          ? `${p.subject} dry-run failed (NotFound): ${(plans.get(p) as { why?: string }).why ?? 'not found'}`
          : `${p.subject} dry-run failed (NoKindMatch): no API serves kind "${p.ref.kind}" in version "${p.desired.apiVersion}"`,
      }));
    await delay(intervalMs, signal);
  }
}

/** Consecutive runs of the same kind (items are in apply order). */
function byKind(items: Prepared[]): Prepared[][] {
  const out: Prepared[][] = [];
  for (const p of items) {
    const last = out[out.length - 1];
    if (last && last[0]!.ref.kind === p.ref.kind && last[0]!.ref.group === p.ref.group) last.push(p);
    else out.push([p]);
  }
  return out;
}

/**
 * The objects to write without a dry-run, or undefined when the set needs validating first: with
 * the caller's inventory at hand, every object not found unchanged through the cache is new to
 * that inventory, of a served kind, applied with the plain policies, and nothing waits for a CRD.
 * Such a set changes nothing that runs, so its own writes can validate it: a rejection deletes
 * what the pass created (undoFresh). An object that existed outside the inventory is adopted by
 * its write as it would be after a dry-run (takeover included).
 */
function presumedNew(
  items: Prepared[],
  plans: ReadonlyMap<Prepared, unknown>,
  deferred: ReadonlySet<Prepared>,
  rejected: readonly ObjectFailure[],
  previous: ReadonlySet<string> | undefined,
): Prepared[] | undefined {
  if (!previous || deferred.size > 0 || rejected.length > 0) return undefined;
  const rest = items.filter((p) => !plans.has(p));
  const eligible = (p: Prepared) =>
    p.type !== undefined &&
    !previous.has(inventoryId(p.ref)) &&
    !isExcluded(p.desired.metadata) &&
    (p.policy === 'Override' || p.policy === 'Merge');
  return rest.length > 0 && rest.every(eligible) ? rest : undefined;
}

/**
 * A write of a presumed-new set was rejected: delete what this pass created (newest first), then
 * dry-run the objects not tried yet so that every rejection is reported at once, as validation
 * would have. Objects in a namespace just removed are not tried (it is terminating).
 */
async function undoFresh(
  m: ApplyContext,
  items: Prepared[],
  outcomes: Map<Prepared, Outcome>,
  created: readonly Prepared[],
  adopted: readonly Prepared[],
  failures: readonly ObjectFailure[],
  ctx: PlanContext,
  cache: ApplyCache | undefined,
): Promise<ApplyFailure> {
  for (const p of [...created].reverse()) {
    await m.dynamic.delete(p.ref, { propagationPolicy: 'Background', signal: ctx.signal }).catch(() => false);
    outcomes.delete(p);
    cache?.forget(p.ref);
  }
  const removedNamespaces = new Set(
    created.filter((p) => p.ref.kind === 'Namespace' && p.ref.group === '').map((p) => p.ref.name),
  );
  const failed = new Set(failures.map((f) => f.subject));
  const untried = items.filter(
    (p) =>
      p.type &&
      !outcomes.has(p) &&
      !created.includes(p) &&
      !failed.has(p.subject) &&
      !removedNamespaces.has(p.ref.namespace),
  );
  const plans = await mapLimit(untried, m.concurrency, (p) => planObject(m, p, ctx), ctx.signal);
  const objects = [
    ...failures,
    ...untried.flatMap((p, i) => {
      const plan = plans[i]!;
      return plan.type === 'reject' ? [{ subject: p.subject, message: plan.message }] : [];
    }),
  ];
  const n = objects.length;
  const kept = adopted.length
    ? `; existing objects adopted before the rejection keep what was applied: ${adopted.map((p) => p.subject).join(', ')}`
    : '';
  return {
    reason: 'ValidationFailed',
    message: `${n} object${n === 1 ? '' : 's'} rejected by the apiserver, nothing created${kept}:\n${objects.map((o) => o.message).join('\n')}`,
    objects,
  };
}

async function write(
  m: ApplyContext,
  p: Prepared,
  plan: Extract<Plan, { type: 'write' }>,
  timeoutMs: number,
  intervalMs: number,
  signal?: AbortSignal,
): Promise<{ applied: Manifest; action: Action }> {
  if (plan.optimistic) {
    const opts = { fieldManager: m.fieldManager, force: true, signal };
    const { object, created } = await m.dynamic.applyReportingCreate(p.desired, opts);
    if (created) return { applied: object, action: 'created' };
    // It existed outside the inventory: take over the fields other managers set before, as the
    // dry-run path does for an existing object.
    const takeover =
      p.policy === 'Merge' ? [] : takeoverPatch(object, m.fieldManager, [...m.takeoverManagers]);
    if (takeover.length === 0) return { applied: object, action: 'configured' };
    await m.dynamic.jsonPatch(p.ref, takeover, { fieldManager: m.fieldManager, signal });
    return { applied: await m.dynamic.apply(p.desired, opts), action: 'configured' };
  }
  return { applied: await writePlanned(m, p, plan, timeoutMs, intervalMs, signal), action: plan.action };
}

async function writePlanned(
  m: ApplyContext,
  p: Prepared,
  plan: Extract<Plan, { type: 'write' }>,
  timeoutMs: number,
  intervalMs: number,
  signal?: AbortSignal,
): Promise<Manifest> {
  if (plan.recreate) {
    await m.dynamic.delete(p.ref, { propagationPolicy: 'Background', signal });
    const deadline = Date.now() + timeoutMs;
    while (await m.dynamic.get(p.ref, signal)) {
      if (Date.now() > deadline)
        throw new ApiError(
          504,
          'Timeout',
          `timed out after ${timeoutMs} ms waiting for the old object to be deleted (finalizers?)`,
          'DELETE',
          p.subject,
        );
      await delay(intervalMs, signal);
    }
  }
  if (plan.takeover.length > 0)
    await m.dynamic.jsonPatch(p.ref, plan.takeover, { fieldManager: m.fieldManager, signal });
  return m.dynamic.apply(p.desired, { fieldManager: m.fieldManager, force: true, signal });
}
