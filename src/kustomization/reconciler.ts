// Kustomization reconciler, shaped like Flux's kustomize-controller: bookkeeping once (finalizer,
// suspend, one status patch at the end), then a pipeline that reads top to bottom — validate →
// source → dependencies → fetch → plan the build → apply → prune → health — where each step fails
// with a typed KustomizationStepError carrying Flux's condition reason, and one `summarize` turns
// the outcome into status, events and the requeue. The plan (plan.ts) skips the apply, and even
// the build, when a new revision leaves the manifests as they were; what passes remember lives in
// the memo (memo.ts).
import { ConditionType, KustomizationReason, markReconciling, markUnknown } from '../api/conditions.js';
import { formatDuration } from '../api/duration.js';
import type { GitRepository } from '../api/gitrepository.js';
import {
  deletesOnFinalize,
  getDeletionPolicy,
  getTimeout,
  type Kustomization,
  KustomizationType,
  sourceNamespace,
} from '../api/kustomization.js';
import { type Artifact, FINALIZER } from '../api/meta.js';
import { entryRef } from '../apply/inventory.js';
import { ownerLabelsFor, ResourceManager } from '../apply/manager.js';
import type { KubeClient } from '../kube/client.js';
import { formatRef, type ObjectRef } from '../kube/dynamic.js';
import type { ReconcileRequest, ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { addFinalizer, removeFinalizer } from '../runtime/finalizers.js';
import type { Informer } from '../runtime/informer.js';
import { errorMessage } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { patchStatus, recordReconcile } from '../runtime/status.js';
import { ArtifactCache, type ArtifactLease } from './artifacts.js';
import { BuildError, type BuiltManifests } from './build.js';
import { BuildPool, type BuildPoolOptions } from './buildpool.js';
import type { ClientFactory } from './clients.js';
import { applyManifests, checkHealth, pruneStale, waitUntilGone } from './clustersteps.js';
import { DecryptionError } from './decrypt.js';
import { unreadyDependency } from './dependencies.js';
import { healthTargets } from './healthtargets.js';
import type { ReconcileMemo } from './memo.js';
import { KustomizationStepError, type Outcome } from './outcome.js';
import { planBuild, shortCutBase, touchedKeys, unchangedOutcome, varsDigestOf } from './plan.js';
import { DeferredProgress, PROGRESS_DELAY_MS } from './progress.js';
import { redactValues } from './redact.js';
import { SpecReferences } from './references.js';
import { type PassEvent, summarize, summarizeSuspended, type Verdict } from './summarize.js';
import { validateSpec } from './validate.js';

const REVISION_ANNOTATION = 'kustomize.toolkit.fluxcd.io/revision';

export interface KustomizationReconcilerOptions {
  requeueDependencyMs: number;
  noCrossNamespaceRefs: boolean;
  defaultServiceAccount?: string;
  httpRetry: number;
  strictSubstitution: boolean;
  tmpDir?: string;
  /** Build threads and their limits (docs/configuration.md). */
  builds?: BuildPoolOptions;
  /** A file of age identities every Kustomization with spec.decryption may use (SOPS_AGE_KEY_FILE). */
  sopsAgeKeyFile?: string;
}

export interface KustomizationReconcilerDeps {
  client: KubeClient;
  clients: ClientFactory;
  kustomizations: Informer<Kustomization>;
  sources: Informer<GitRepository>;
  events: EventRecorder;
  metrics: Metrics;
  options: KustomizationReconcilerOptions;
  /** What passes remember of each other (memo.ts). */
  memo: ReconcileMemo;
}

/** How long a triage may wait for an artifact before the queue keeps its plain order. */
const TRIAGE_TIMEOUT_MS = 30_000;

export class KustomizationReconciler {
  private readonly artifacts: ArtifactCache;

  private readonly builds: BuildPool;

  private readonly memo: ReconcileMemo;

  private readonly refs: SpecReferences;

  constructor(private readonly deps: KustomizationReconcilerDeps) {
    this.memo = deps.memo;
    this.refs = new SpecReferences({
      client: deps.client,
      clients: deps.clients,
      defaultServiceAccount: deps.options.defaultServiceAccount,
      sopsAgeKeyFile: deps.options.sopsAgeKeyFile,
    });
    const host = process.env.SOURCE_CONTROLLER_LOCALHOST;
    this.artifacts = new ArtifactCache(
      { retries: deps.options.httpRetry, timeoutMs: 120_000, ...(host ? { hostOverride: host } : {}) },
      16,
      deps.options.tmpDir,
    );
    this.builds = new BuildPool(deps.options.builds);
  }

  /** Removes the extracted artifacts, stops the build threads, closes the impersonated/remote clients (on shutdown). */
  async close(): Promise<void> {
    await this.builds.close();
    this.artifacts.close();
    this.deps.clients.close();
  }

  reconcile = async (req: ReconcileRequest): Promise<ReconcileResult> => {
    const cached = this.deps.kustomizations.get(req.key);
    if (!cached) {
      this.memo.forget(req.key);
      return {};
    }
    const obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) return this.finalize(obj, req);
    await addFinalizer(this.deps.client, KustomizationType, obj, FINALIZER);
    const started = Date.now();
    if (obj.spec.suspend) {
      req.log.info('reconciliation is suspended for this object');
      const original = JSON.stringify(obj.status ?? {});
      summarizeSuspended(obj);
      await recordReconcile(this.deps.client, this.deps.metrics, KustomizationType, obj, original, started);
      return {};
    }

    const progress = new DeferredProgress(PROGRESS_DELAY_MS);
    const original = JSON.stringify(obj.status ?? {});
    const outcome = await this.reconcileManifests(obj, req, progress);
    // A progress status written meanwhile is replaced by the result, even one equal to `original`.
    const progressShown = await progress.settle();
    const verdict = summarize(obj, outcome, {
      tookMs: Date.now() - started,
      reportedDrift: this.memo.reportedDrift(req.key),
    });
    await recordReconcile(
      this.deps.client,
      this.deps.metrics,
      KustomizationType,
      obj,
      progressShown ? '' : original,
      started,
    );
    await this.carryOut(obj, req, verdict);
    return verdict.requeueAfterMs === undefined ? {} : { requeueAfter: verdict.requeueAfterMs };
  };

  /**
   * Of `keys`, about to reconcile `artifact`, those its revision changes (see {@link touchedKeys}).
   * Fetches the artifact the reconciles will share; undefined when it cannot be fetched now.
   */
  async touchedBy(artifact: Artifact, keys: readonly string[]): Promise<string[] | undefined> {
    // A new revision usually means a build: start its process while the artifact downloads.
    this.builds.warm();
    let tree: ArtifactLease;
    try {
      tree = await this.artifacts.acquire(
        artifact.url,
        artifact.digest,
        AbortSignal.timeout(TRIAGE_TIMEOUT_MS),
      );
    } catch {
      return undefined; // the reconciles fetch it again and report why it failed
    }
    try {
      return await touchedKeys(keys, (key) => this.memo.lastApply(key), tree.dir);
    } finally {
      tree.release();
    }
  }

  /** The pipeline. Never throws: failures become an outcome with a condition reason. */
  private async reconcileManifests(
    obj: Kustomization,
    req: ReconcileRequest,
    progress: DeferredProgress,
  ): Promise<Outcome> {
    let revision: string | undefined;
    let vars: Record<string, string> | undefined;
    try {
      const { statusOf, mode } = validateSpec(obj, this.deps.options);
      const artifact = this.resolveSource(obj);
      const attempted = artifact.revision;
      revision = attempted;
      this.checkDependencies(obj, attempted);

      const timeoutMs = getTimeout(obj);
      // Read before any progress status is written (it sets Ready=Unknown).
      const base = shortCutBase(obj, this.memo.lastApply(req.key), attempted, Date.now());
      const showProgress = () => this.markProgressing(obj, attempted, timeoutMs);
      // A download can take a while: show it when it does. An artifact already here is built
      // first, so that a revision that leaves this Kustomization unchanged writes no progress.
      if (!this.artifacts.has(artifact.digest)) progress.arm(showProgress);
      const tree = await this.fetch(artifact, req.signal);
      try {
        vars = await this.refs.variables(obj);
        const plan = await planBuild(base, tree.dir, varsDigestOf(vars), () =>
          this.build(obj, tree.dir, vars, req.signal),
        );
        if (plan.kind === 'unchanged') {
          req.log.debug('manifests unchanged since the last apply: revision recorded without applying', {
            revision: attempted,
            digest: plan.last.digest,
            built: plan.rebuilt,
          });
          return unchangedOutcome(attempted, plan.last);
        }
        progress.arm(showProgress);
        const manager = await this.managerFor(obj);
        const cache = this.memo.applyCache(req.key);
        const { changeSet, drift } = await applyManifests(manager, plan.manifests, obj, cache, req.signal, {
          mode,
          sameBuild: obj.status?.history?.[0]?.digest === plan.digest,
        });
        const inventory = changeSet.toInventory();
        const pruned = await pruneStale(manager, obj, inventory, cache, req.signal);
        if (pruned) changeSet.append(pruned);
        const healthMessage = await checkHealth(
          manager,
          obj,
          healthTargets(obj, plan.manifests, changeSet),
          timeoutMs,
          req.signal,
          statusOf,
        );
        this.memo.recordApply(req.key, {
          digest: plan.digest,
          changeSet,
          at: Date.now(),
          reads: plan.reads,
          varsDigest: plan.varsDigest,
        });
        return {
          kind: 'applied',
          revision: attempted,
          changeSet,
          inventory,
          digest: plan.digest,
          healthMessage,
          changed: changeSet.changed,
          drift: { mode, objects: drift },
        };
      } finally {
        tree.release();
      }
    } catch (err) {
      let error =
        err instanceof KustomizationStepError
          ? err
          : new KustomizationStepError('ReconciliationFailed', errorMessage(err));
      // Substituted values (often from Secrets) never reach status, events or logs, whoever echoed them.
      const redacted = vars ? redactValues(error.message, Object.values(vars)) : error.message;
      if (redacted !== error.message) error = new KustomizationStepError(error.reason, redacted, error.opts);
      return { kind: 'failed', error, revision };
    }
  }

  /** The verdict's side effects beyond status: drift memo and metrics, the log line, the events. */
  private async carryOut(obj: Kustomization, req: ReconcileRequest, verdict: Verdict): Promise<void> {
    const { namespace = '', name } = obj.metadata;
    if (verdict.drift) {
      this.memo.setReportedDrift(req.key, verdict.drift.reported);
      this.deps.metrics.setDriftedObjects(namespace, name, verdict.drift.drifted);
      if (verdict.drift.corrected > 0)
        this.deps.metrics.countDriftCorrections(namespace, name, verdict.drift.corrected);
    }
    req.log[verdict.log.level](verdict.log.message, verdict.log.fields);
    for (const e of verdict.events) await this.event(obj, e);
  }

  /** A new revision or spec: show progress while we work (kstatus: InProgress). */
  private async markProgressing(obj: Kustomization, revision: string, timeoutMs: number): Promise<void> {
    if (
      obj.status?.lastAppliedRevision === revision &&
      obj.status?.observedGeneration === obj.metadata.generation
    ) {
      return;
    }
    markReconciling(
      obj,
      KustomizationReason.Progressing,
      `Fetching manifests for revision ${revision} with a timeout of ${formatDuration(timeoutMs)}`,
    );
    markUnknown(obj, ConditionType.Ready, KustomizationReason.Progressing, 'Reconciliation in progress');
    obj.status ??= {};
    obj.status.lastAttemptedRevision = revision;
    await patchStatus(
      this.deps.client,
      KustomizationType,
      obj.metadata.namespace,
      obj.metadata.name,
      obj.status,
    );
  }

  /** The artifact of the source this Kustomization applies. */
  private resolveSource(obj: Kustomization): Artifact {
    const ref = obj.spec.sourceRef;
    const ns = sourceNamespace(obj);
    const id = `${ref.kind}/${ns}/${ref.name}`;
    const source = this.deps.sources.get(`${ns}/${ref.name}`);
    if (!source) throw new KustomizationStepError('ArtifactFailed', `Source '${id}' not found`);
    const artifact = source.status?.artifact;
    if (!artifact) {
      const retry = this.deps.options.requeueDependencyMs;
      throw new KustomizationStepError(
        'ArtifactFailed',
        `Source artifact not found, retrying in ${formatDuration(retry)}`,
        {
          retryAfterMs: retry,
          quiet: true,
        },
      );
    }
    return artifact;
  }

  private checkDependencies(obj: Kustomization, revision: string): void {
    const lookup = (ns: string, name: string) => this.deps.kustomizations.get(`${ns}/${name}`);
    const unready = unreadyDependency(obj, lookup, revision);
    if (unready) {
      throw new KustomizationStepError(
        'DependencyNotReady',
        `Dependencies do not meet ready condition (${unready}), retrying in ${formatDuration(this.deps.options.requeueDependencyMs)}`,
        {
          retryAfterMs: this.deps.options.requeueDependencyMs,
        },
      );
    }
  }

  /** The extracted artifact, shared with every Kustomization of the same revision (read-only). */
  private async fetch(artifact: Artifact, signal: AbortSignal): Promise<ArtifactLease> {
    try {
      return await this.artifacts.acquire(artifact.url, artifact.digest, signal);
    } catch (err) {
      const notFound = (err as { reason?: string }).reason === 'ArtifactNotFound';
      throw new KustomizationStepError(
        'ArtifactFailed',
        `failed to download artifact, error: ${errorMessage(err)}`,
        {
          ...(notFound ? { retryAfterMs: this.deps.options.requeueDependencyMs } : {}),
        },
      );
    }
  }

  /** The build, on a build thread (buildpool.ts): manifests, what it read, their digest. */
  private async build(
    obj: Kustomization,
    dir: string,
    vars: Record<string, string> | undefined,
    signal: AbortSignal,
  ): Promise<BuiltManifests> {
    // Keys are read per reconcile and dropped with it (never cached between reconciles).
    const decryption = await this.refs.decryptionKeys(obj);
    try {
      return await this.builds.build(
        // Without the status (the inventory can be large): the build reads only the spec.
        {
          root: dir,
          ks: { ...obj, status: undefined },
          vars,
          strictSubstitution: this.deps.options.strictSubstitution,
          decryption,
        },
        signal,
      );
    } catch (err) {
      if (err instanceof DecryptionError) {
        throw new KustomizationStepError('DecryptionFailed', err.message, { stalled: err.stalled });
      }
      if (err instanceof BuildError) throw new KustomizationStepError(err.reason, err.message);
      throw new KustomizationStepError('BuildFailed', errorMessage(err));
    }
  }

  /** The one way to the cluster the Kustomization applies to (its own, impersonated or remote). */
  private async managerFor(obj: Kustomization): Promise<ResourceManager> {
    const target = await this.refs.applyTarget(obj);
    return new ResourceManager({
      client: target.client,
      mapper: target.mapper,
      ownerLabels: ownerLabelsFor(obj.metadata.name, obj.metadata.namespace ?? 'default'),
    });
  }

  /** A pass's event, annotated with its revision. */
  private async event(obj: Kustomization, e: PassEvent): Promise<void> {
    const metadata = { ...e.metadata, ...(e.revision ? { [REVISION_ANNOTATION]: e.revision } : {}) };
    if (e.notifyOnly) this.deps.events.notify(obj, e.type, e.reason, e.message, metadata);
    else await this.deps.events.record(obj, e.type, e.reason, e.message, metadata);
  }

  /** Deletion: delete what we applied when the policy says so, then let the object go. */
  private async finalize(obj: Kustomization, req: ReconcileRequest): Promise<ReconcileResult> {
    this.deps.metrics.forgetObject('Kustomization', obj.metadata.namespace ?? '', obj.metadata.name);
    const entries = obj.status?.inventory?.entries ?? [];
    if (!obj.spec.suspend && entries.length > 0 && deletesOnFinalize(obj)) {
      try {
        const manager = await this.managerFor(obj);
        const result = await manager.prune([...entries].reverse(), { signal: req.signal });
        req.log.info('garbage collected on deletion', { output: result.changeSet.toMap() });
        if (result.failed.length) {
          req.log.error('garbage collection on deletion failed; removing the finalizer anyway', {
            error: result.failed.map((f) => `${f.subject}: ${f.message}`).join('\n'),
          });
        }
        if (getDeletionPolicy(obj) === 'WaitForTermination') {
          const refs = entries.map(entryRef).filter((r): r is ObjectRef => r !== undefined);
          const remaining = await waitUntilGone(manager, refs, getTimeout(obj), req.signal);
          if (remaining.length) {
            req.log.error('timeout waiting for objects to be terminated; removing the finalizer anyway', {
              objects: remaining.map(formatRef),
            });
          }
        }
      } catch (err) {
        req.log.error('garbage collection on deletion failed; removing the finalizer anyway', {
          error: errorMessage(err),
        });
      }
    }
    this.memo.forget(req.key);
    await removeFinalizer(this.deps.client, KustomizationType, obj, FINALIZER);
    return {};
  }
}
