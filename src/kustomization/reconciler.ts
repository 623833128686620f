// Kustomization reconciler, shaped like Flux's kustomize-controller: bookkeeping once (finalizer,
// suspend, one status patch at the end), then a pipeline that reads top to bottom — source →
// dependencies → fetch → build → apply → prune → health — where each step fails with a typed
// StepError carrying Flux's condition reason; `summarize` turns the outcome into status.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ConditionType,
  getCondition,
  KustomizationReason,
  markFalse,
  markReady,
  markReconciled,
  markReconciling,
  markStalled,
  markTrue,
  markUnknown,
  removeCondition,
} from '../api/conditions.js';
import { formatDuration } from '../api/duration.js';
import type { GitRepository } from '../api/gitrepository.js';
import {
  deletesOnFinalize,
  getDeletionPolicy,
  getRequeueAfter,
  getRetryInterval,
  getTimeout,
  type Kustomization,
  MAX_HISTORY_SNAPSHOTS,
  type Snapshot,
  sourceNamespace,
} from '../api/kustomization.js';
import { FINALIZER, reconcileRequestedAt } from '../api/meta.js';
import { kustomizationRefusal } from '../api/refusals.js';
import type { DriftedObject } from '../apply/apply.js';
import { ApplyCache } from '../apply/cache.js';
import { ChangeSet } from '../apply/changeset.js';
import { IgnoreRules } from '../apply/ignore.js';
import { entryRef, type InventoryEntry, staleEntries } from '../apply/inventory.js';
import { delay } from '../apply/limit.js';
import { ownerLabelsFor, ResourceManager } from '../apply/manager.js';
import type { KubeClient } from '../kube/client.js';
import { formatRef, type Manifest, type ObjectRef, refOf } from '../kube/dynamic.js';
import { isNoKindMatch, isNotFound } from '../kube/errors.js';
import { CoreTypes, objectPath, type ResourceType } from '../kube/resource.js';
import type { ReconcileRequest, ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { addFinalizer, removeFinalizer } from '../runtime/finalizers.js';
import type { Informer } from '../runtime/informer.js';
import { errorMessage } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { patchStatus, recordReconcile } from '../runtime/status.js';
import { ArtifactCache, type ArtifactLease } from './artifacts.js';
import { BuildError, type BuiltManifests } from './build.js';
import { type BuildReads, sameReads } from './buildinputs.js';
import { BuildPool, type BuildPoolOptions } from './buildpool.js';
import { InvalidCelExpression } from './cel.js';
import type { ApplyTarget, ClientFactory } from './clients.js';
import { DecryptionError, type KeyFiles } from './decrypt.js';
import { checkReadyExpressions, crossNamespaceViolation, unreadyDependency } from './dependencies.js';
import { type DriftMode, driftMode, InvalidDriftMode, recordDrift } from './drift.js';
import { healthExpressions, type StatusOf } from './healthexprs.js';
import { DeferredProgress, PROGRESS_DELAY_MS } from './progress.js';
import { redactValues } from './redact.js';
import { collectVars } from './substitute.js';

export const KustomizationType: ResourceType = {
  group: 'kustomize.toolkit.fluxcd.io',
  version: 'v1',
  kind: 'Kustomization',
  plural: 'kustomizations',
  namespaced: true,
};

const REVISION_ANNOTATION = 'kustomize.toolkit.fluxcd.io/revision';
const TOKEN_ANNOTATION = 'kustomize.toolkit.fluxcd.io/token';
const COMMIT_STATUS_ANNOTATION = 'kustomize.toolkit.fluxcd.io/commit_status';

export type StepReason =
  | 'ArtifactFailed'
  | 'BuildFailed'
  | 'ReconciliationFailed'
  | 'PruneFailed'
  | 'HealthCheckFailed'
  | 'DependencyNotReady'
  | 'AccessDenied'
  | 'InvalidCELExpression'
  | 'DecryptionFailed';

/** A failed step with Flux's Ready reason. `retryAfterMs` overrides retryInterval; `stalled` means no retry. */
export class StepError extends Error {
  constructor(
    readonly reason: StepReason,
    message: string,
    readonly opts: {
      retryAfterMs?: number;
      stalled?: boolean;
      inventory?: InventoryEntry[];
      /** Status and log only, no Event (as Flux, for a source that has no artifact yet). */
      quiet?: boolean;
    } = {},
  ) {
    super(message);
  }
}

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
}

interface Applied {
  kind: 'applied';
  revision: string;
  changeSet: ChangeSet;
  inventory: InventoryEntry[];
  digest: string;
  healthMessage?: string;
  changed: boolean;
  /** Set after a full apply pass: what drifted and whether it was corrected. */
  drift?: { mode: DriftMode; objects: DriftedObject[] };
}

type Outcome = Applied | { kind: 'failed'; error: StepError; revision?: string };

/** A Kustomization's last full, successful apply: what it applied and what its build read. */
interface LastApply {
  digest: string;
  changeSet: ChangeSet;
  at: number;
  reads: BuildReads;
  varsDigest: string;
}

/** What a repeat of `applied` reports: every object still there is unchanged (or skipped again). */
function unchangedAgain(applied: ChangeSet): ChangeSet {
  const changeSet = new ChangeSet();
  for (const e of applied.entries) {
    if (e.action === 'deleted') continue;
    changeSet.add(e.ref, e.action === 'skipped' ? 'skipped' : 'unchanged', e.note);
  }
  return changeSet;
}

export class KustomizationReconciler {
  /** Steady-state apply caches, one per Kustomization (lost on restart: one full dry-run pass). */
  private readonly caches = new Map<string, ApplyCache>();

  private readonly artifacts: ArtifactCache;

  private readonly builds: BuildPool;

  /** Per report-only Kustomization: the drift last announced in an event (one event per change). */
  private readonly reportedDrift = new Map<string, string>();

  /** Per Kustomization: the manifests' digest and outcome of its last full, successful apply. */
  private readonly lastApplied = new Map<string, LastApply>();

  constructor(private readonly deps: KustomizationReconcilerDeps) {
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
      this.caches.delete(req.key);
      this.lastApplied.delete(req.key);
      return {};
    }
    const obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) return this.finalize(obj, req);
    await addFinalizer(this.deps.client, KustomizationType, obj, FINALIZER);
    if (obj.spec.suspend) {
      req.log.info('reconciliation is suspended for this object');
      await this.recordSuspended(obj);
      return {};
    }

    const started = Date.now();
    const progress = new DeferredProgress(PROGRESS_DELAY_MS);
    const original = JSON.stringify(obj.status ?? {});
    const outcome = await this.reconcileManifests(obj, req, progress);
    // A progress status written meanwhile is replaced by the result, even one equal to `original`.
    const progressShown = await progress.settle();
    this.summarize(obj, outcome, Date.now() - started);
    await recordReconcile(
      this.deps.client,
      this.deps.metrics,
      KustomizationType,
      obj,
      progressShown ? '' : original,
      started,
    );

    if (outcome.kind === 'failed') {
      const { error } = outcome;
      if (error.opts.quiet) {
        req.log.info(error.message, { reason: error.reason });
        return { requeueAfter: error.opts.retryAfterMs ?? getRetryInterval(obj) };
      }
      req.log.error('Reconciliation failed', {
        error: error.message,
        reason: error.reason,
        revision: outcome.revision,
      });
      await this.event(
        obj,
        error.reason === 'DependencyNotReady' ? 'Normal' : 'Warning',
        error.reason,
        error.message,
        outcome.revision,
      );
      if (error.opts.stalled) return {};
      return { requeueAfter: error.opts.retryAfterMs ?? getRetryInterval(obj) };
    }
    if (outcome.drift) await this.reportDrift(obj, outcome.drift, outcome.revision);
    const took = formatDuration(Date.now() - started);
    const next = formatDuration(getRequeueAfter(obj));
    req.log.info(`Reconciliation finished in ${took}, next run in ${next}`, {
      revision: outcome.revision,
      output: outcome.changed ? outcome.changeSet.toMap() : undefined,
    });
    if (outcome.changed) {
      await this.event(obj, 'Normal', 'Progressing', outcome.changeSet.lines().join('\n'), outcome.revision);
    }
    // Flux's per-pass success event: notification-controller turns it into a Git commit status.
    // The message has no duration so that Kubernetes aggregates it; the token makes each pass unique.
    await this.event(
      obj,
      'Normal',
      KustomizationReason.ReconciliationSucceeded,
      `Reconciliation finished revision ${outcome.revision}, next run in ${next}`,
      outcome.revision,
      { [COMMIT_STATUS_ANNOTATION]: 'update', [TOKEN_ANNOTATION]: randomUUID() },
    );
    return { requeueAfter: getRequeueAfter(obj) };
  };

  /** The pipeline. Never throws: failures become an outcome with a condition reason. */
  private async reconcileManifests(
    obj: Kustomization,
    req: ReconcileRequest,
    progress: DeferredProgress,
  ): Promise<Outcome> {
    let revision: string | undefined;
    let vars: Record<string, string> | undefined;
    try {
      const statusOf = this.validate(obj);
      const mode = this.driftModeOf(obj);
      const source = this.resolveSource(obj);
      const artifact = source.status!.artifact!;
      revision = artifact.revision;
      this.checkDependencies(obj, revision);

      const timeoutMs = getTimeout(obj);
      // Read before any progress status is written (it sets Ready=Unknown).
      const lastApply = this.shortCutBase(obj, req.key, revision);
      const attempted = revision;
      const showProgress = () => this.markProgressing(obj, attempted, timeoutMs);
      // A download can take a while: show it when it does. An artifact already here is built
      // first, so that a revision that leaves this Kustomization unchanged writes no progress.
      if (!this.artifacts.has(artifact.digest)) progress.arm(showProgress);

      const t0 = Date.now();
      const artifactTree = await this.fetch(artifact.url, artifact.digest, req.signal);
      const t1 = Date.now();
      try {
        const dir = artifactTree.dir;
        vars = await this.variables(obj);
        const varsDigest = digestOf(vars ?? null);
        // Same inputs as the last full apply (every file and listing it read, the variables):
        // same manifests, so not even the build is needed.
        const sameInputs =
          lastApply !== undefined && lastApply.varsDigest === varsDigest && sameReads(lastApply.reads, dir);
        const built = sameInputs ? undefined : await this.build(obj, dir, vars, req.signal);
        const digest = built ? built.digest : lastApply!.digest;
        const t2 = Date.now();
        if (lastApply?.digest === digest) {
          req.log.debug('manifests unchanged since the last apply: revision recorded without applying', {
            revision,
            digest,
            built: built !== undefined,
          });
          const changeSet = unchangedAgain(lastApply.changeSet);
          return {
            kind: 'applied',
            revision,
            changeSet,
            inventory: changeSet.toInventory(),
            digest,
            changed: false,
          };
        }
        const { manifests, reads } = built ?? (await this.build(obj, dir, vars, req.signal));
        progress.arm(showProgress);
        const target = await this.applyTarget(obj);
        const manager = new ResourceManager({
          client: target.client,
          mapper: target.mapper,
          ownerLabels: ownerLabelsFor(obj.metadata.name, obj.metadata.namespace ?? 'default'),
        });
        const cache = this.cacheFor(req.key);
        const { changeSet, drift } = await this.apply(manager, manifests, obj, cache, req.signal, {
          mode,
          sameBuild: obj.status?.history?.[0]?.digest === digest,
        });
        const t3 = Date.now();
        const inventory = changeSet.toInventory();
        const pruned = await this.prune(manager, obj, inventory, cache, req.signal);
        if (pruned) changeSet.append(pruned);
        const healthMessage = await this.checkHealth(
          manager,
          obj,
          manifests,
          changeSet,
          timeoutMs,
          req.signal,
          statusOf,
        );
        req.log.debug('reconcile phases', {
          fetchMs: t1 - t0,
          buildMs: t2 - t1,
          applyMs: t3 - t2,
          restMs: Date.now() - t3,
        });
        this.lastApplied.set(req.key, { digest, changeSet, at: Date.now(), reads, varsDigest });
        return {
          kind: 'applied',
          revision,
          changeSet,
          inventory,
          digest,
          healthMessage,
          changed: changeSet.changed,
          drift: { mode, objects: drift },
        };
      } finally {
        artifactTree.release();
      }
    } catch (err) {
      let error = err instanceof StepError ? err : new StepError('ReconciliationFailed', errorMessage(err));
      // Substituted values (often from Secrets) never reach status, events or logs, whoever echoed them.
      const redacted = vars ? redactValues(error.message, Object.values(vars)) : error.message;
      if (redacted !== error.message) error = new StepError(error.reason, redacted, error.opts);
      return { kind: 'failed', error, revision };
    }
  }

  private driftModeOf(obj: Kustomization): DriftMode {
    try {
      return driftMode(obj);
    } catch (err) {
      if (!(err instanceof InvalidDriftMode)) throw err;
      throw new StepError('ReconciliationFailed', err.message, { stalled: true });
    }
  }

  /** Drift corrected: an event and the counter; report-only: the gauge, and an event when it changes. */
  private async reportDrift(
    obj: Kustomization,
    drift: { mode: DriftMode; objects: DriftedObject[] },
    revision: string,
  ): Promise<void> {
    const { namespace = '', name } = obj.metadata;
    const lines = drift.objects.map((d) => `${d.subject}: ${d.paths.join(', ')}`);
    if (drift.mode === 'report') {
      const before = this.reportedDrift.get(`${namespace}/${name}`);
      const now = lines.join('\n');
      this.reportedDrift.set(`${namespace}/${name}`, now);
      this.deps.metrics.setDriftedObjects(namespace, name, drift.objects.length);
      if (drift.objects.length > 0 && now !== before)
        await this.event(
          obj,
          'Warning',
          'DriftDetected',
          `Drift left in place (report-only):\n${now}`,
          revision,
        );
      return;
    }
    this.reportedDrift.delete(`${namespace}/${name}`);
    this.deps.metrics.setDriftedObjects(namespace, name, 0);
    const corrected = drift.objects.filter((d) => d.corrected);
    if (corrected.length === 0) return;
    this.deps.metrics.countDriftCorrections(namespace, name, corrected.length);
    await this.event(
      obj,
      'Normal',
      'DriftCorrected',
      `Drift corrected:\n${corrected.map((d) => `${d.subject}: ${d.paths.join(', ')}`).join('\n')}`,
      revision,
    );
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
    obj.status!.lastAttemptedRevision = revision;
    await patchStatus(
      this.deps.client,
      KustomizationType,
      obj.metadata.namespace,
      obj.metadata.name,
      obj.status ?? {},
    );
  }

  /**
   * The short cut for a new source revision that does not touch this Kustomization: its last
   * full, successful apply when this pass may reuse it — a new revision (the interval's own pass
   * on the same revision is the drift check), that apply within the interval, the spec unchanged,
   * no sync requested, no health check, and Ready. The pass then records the revision without
   * contacting the cluster if the manifests are byte-identical to that apply's.
   */
  private shortCutBase(obj: Kustomization, key: string, revision: string): LastApply | undefined {
    const status = obj.status;
    const last = this.lastApplied.get(key);
    const eligible =
      last !== undefined &&
      Date.now() - last.at < getRequeueAfter(obj) &&
      status?.lastAppliedRevision !== undefined &&
      status.lastAppliedRevision !== revision &&
      status.observedGeneration === obj.metadata.generation &&
      reconcileRequestedAt(obj.metadata) === status.lastHandledReconcileAt &&
      !obj.spec.wait &&
      !obj.spec.healthChecks?.length &&
      getCondition(obj, ConditionType.Ready)?.status === 'True';
    return eligible ? last : undefined;
  }

  /**
   * Flux's CEL rules and the multi-tenancy lockdown, checked here (the test server has no CEL);
   * the CEL expressions of the spec compiled (Stalled InvalidCELExpression when one does not).
   */
  private validate(obj: Kustomization): StatusOf | undefined {
    const kc = obj.spec.kubeConfig;
    if (kc && Boolean(kc.secretRef) === Boolean(kc.configMapRef)) {
      throw new StepError(
        'ReconciliationFailed',
        'spec.kubeConfig must set exactly one of secretRef and configMapRef',
        { stalled: true },
      );
    }
    const refusal = kustomizationRefusal(obj);
    if (refusal) throw new StepError(refusal.reason as StepReason, refusal.message, { stalled: true });
    if (this.deps.options.noCrossNamespaceRefs) {
      const violation = crossNamespaceViolation(obj);
      if (violation) throw new StepError('AccessDenied', violation, { stalled: true });
    }
    try {
      checkReadyExpressions(obj);
      return healthExpressions(obj.spec.healthCheckExprs);
    } catch (err) {
      if (!(err instanceof InvalidCelExpression)) throw err;
      throw new StepError(
        'InvalidCELExpression',
        `Reconciliation failed terminally due to configuration error: ${err.message}`,
        { stalled: true },
      );
    }
  }

  private resolveSource(obj: Kustomization): GitRepository {
    const ref = obj.spec.sourceRef;
    const ns = sourceNamespace(obj);
    const id = `${ref.kind}/${ns}/${ref.name}`;
    const source = this.deps.sources.get(`${ns}/${ref.name}`);
    if (!source) throw new StepError('ArtifactFailed', `Source '${id}' not found`);
    if (!source.status?.artifact) {
      const retry = this.deps.options.requeueDependencyMs;
      throw new StepError(
        'ArtifactFailed',
        `Source artifact not found, retrying in ${formatDuration(retry)}`,
        {
          retryAfterMs: retry,
          quiet: true,
        },
      );
    }
    return source;
  }

  private checkDependencies(obj: Kustomization, revision: string): void {
    const lookup = (ns: string, name: string) => this.deps.kustomizations.get(`${ns}/${name}`);
    const unready = unreadyDependency(obj, lookup, revision);
    if (unready) {
      throw new StepError(
        'DependencyNotReady',
        `Dependencies do not meet ready condition (${unready}), retrying in ${formatDuration(this.deps.options.requeueDependencyMs)}`,
        {
          retryAfterMs: this.deps.options.requeueDependencyMs,
        },
      );
    }
  }

  /** The extracted artifact, shared with every Kustomization of the same revision (read-only). */
  private async fetch(url: string, digest: string, signal: AbortSignal): Promise<ArtifactLease> {
    try {
      return await this.artifacts.acquire(url, digest, signal);
    } catch (err) {
      const notFound = (err as { reason?: string }).reason === 'ArtifactNotFound';
      throw new StepError('ArtifactFailed', `failed to download artifact, error: ${errorMessage(err)}`, {
        ...(notFound ? { retryAfterMs: this.deps.options.requeueDependencyMs } : {}),
      });
    }
  }

  private async readData(
    kind: 'ConfigMap' | 'Secret',
    namespace: string,
    name: string,
  ): Promise<Record<string, string> | undefined> {
    const rt = kind === 'Secret' ? CoreTypes.secret : CoreTypes.configMap;
    try {
      const o = await this.deps.client.get<{ data?: Record<string, string> }>(
        objectPath(rt, namespace, name),
      );
      return o.data ?? {};
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async variables(obj: Kustomization): Promise<Record<string, string> | undefined> {
    const pb = obj.spec.postBuild;
    if (!pb || (!pb.substitute && !pb.substituteFrom?.length)) return undefined;
    const ns = obj.metadata.namespace ?? 'default';
    try {
      return await collectVars(pb.substitute, pb.substituteFrom ?? [], (kind, name) =>
        this.readData(kind, ns, name),
      );
    } catch (err) {
      throw new StepError('BuildFailed', `post-build substitutions failed: ${errorMessage(err)}`);
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
    const decryption = await this.decryptionKeys(obj);
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
        throw new StepError('DecryptionFailed', err.message, { stalled: err.stalled });
      }
      if (err instanceof BuildError) throw new StepError(err.reason, err.message);
      throw new StepError('BuildFailed', errorMessage(err));
    }
  }

  /** spec.decryption's keys: the referenced Secret's `*.agekey` and `*.asc`, plus the global age keys. */
  /**
   * spec.decryption's key files: the referenced Secret's `*.agekey` and `*.asc`, plus the global age
   * keys. Raw bytes: the build process parses them (a bad key fails that build as DecryptionFailed).
   */
  private async decryptionKeys(obj: Kustomization): Promise<KeyFiles[] | undefined> {
    const dec = obj.spec.decryption;
    if (!dec) return undefined;
    if (dec.provider !== 'sops') {
      throw new StepError(
        'DecryptionFailed',
        `spec.decryption.provider '${dec.provider}' is not supported (only 'sops')`,
        { stalled: true },
      );
    }
    const ns = obj.metadata.namespace ?? 'default';
    const keys: KeyFiles[] = [];
    try {
      const file = this.deps.options.sopsAgeKeyFile;
      if (file) {
        keys.push({
          from: `the global age key file ${file}`,
          files: [{ name: 'global.agekey', data: await readFile(file) }],
        });
      }
      if (dec.secretRef) {
        const where = `decryption Secret '${ns}/${dec.secretRef.name}'`;
        const data = await this.readData('Secret', ns, dec.secretRef.name);
        if (!data) throw new StepError('DecryptionFailed', `${where} not found`);
        const files = Object.keys(data)
          .sort()
          .map((name) => ({ name, data: Buffer.from(data[name] ?? '', 'base64') }));
        keys.push({ from: where, files });
      }
    } catch (err) {
      if (err instanceof StepError) throw err;
      throw new StepError('DecryptionFailed', errorMessage(err));
    }
    return keys;
  }

  private async applyTarget(obj: Kustomization): Promise<ApplyTarget> {
    const ns = obj.metadata.namespace ?? 'default';
    const sa = obj.spec.serviceAccountName || this.deps.options.defaultServiceAccount;
    const secretRef = obj.spec.kubeConfig?.secretRef;
    if (secretRef) {
      const data = await this.readData('Secret', ns, secretRef.name);
      if (!data)
        throw new StepError('ReconciliationFailed', `kubeconfig Secret '${ns}/${secretRef.name}' not found`);
      const key = secretRef.key ?? (data.value !== undefined ? 'value' : 'value.yaml');
      const raw = data[key];
      if (raw === undefined)
        throw new StepError(
          'ReconciliationFailed',
          `kubeconfig Secret '${ns}/${secretRef.name}' has no key '${key}'`,
        );
      try {
        return this.deps.clients.remote(
          Buffer.from(raw, 'base64').toString('utf8'),
          `Secret ${ns}/${secretRef.name}`,
          sa ? { namespace: ns, name: sa } : undefined,
        );
      } catch (err) {
        throw new StepError('ReconciliationFailed', errorMessage(err));
      }
    }
    return sa ? this.deps.clients.impersonate(ns, sa) : this.deps.clients.controller();
  }

  private cacheFor(key: string): ApplyCache {
    let cache = this.caches.get(key);
    if (!cache) {
      cache = new ApplyCache();
      this.caches.set(key, cache);
    }
    return cache;
  }

  /**
   * On failure the inventory keeps tracking everything: the previous entries plus whatever this
   * attempt created before it failed, so nothing it made can be orphaned by a later prune.
   */
  private async apply(
    manager: ResourceManager,
    manifests: Manifest[],
    obj: Kustomization,
    cache: ApplyCache,
    signal: AbortSignal,
    drift: { mode: DriftMode; sameBuild: boolean },
  ): Promise<{ changeSet: ChangeSet; drift: DriftedObject[] }> {
    let ignore: IgnoreRules | undefined;
    try {
      ignore = IgnoreRules.compile(obj.spec.ignore);
    } catch (err) {
      throw new StepError('ReconciliationFailed', errorMessage(err), { stalled: true });
    }
    const result = await manager.applyAll(manifests, {
      force: obj.spec.force ?? false,
      cache,
      previousInventory: new Set((obj.status?.inventory?.entries ?? []).map((e) => e.id)),
      signal,
      ...(ignore ? { ignore } : {}),
      // Drift is a difference on an object whose manifest is the one applied last time: known
      // per object from the cache, or for the whole build from status.history (after a restart).
      drift: {
        reportOnly: drift.mode === 'report',
        unchangedManifest: (ref, digest) => drift.sameBuild || cache.lookup(ref, digest) !== undefined,
      },
    });
    if (result.error) {
      const inventory = mergeInventory(obj.status?.inventory?.entries ?? [], result.changeSet.toInventory());
      throw new StepError('ReconciliationFailed', result.error.message, { inventory });
    }
    return { changeSet: result.changeSet, drift: result.drift };
  }

  /** Deletes what left Git; entries whose deletion failed stay in the inventory for the next try. */
  private async prune(
    manager: ResourceManager,
    obj: Kustomization,
    inventory: InventoryEntry[],
    cache: ApplyCache,
    signal: AbortSignal,
  ): Promise<ChangeSet | undefined> {
    const stale = staleEntries(obj.status?.inventory?.entries ?? [], inventory);
    if (!obj.spec.prune || stale.length === 0) return undefined;
    const result = await manager.prune(stale, { cache, signal });
    if (result.failed.length) {
      const lines = result.failed.map((f) => `${f.subject}: ${f.message}`).join('\n');
      throw new StepError('PruneFailed', `prune failed:\n${lines}`, {
        inventory: mergeInventory(
          inventory,
          result.failed.map((f) => f.entry),
        ),
      });
    }
    return result.changeSet;
  }

  private async checkHealth(
    manager: ResourceManager,
    obj: Kustomization,
    manifests: Manifest[],
    changeSet: ChangeSet,
    timeoutMs: number,
    signal: AbortSignal,
    statusOf: StatusOf | undefined,
  ): Promise<string | undefined> {
    let refs: ObjectRef[];
    if (obj.spec.wait) {
      const skipped = new Set(changeSet.entries.filter((e) => e.action === 'skipped').map((e) => e.subject));
      refs = manifests
        .map(refOf)
        .filter((r) => !skipped.has(changeSet.entries.find((e) => sameRef(e.ref, r))?.subject ?? ''));
    } else if (obj.spec.healthChecks?.length) {
      refs = obj.spec.healthChecks.map((h) => {
        const [group, version] = (h.apiVersion ?? '').includes('/')
          ? h.apiVersion!.split('/')
          : ['', h.apiVersion ?? ''];
        return {
          group: group!,
          version: version!,
          kind: h.kind,
          name: h.name,
          namespace: h.namespace ?? obj.metadata.namespace ?? '',
        };
      });
    } else {
      removeCondition(obj, ConditionType.Healthy);
      return undefined;
    }
    // Never wait for ourselves (a Kustomization that applies itself would deadlock).
    refs = refs.filter(
      (r) =>
        !(
          r.kind === 'Kustomization' &&
          r.name === obj.metadata.name &&
          r.namespace === obj.metadata.namespace
        ),
    );
    if (refs.length === 0) return undefined;
    markReconciling(
      obj,
      KustomizationReason.Progressing,
      `Running health checks with a timeout of ${formatDuration(timeoutMs)}`,
    );
    const started = Date.now();
    const result = await manager.waitForSet(refs, {
      timeoutMs,
      failFast: true,
      signal,
      intervalMs: 2_000,
      ...(statusOf ? { statusOf } : {}),
    });
    if (!result.ok) {
      markFalse(obj, ConditionType.Healthy, KustomizationReason.HealthCheckFailed, result.message);
      throw new StepError('HealthCheckFailed', result.message);
    }
    const message = `Health check passed in ${formatDuration(Date.now() - started)}`;
    markTrue(obj, ConditionType.Healthy, 'Succeeded', message);
    return message;
  }

  /**
   * Flux's deferred status patch runs for a suspended object too: the sync request is recorded as
   * handled and, when Ready, the generation that set `suspend` counts as observed — otherwise
   * kstatus shows the object in progress forever and its dependents never see it ready.
   */
  private async recordSuspended(obj: Kustomization): Promise<void> {
    const original = JSON.stringify(obj.status ?? {});
    obj.status ??= {};
    const status = obj.status;
    const requested = reconcileRequestedAt(obj.metadata);
    if (requested !== undefined) status.lastHandledReconcileAt = requested;
    if (getCondition(obj, ConditionType.Ready)?.status === 'True') {
      removeCondition(obj, ConditionType.Reconciling);
      status.observedGeneration = obj.metadata.generation;
    }
    if (JSON.stringify(status) === original) return;
    await patchStatus(this.deps.client, KustomizationType, obj.metadata.namespace, obj.metadata.name, status);
  }

  /** The one place that turns an outcome into status. */
  private summarize(obj: Kustomization, outcome: Outcome, tookMs: number): void {
    obj.status ??= {};
    const status = obj.status;
    const requested = reconcileRequestedAt(obj.metadata);
    if (requested !== undefined) status.lastHandledReconcileAt = requested;

    if (outcome.kind === 'failed') {
      const { error } = outcome;
      if (outcome.revision) status.lastAttemptedRevision = outcome.revision;
      if (error.opts.inventory) status.inventory = { entries: error.opts.inventory };
      if (error.opts.stalled) {
        markStalled(obj, error.reason, error.message);
        status.observedGeneration = obj.metadata.generation;
      } else {
        markReconciling(obj, KustomizationReason.ProgressingWithRetry, error.message);
      }
      markReady(obj, 'False', error.reason, error.message);
      return;
    }
    status.lastAppliedRevision = outcome.revision;
    status.lastAttemptedRevision = outcome.revision;
    status.inventory = { entries: outcome.inventory };
    status.observedGeneration = obj.metadata.generation;
    markReconciled(obj, KustomizationReason.ReconciliationSucceeded, `Applied revision: ${outcome.revision}`);
    if (outcome.drift) recordDrift(obj, outcome.drift.mode, outcome.drift.objects);
    status.history = recordHistory(status.history, outcome, tookMs);
  }

  private async event(
    obj: Kustomization,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    revision?: string,
    metadata: Record<string, string> = {},
  ): Promise<void> {
    await this.deps.events.record(
      obj,
      type,
      reason,
      message,
      revision ? { ...metadata, [REVISION_ANNOTATION]: revision } : metadata,
    );
  }

  /** Deletion: delete what we applied when the policy says so, then let the object go. */
  private async finalize(obj: Kustomization, req: ReconcileRequest): Promise<ReconcileResult> {
    this.deps.metrics.forgetObject('Kustomization', obj.metadata.namespace ?? '', obj.metadata.name);
    this.reportedDrift.delete(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`);
    const entries = obj.status?.inventory?.entries ?? [];
    if (!obj.spec.suspend && entries.length > 0 && deletesOnFinalize(obj)) {
      try {
        const target = await this.applyTarget(obj);
        const manager = new ResourceManager({
          client: target.client,
          mapper: target.mapper,
          ownerLabels: ownerLabelsFor(obj.metadata.name, obj.metadata.namespace ?? 'default'),
        });
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
    this.caches.delete(req.key);
    this.lastApplied.delete(req.key);
    await removeFinalizer(this.deps.client, KustomizationType, obj, FINALIZER);
    return {};
  }
}

/**
 * WaitForTermination: polls every 2s (as Flux does) until none of `refs` exists any more, or the
 * timeout passes; returns what still exists. (Not a health wait: a deleted object never becomes
 * Current.)
 */
async function waitUntilGone(
  manager: ResourceManager,
  refs: ObjectRef[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ObjectRef[]> {
  const deadline = Date.now() + timeoutMs;
  let remaining = refs;
  for (;;) {
    const exists = await Promise.all(
      remaining.map((r) =>
        manager.dynamic.get(r, signal).then(
          (o) => o !== undefined,
          (err: unknown) => {
            if (isNoKindMatch(err)) return false;
            throw err;
          },
        ),
      ),
    );
    remaining = remaining.filter((_, i) => exists[i]);
    if (remaining.length === 0 || Date.now() + 2_000 > deadline) return remaining;
    await delay(2_000, signal);
  }
}

function sameRef(a: ObjectRef, b: ObjectRef): boolean {
  return a.group === b.group && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;
}

function mergeInventory(current: InventoryEntry[], extra: InventoryEntry[]): InventoryEntry[] {
  if (extra.length === 0) return current;
  const byId = new Map(current.map((e) => [e.id, e]));
  for (const e of extra) byId.set(e.id, e);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(value)).digest('hex')}`;
}

/** status.history: newest first, at most 5, one entry per (digest, status). */
function recordHistory(history: Snapshot[] | undefined, outcome: Applied, tookMs: number): Snapshot[] {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const list = [...(history ?? [])];
  const i = list.findIndex(
    (s) => s.digest === outcome.digest && s.lastReconciledStatus === 'ReconciliationSucceeded',
  );
  const prev = i >= 0 ? list.splice(i, 1)[0] : undefined;
  const entry: Snapshot = {
    digest: outcome.digest,
    firstReconciled: prev?.firstReconciled ?? now,
    lastReconciled: prev && !outcome.changed ? prev.lastReconciled : now,
    lastReconciledDuration: formatDuration(tookMs),
    lastReconciledStatus: 'ReconciliationSucceeded',
    totalReconciliations: (prev?.totalReconciliations ?? 0) + 1,
    metadata: { revision: outcome.revision },
  };
  // A pass that changed nothing keeps its snapshot as it was, so that steady state writes no
  // status at all (Flux bumps lastReconciled/totalReconciliations on every pass).
  if (prev && !outcome.changed) return [prev, ...list].slice(0, MAX_HISTORY_SNAPSHOTS);
  return [entry, ...list].slice(0, MAX_HISTORY_SNAPSHOTS);
}
