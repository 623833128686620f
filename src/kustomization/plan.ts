// Whether a pass needs to apply at all. A new source revision that leaves this Kustomization's
// manifests byte-identical to its last full, successful apply is recorded without contacting the
// cluster — and when every file and listing that apply's build read is unchanged, without building.
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ConditionType, getCondition } from '../api/conditions.js';
import { getRequeueAfter, type Kustomization } from '../api/kustomization.js';
import { reconcileRequestedAt } from '../api/meta.js';
import { ChangeSet } from '../apply/changeset.js';
import type { Manifest } from '../kube/dynamic.js';
import type { BuiltManifests } from './build.js';
import { type BuildReads, sameReads } from './buildinputs.js';
import type { LastApply } from './memo.js';
import type { Applied } from './outcome.js';

export type BuildPlan =
  /** Same manifests as `last`: nothing to apply. `rebuilt` when the inputs differed and a build proved it. */
  | { kind: 'unchanged'; last: LastApply; rebuilt: boolean }
  | { kind: 'built'; manifests: Manifest[]; reads: BuildReads; digest: string; varsDigest: string };

/**
 * The last apply this pass may reuse: a new revision (the interval's own pass on the same
 * revision is the drift check), that apply within the interval, the spec unchanged, no sync
 * requested, no health check, and Ready.
 */
export function shortCutBase(
  obj: Kustomization,
  last: LastApply | undefined,
  revision: string,
  now: number,
): LastApply | undefined {
  const status = obj.status;
  const eligible =
    last !== undefined &&
    now - last.at < getRequeueAfter(obj) &&
    status?.lastAppliedRevision !== undefined &&
    status.lastAppliedRevision !== revision &&
    status.observedGeneration === obj.metadata.generation &&
    reconcileRequestedAt(obj.metadata) === status.lastHandledReconcileAt &&
    !obj.spec.wait &&
    !obj.spec.healthChecks?.length &&
    getCondition(obj, ConditionType.Ready)?.status === 'True';
  return eligible ? last : undefined;
}

/** The digest the memo compares substitution variables by (undefined: no substitution). */
export function varsDigestOf(vars: Record<string, string> | undefined): string {
  return `sha256:${createHash('sha256')
    .update(JSON.stringify(vars ?? null))
    .digest('hex')}`;
}

/**
 * Same inputs as `base` (every file and listing its build read in `dir`, the variables): same
 * manifests, no build. Otherwise build, and compare what came out.
 */
export async function planBuild(
  base: LastApply | undefined,
  dir: string,
  varsDigest: string,
  build: () => Promise<BuiltManifests>,
): Promise<BuildPlan> {
  if (base && base.varsDigest === varsDigest && sameReads(base.reads, dir)) {
    return { kind: 'unchanged', last: base, rebuilt: false };
  }
  const built = await build();
  if (base?.digest === built.digest) return { kind: 'unchanged', last: base, rebuilt: true };
  return { kind: 'built', ...built, varsDigest };
}

/** What a pass that applies nothing reports: every object of `last` still there, unchanged (or skipped again). */
export function unchangedOutcome(revision: string, last: LastApply): Applied {
  const changeSet = new ChangeSet();
  for (const e of last.changeSet.entries) {
    if (e.action === 'deleted') continue;
    changeSet.add(e.ref, e.action === 'skipped' ? 'skipped' : 'unchanged', e.note);
  }
  return {
    kind: 'applied',
    revision,
    changeSet,
    inventory: changeSet.toInventory(),
    digest: last.digest,
    changed: false,
  };
}

/**
 * Of `keys` (Kustomizations about to reconcile the artifact extracted at `dir`), those whose last
 * apply read a file or listing that this artifact answers differently: the ones a commit actually
 * changes. Keys with no apply on record are not included (nothing says they are touched).
 */
export async function touchedKeys(
  keys: readonly string[],
  lastApply: (key: string) => LastApply | undefined,
  dir: string,
): Promise<string[]> {
  const touched: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    // Thousands of Kustomizations may share a source: keep the event loop responsive.
    if (i > 0 && i % 256 === 0) await yieldToEventLoop();
    const key = keys[i]!;
    const last = lastApply(key);
    if (last && !sameReads(last.reads, dir)) touched.push(key);
  }
  return touched;
}
