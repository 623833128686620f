// GitRepository reconciler. Reads top to bottom as the pipeline: finalizer and suspend bookkeeping,
// then credentials → no-op fast path (remote ref unchanged: no clone) → checkout → verify →
// archive + store → garbage collection; one function turns the outcome into status and events.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionType,
  GitRepositoryReason,
  markFalse,
  markReady,
  markReconciled,
  markReconciling,
  markStalled,
  markTrue,
  removeCondition,
} from '../api/conditions.js';
import {
  type GitRepository,
  getRequeueAfter,
  getTimeout,
  getVerificationMode,
  verifiesHEAD,
  verifiesTag,
} from '../api/gitrepository.js';
import { FINALIZER, reconcileRequestedAt } from '../api/meta.js';
import { gitRepositoryRefusal } from '../api/refusals.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { CoreTypes, objectPath, type ResourceType } from '../kube/resource.js';
import type { ReconcileRequest, ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { addFinalizer, removeFinalizer } from '../runtime/finalizers.js';
import type { Informer } from '../runtime/informer.js';
import { errorMessage } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { recordReconcile } from '../runtime/status.js';
import { authFromSecret } from './git/auth.js';
import {
  type CheckoutResult,
  type FetchedSource,
  type GitAuth,
  type GitBackend,
  isGitError,
  type RefSpec,
} from './git/types.js';
import { loadIgnoreFilter } from './ignore.js';
import type { Storage } from './storage.js';
import { VerificationError, verificationKeysFromSecret, verifySignature } from './verify.js';

export const GitRepositoryType: ResourceType = {
  group: 'source.toolkit.fluxcd.io',
  version: 'v1',
  kind: 'GitRepository',
  plural: 'gitrepositories',
  namespaced: true,
};

const REVISION_ANNOTATION = 'source.toolkit.fluxcd.io/revision';

/** A failed step: which condition it sets, with Flux's reason and a message for people. */
export class StepError extends Error {
  constructor(
    readonly condition: 'FetchFailed' | 'StorageOperationFailed' | 'SourceVerified' | 'Stalled',
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface GitRepositoryReconcilerDeps {
  client: KubeClient;
  informer: Informer<GitRepository>;
  storage: Storage;
  git: GitBackend;
  events: EventRecorder;
  metrics: Metrics;
  retention: { ttlMs: number; records: number };
  tmpDir?: string;
}

type Outcome =
  | { kind: 'unchanged'; revision: string }
  | { kind: 'stored'; checkout: CheckoutResult; verifiedBy?: string }
  | { kind: 'failed'; error: StepError };

export class GitRepositoryReconciler {
  constructor(private readonly deps: GitRepositoryReconcilerDeps) {}

  reconcile = async (req: ReconcileRequest): Promise<ReconcileResult> => {
    const cached = this.deps.informer.get(req.key);
    if (!cached) return {};
    const obj = structuredClone(cached);
    if (obj.metadata.deletionTimestamp) return this.finalize(obj);
    await addFinalizer(this.deps.client, GitRepositoryType, obj, FINALIZER);
    const started = Date.now();
    const original = JSON.stringify(obj.status ?? {});
    if (obj.spec.suspend) {
      req.log.info('reconciliation is suspended for this object');
      this.summarizeSuspended(obj);
      await recordReconcile(this.deps.client, this.deps.metrics, GitRepositoryType, obj, original, started);
      return {};
    }

    const outcome = await this.reconcileSource(obj, req);
    this.summarize(obj, outcome);
    await recordReconcile(this.deps.client, this.deps.metrics, GitRepositoryType, obj, original, started);
    await this.recordEvents(obj, outcome);

    if (outcome.kind === 'failed') {
      req.log.error('reconciliation failed', { error: outcome.error.message, reason: outcome.error.reason });
      if (outcome.error.condition === 'Stalled') return {};
      throw outcome.error;
    }
    const revision = outcome.kind === 'stored' ? outcome.checkout.revision : outcome.revision;
    req.log.info(outcome.kind === 'stored' ? 'stored artifact' : 'no changes since last reconciliation', {
      revision,
    });
    return { requeueAfter: getRequeueAfter(obj) };
  };

  /** The pipeline. Never throws: every failure becomes an Outcome with a condition reason. */
  private async reconcileSource(obj: GitRepository, req: ReconcileRequest): Promise<Outcome> {
    try {
      this.validate(obj);
      const auth = await this.credentials(obj);
      const ref: RefSpec = { ...(obj.spec.ref ?? {}) };
      const opts = { auth, timeoutMs: getTimeout(obj), signal: req.signal, tmpDir: this.deps.tmpDir };

      const unchanged = await this.unchangedRevision(obj, ref, opts);
      if (unchanged) return { kind: 'unchanged', revision: unchanged };

      markReconciling(obj, GitRepositoryReason.Progressing, 'building artifact');
      const dir = await mkdtemp(join(this.deps.tmpDir ?? tmpdir(), 'mooring-checkout-'));
      try {
        const fetched = await this.fetch(obj, ref, dir, opts);
        const verifiedBy = await this.verify(obj, fetched);
        await this.store(obj, fetched);
        const { tree: _, ...checkout } = fetched;
        return { kind: 'stored', checkout, verifiedBy };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    } catch (err) {
      if (err instanceof StepError) return { kind: 'failed', error: err };
      return {
        kind: 'failed',
        error: new StepError('FetchFailed', GitRepositoryReason.GitOperationFailed, errorMessage(err)),
      };
    } finally {
      await this.collectGarbage(obj, req);
    }
  }

  /** Checks the Flux CEL rules the served CRD cannot carry (no CEL on the test server). */
  private validate(obj: GitRepository): void {
    const refusal = gitRepositoryRefusal(obj);
    if (refusal) throw new StepError('Stalled', refusal.reason, refusal.message);
  }

  private async readSecret(namespace: string, name: string): Promise<Record<string, string>> {
    try {
      const secret = await this.deps.client.get<{ data?: Record<string, string> }>(
        objectPath(CoreTypes.secret, namespace, name),
      );
      return secret.data ?? {};
    } catch (err) {
      if (isNotFound(err)) {
        throw new StepError(
          'FetchFailed',
          GitRepositoryReason.AuthenticationFailed,
          `secret '${namespace}/${name}' not found`,
        );
      }
      throw new StepError(
        'FetchFailed',
        GitRepositoryReason.AuthenticationFailed,
        `failed to get secret '${namespace}/${name}': ${errorMessage(err)}`,
      );
    }
  }

  private async credentials(obj: GitRepository): Promise<GitAuth | undefined> {
    const ref = obj.spec.secretRef?.name;
    if (!ref) {
      if (obj.spec.url.startsWith('ssh://')) {
        throw new StepError(
          'FetchFailed',
          GitRepositoryReason.AuthenticationFailed,
          'an SSH URL needs spec.secretRef with identity and known_hosts',
        );
      }
      return undefined;
    }
    const data = await this.readSecret(obj.metadata.namespace ?? 'default', ref);
    try {
      return authFromSecret(data, obj.spec.url);
    } catch (err) {
      throw new StepError('FetchFailed', GitRepositoryReason.AuthenticationFailed, errorMessage(err));
    }
  }

  /**
   * The no-op fast path: nothing in the spec changed since the stored artifact was built, the
   * artifact is still on disk, and the remote ref still points at the same commit.
   */
  private async unchangedRevision(
    obj: GitRepository,
    ref: RefSpec,
    opts: Parameters<GitBackend['resolve']>[2],
  ): Promise<string | undefined> {
    const artifact = obj.status?.artifact;
    if (!artifact || obj.status?.observedGeneration !== obj.metadata.generation) return undefined;
    if (!(await this.deps.storage.exists(artifact.path))) return undefined;
    const resolved = await this.gitCall(() => this.deps.git.resolve(obj.spec.url, ref, opts));
    return resolved && resolved.revision === artifact.revision ? artifact.revision : undefined;
  }

  private async fetch(
    obj: GitRepository,
    ref: RefSpec,
    dir: string,
    opts: Parameters<GitBackend['fetch']>[3],
  ): Promise<FetchedSource> {
    return this.gitCall(() => this.deps.git.fetch(obj.spec.url, ref, dir, opts));
  }

  private async gitCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isGitError(err)) {
        const reason =
          err.reason === 'AuthenticationFailed'
            ? GitRepositoryReason.AuthenticationFailed
            : err.reason === 'InvalidURL'
              ? GitRepositoryReason.URLInvalid
              : GitRepositoryReason.GitOperationFailed;
        throw new StepError(
          'FetchFailed',
          reason,
          `failed to checkout and determine revision: ${err.message}`,
        );
      }
      throw err;
    }
  }

  /**
   * spec.verify: the commit (HEAD) and/or tag signature must verify with a PGP (`*.asc`) or SSH
   * (`*.sshpub`) key of the Secret; nothing unverified is stored. Reasons as source-controller.
   */
  private async verify(obj: GitRepository, checkout: CheckoutResult): Promise<string | undefined> {
    const verify = obj.spec.verify;
    if (!verify) {
      removeCondition(obj, ConditionType.SourceVerified);
      if (obj.status) delete obj.status.sourceVerificationMode;
      return undefined;
    }
    const keys = verificationKeysFromSecret(
      await this.readSecret(obj.metadata.namespace ?? 'default', verify.secretRef.name),
    );
    const fail = (reason: string, err: unknown): StepError =>
      new StepError(
        'SourceVerified',
        reason,
        err instanceof VerificationError
          ? err.message
          : `signature verification failed: ${errorMessage(err)}`,
      );
    const lines: string[] = [];
    if (verifiesTag(verify)) {
      if (!checkout.tag) {
        const message = "cannot verify tag object's signature if a tag reference is not specified";
        markFalse(obj, ConditionType.SourceVerified, GitRepositoryReason.InvalidVerificationMode, message);
        throw new StepError('Stalled', GitRepositoryReason.InvalidVerificationMode, message);
      }
      if (!checkout.tag.signature) {
        throw new StepError(
          'SourceVerified',
          GitRepositoryReason.InvalidGitObject,
          `cannot verify signature of tag '${checkout.tag.name}' since it is not signed`,
        );
      }
      try {
        const key = await verifySignature(checkout.tag.signature, `tag '${checkout.tag.name}'`, keys);
        lines.push(`tag '${checkout.tag.name}' with key '${key}'`);
      } catch (err) {
        throw fail(GitRepositoryReason.InvalidTagSignature, err);
      }
    }
    if (verifiesHEAD(verify)) {
      try {
        const key = await verifySignature(checkout.commitSignature, `commit '${checkout.commit}'`, keys);
        lines.push(`commit '${checkout.commit}' with key '${key}'`);
      } catch (err) {
        throw fail(GitRepositoryReason.InvalidCommitSignature, err);
      }
    }
    obj.status ??= {};
    obj.status.sourceVerificationMode = getVerificationMode(verify);
    return `verified signature of\n${lines.map((l) => `\t- ${l}`).join('\n')}`;
  }

  private async store(obj: GitRepository, checkout: FetchedSource): Promise<void> {
    const { namespace = 'default', name } = obj.metadata;
    try {
      const filter = await loadIgnoreFilter(checkout.tree, obj.spec.ignore);
      const stored = await this.deps.storage.store(
        'GitRepository',
        namespace,
        name,
        checkout.commit,
        checkout.tree,
        filter,
      );
      obj.status ??= {};
      obj.status.artifact = {
        digest: stored.digest,
        lastUpdateTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        path: stored.path,
        revision: checkout.revision,
        size: stored.size,
        url: stored.url,
      };
    } catch (err) {
      throw new StepError(
        'StorageOperationFailed',
        GitRepositoryReason.ArchiveOperationFailed,
        `failed to store artifact: ${errorMessage(err)}`,
      );
    }
  }

  private async collectGarbage(obj: GitRepository, req: ReconcileRequest): Promise<void> {
    const { namespace = 'default', name } = obj.metadata;
    try {
      const deleted = await this.deps.storage.garbageCollect(
        'GitRepository',
        namespace,
        name,
        obj.status?.artifact?.path,
        this.deps.retention.ttlMs,
        this.deps.retention.records,
      );
      if (deleted.length) req.log.debug('garbage collected artifacts', { deleted: deleted.length });
    } catch (err) {
      req.log.error('garbage collection failed', { error: errorMessage(err) });
    }
  }

  /** The one place that turns an outcome into conditions and the rest of the status. */
  private summarize(obj: GitRepository, outcome: Outcome): void {
    obj.status ??= {};
    const status = obj.status;
    const requested = reconcileRequestedAt(obj.metadata);
    if (requested !== undefined) status.lastHandledReconcileAt = requested;
    if (status.artifact) status.artifact.url = this.deps.storage.urlFor(status.artifact.path);

    if (outcome.kind === 'failed') {
      const { error } = outcome;
      if (error.condition === 'Stalled') {
        markStalled(obj, error.reason, error.message);
        status.observedGeneration = obj.metadata.generation;
      } else {
        if (error.condition === 'SourceVerified')
          markFalse(obj, ConditionType.SourceVerified, error.reason, error.message);
        else markTrue(obj, error.condition, error.reason, error.message);
        markReconciling(
          obj,
          GitRepositoryReason.ProgressingWithRetry,
          `retrying after failure: ${error.message}`,
        );
      }
      markReady(obj, 'False', error.reason, error.message);
      return;
    }

    const revision = outcome.kind === 'stored' ? outcome.checkout.revision : outcome.revision;
    const message = `stored artifact for revision '${revision}'`;
    removeCondition(obj, ConditionType.FetchFailed);
    removeCondition(obj, ConditionType.StorageOperationFailed);
    removeCondition(obj, ConditionType.ArtifactOutdated);
    if (outcome.kind === 'stored' && outcome.verifiedBy !== undefined && obj.spec.verify) {
      markTrue(obj, ConditionType.SourceVerified, GitRepositoryReason.Succeeded, outcome.verifiedBy);
    }
    markTrue(obj, ConditionType.ArtifactInStorage, GitRepositoryReason.Succeeded, message);
    markReconciled(obj, GitRepositoryReason.Succeeded, message);
    status.observedGeneration = obj.metadata.generation;
    status.observedIgnore = obj.spec.ignore;
    if (obj.spec.ignore === undefined) delete status.observedIgnore;
  }

  /**
   * A suspended object is observed without being reconciled, as source-controller does: the sync
   * request is acknowledged, the generation observed (only once the object has conditions), a
   * Stalled condition dropped; nothing else changes.
   */
  private summarizeSuspended(obj: GitRepository): void {
    const requested = reconcileRequestedAt(obj.metadata);
    if (requested !== undefined) {
      obj.status ??= {};
      obj.status.lastHandledReconcileAt = requested;
    }
    if (!obj.status?.conditions?.length) return;
    removeCondition(obj, ConditionType.Stalled);
    obj.status.observedGeneration = obj.metadata.generation;
  }

  private async recordEvents(obj: GitRepository, outcome: Outcome): Promise<void> {
    const { events } = this.deps;
    if (outcome.kind === 'stored') {
      const { checkout } = outcome;
      await events.record(obj, 'Normal', 'NewArtifact', `stored artifact for commit '${checkout.message}'`, {
        [REVISION_ANNOTATION]: checkout.revision,
      });
    } else if (outcome.kind === 'failed') {
      await events.record(obj, 'Warning', outcome.error.reason, outcome.error.message);
    }
  }

  private async finalize(obj: GitRepository): Promise<ReconcileResult> {
    this.deps.metrics.forgetObject('GitRepository', obj.metadata.namespace ?? '', obj.metadata.name);
    await this.deps.storage.remove('GitRepository', obj.metadata.namespace ?? 'default', obj.metadata.name);
    await removeFinalizer(this.deps.client, GitRepositoryType, obj, FINALIZER);
    return {};
  }
}
