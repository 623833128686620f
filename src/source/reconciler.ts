// GitRepository reconciler. Reads top to bottom as the pipeline: finalizer and suspend bookkeeping,
// then credentials → no-op fast path (remote ref unchanged: no clone) → checkout → verify →
// archive + store → garbage collection; one function turns the outcome into status and events.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionType,
  GitRepositoryReason,
  getCondition,
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
  GitRepositoryType,
  getRequeueAfter,
  getTimeout,
  getVerificationMode,
  includeToPath,
  verifiesHEAD,
  verifiesTag,
} from '../api/gitrepository.js';
import { type Artifact, FINALIZER, reconcileRequestedAt } from '../api/meta.js';
import { gitRepositoryRefusal } from '../api/refusals.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { CoreTypes, objectPath } from '../kube/resource.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, extractArchive } from '../kustomization/fetch.js';
import type { ReconcileRequest, ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/events.js';
import { addFinalizer, removeFinalizer } from '../runtime/finalizers.js';
import type { Informer } from '../runtime/informer.js';
import { errorMessage } from '../runtime/logger.js';
import type { Metrics } from '../runtime/metrics.js';
import { recordReconcile } from '../runtime/status.js';
import { StepError } from '../runtime/steperror.js';
import { authFromSecret, proxyUrlFromSecret } from './git/auth.js';
import {
  type CheckoutResult,
  type FetchedSource,
  type GitAuth,
  type GitBackend,
  type GitOptions,
  isGitError,
  type RefSpec,
} from './git/types.js';
import { loadIgnoreFilter } from './ignore.js';
import { IncludeError, type IncludeMount, includedTree } from './include.js';
import type { Storage } from './storage.js';
import type { SourceTree } from './tree.js';
import { VerificationError, verificationKeysFromSecret, verifySignature } from './verify.js';

const REVISION_ANNOTATION = 'source.toolkit.fluxcd.io/revision';
const DIGEST_ANNOTATION = 'source.toolkit.fluxcd.io/digest';

/** The last pass failed (Flux's FailureRecovery over the failure conditions). */
function recovered(before: GitRepository): boolean {
  return (
    getCondition(before, ConditionType.FetchFailed)?.status === 'True' ||
    getCondition(before, ConditionType.StorageOperationFailed)?.status === 'True'
  );
}

/** A failed step: which condition it sets, with Flux's reason and a message for people. */
export class GitRepositoryStepError extends StepError {
  constructor(
    readonly condition:
      | 'FetchFailed'
      | 'StorageOperationFailed'
      | 'SourceVerified'
      | 'Stalled'
      /** Waiting (not a failure to back off from): an included GitRepository has no artifact yet. */
      | 'IncludeUnavailable',
    reason: string,
    message: string,
  ) {
    super(reason, message);
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
  /** How long to wait before looking again for an included GitRepository's artifact (Flux: 30s). */
  requeueDependencyMs?: number;
}

const DEFAULT_REQUEUE_DEPENDENCY_MS = 30_000;

type Outcome =
  | { kind: 'unchanged'; revision: string }
  | { kind: 'stored'; checkout: CheckoutResult; verifiedBy?: string; included: Artifact[] }
  | { kind: 'failed'; error: GitRepositoryStepError };

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
    await this.recordEvents(obj, outcome, cached);

    if (outcome.kind === 'failed') {
      req.log.error('reconciliation failed', { error: outcome.error.message, reason: outcome.error.reason });
      if (outcome.error.condition === 'Stalled') return {};
      if (outcome.error.condition === 'IncludeUnavailable') {
        return { requeueAfter: this.deps.requeueDependencyMs ?? DEFAULT_REQUEUE_DEPENDENCY_MS };
      }
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
      const sparseCheckout = this.validate(obj);
      const auth = await this.credentials(obj);
      const proxyUrl = await this.proxy(obj);
      const ref: RefSpec = { ...(obj.spec.ref ?? {}) };
      const opts: GitOptions = {
        ...(auth ? { auth } : {}),
        ...(proxyUrl ? { proxyUrl } : {}),
        ...(sparseCheckout.length ? { sparseCheckout } : {}),
        ...(obj.spec.recurseSubmodules ? { recurseSubmodules: true } : {}),
        timeoutMs: getTimeout(obj),
        signal: req.signal,
        ...(this.deps.tmpDir ? { tmpDir: this.deps.tmpDir } : {}),
      };
      const included = this.includedArtifacts(obj);

      const unchanged = await this.unchangedRevision(obj, ref, opts, included);
      if (unchanged) return { kind: 'unchanged', revision: unchanged };

      markReconciling(obj, GitRepositoryReason.Progressing, 'building artifact');
      const dir = await mkdtemp(join(this.deps.tmpDir ?? tmpdir(), 'mooring-checkout-'));
      const unpacked = await mkdtemp(join(this.deps.tmpDir ?? tmpdir(), 'mooring-include-'));
      try {
        const fetched = await this.fetch(obj, ref, dir, opts);
        await checkSparseDirectories(fetched.tree, sparseCheckout);
        const verifiedBy = await this.verify(obj, fetched);
        const tree = await this.withIncludes(obj, fetched.tree, included, unpacked);
        await this.store(obj, { ...fetched, tree });
        const { tree: _, ...checkout } = fetched;
        return { kind: 'stored', checkout, verifiedBy, included };
      } finally {
        await rm(dir, { recursive: true, force: true });
        await rm(unpacked, { recursive: true, force: true });
      }
    } catch (err) {
      if (err instanceof GitRepositoryStepError) return { kind: 'failed', error: err };
      return {
        kind: 'failed',
        error: new GitRepositoryStepError(
          'FetchFailed',
          GitRepositoryReason.GitOperationFailed,
          errorMessage(err),
        ),
      };
    } finally {
      await this.collectGarbage(obj, req);
    }
  }

  /** Checks the Flux CEL rules the served CRD cannot carry (no CEL on the test server). */
  private validate(obj: GitRepository): string[] {
    const refusal = gitRepositoryRefusal(obj);
    if (refusal) throw new GitRepositoryStepError('Stalled', refusal.reason, refusal.message);
    if (obj.spec.recurseSubmodules && this.deps.git.name === 'isomorphic') {
      throw new GitRepositoryStepError(
        'Stalled',
        GitRepositoryReason.UnsupportedConfiguration,
        'spec.recurseSubmodules is not supported by the isomorphic Git backend: run with --git-backend=git',
      );
    }
    if (obj.spec.proxySecretRef && !/^https?:\/\//i.test(obj.spec.url)) {
      throw new GitRepositoryStepError(
        'Stalled',
        GitRepositoryReason.UnsupportedConfiguration,
        'spec.proxySecretRef applies to http(s):// URLs only; Git over SSH through a proxy is not supported',
      );
    }
    try {
      return sparseDirectories(obj.spec.sparseCheckout ?? []);
    } catch (err) {
      throw new GitRepositoryStepError('Stalled', GitRepositoryReason.InvalidPath, errorMessage(err));
    }
  }

  private async readSecret(namespace: string, name: string): Promise<Record<string, string>> {
    try {
      const secret = await this.deps.client.get<{ data?: Record<string, string> }>(
        objectPath(CoreTypes.secret, namespace, name),
      );
      return secret.data ?? {};
    } catch (err) {
      if (isNotFound(err)) {
        throw new GitRepositoryStepError(
          'FetchFailed',
          GitRepositoryReason.AuthenticationFailed,
          `secret '${namespace}/${name}' not found`,
        );
      }
      throw new GitRepositoryStepError(
        'FetchFailed',
        GitRepositoryReason.AuthenticationFailed,
        `failed to get secret '${namespace}/${name}': ${errorMessage(err)}`,
      );
    }
  }

  /** spec.proxySecretRef → the proxy URL (Flux: failures are AuthenticationFailed). */
  private async proxy(obj: GitRepository): Promise<string | undefined> {
    const name = obj.spec.proxySecretRef?.name;
    if (!name) return undefined;
    const data = await this.readSecret(obj.metadata.namespace ?? 'default', name);
    try {
      return proxyUrlFromSecret(data, name);
    } catch (err) {
      throw new GitRepositoryStepError(
        'FetchFailed',
        GitRepositoryReason.AuthenticationFailed,
        `failed to configure proxy options: ${errorMessage(err)}`,
      );
    }
  }

  /** The current artifact of every spec.include, in order; waits (IncludeUnavailable) for missing ones. */
  private includedArtifacts(obj: GitRepository): Artifact[] {
    const namespace = obj.metadata.namespace ?? 'default';
    const artifacts: Artifact[] = [];
    for (const inc of obj.spec.include ?? []) {
      const name = inc.repository.name;
      const dep = this.deps.informer.get(`${namespace}/${name}`);
      if (!dep) {
        throw new GitRepositoryStepError(
          'IncludeUnavailable',
          'NotFound',
          `could not get resource for include '${name}': GitRepository '${namespace}/${name}' not found`,
        );
      }
      if (!dep.status?.artifact) {
        throw new GitRepositoryStepError(
          'IncludeUnavailable',
          'NoArtifact',
          `no artifact available for include '${name}'`,
        );
      }
      artifacts.push(structuredClone(dep.status.artifact));
    }
    return artifacts;
  }

  /** The fetched tree with every include mounted (Flux's reconcileInclude). */
  private async withIncludes(
    obj: GitRepository,
    tree: SourceTree,
    included: Artifact[],
    unpackRoot: string,
  ): Promise<SourceTree> {
    const includes = obj.spec.include ?? [];
    if (includes.length === 0) return tree;
    const mounts: IncludeMount[] = [];
    try {
      for (const [i, inc] of includes.entries()) {
        const artifact = included[i]!;
        const file = this.deps.storage.localPath(artifact.path);
        if (!file) throw new IncludeError('CopyFailure', `invalid artifact path '${artifact.path}'`);
        const unpacked = join(unpackRoot, String(i));
        await extractArchive(file, unpacked, INCLUDE_LIMITS);
        mounts.push({
          name: inc.repository.name,
          fromPath: inc.fromPath ?? '',
          toPath: includeToPath(inc),
          unpacked,
        });
      }
      return await includedTree(tree, mounts);
    } catch (err) {
      const reason = err instanceof IncludeError ? err.reason : 'CopyFailure';
      const message =
        err instanceof IncludeError
          ? err.message
          : `failed to copy '${includes[mounts.length]?.repository.name}' include: ${errorMessage(err)}`;
      throw new GitRepositoryStepError('StorageOperationFailed', reason, message);
    }
  }

  private async credentials(obj: GitRepository): Promise<GitAuth | undefined> {
    const ref = obj.spec.secretRef?.name;
    if (!ref) {
      if (obj.spec.url.startsWith('ssh://')) {
        throw new GitRepositoryStepError(
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
      const reason =
        isGitError(err) && err.reason === 'InvalidURL'
          ? GitRepositoryReason.URLInvalid
          : GitRepositoryReason.AuthenticationFailed;
      throw new GitRepositoryStepError('FetchFailed', reason, errorMessage(err));
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
    included: Artifact[],
  ): Promise<string | undefined> {
    const artifact = obj.status?.artifact;
    if (!artifact || obj.status?.observedGeneration !== obj.metadata.generation) return undefined;
    if (includesChanged(obj.status?.includedArtifacts ?? [], included)) return undefined;
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
        throw new GitRepositoryStepError(
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
    const fail = (reason: string, err: unknown): GitRepositoryStepError =>
      new GitRepositoryStepError(
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
        throw new GitRepositoryStepError('Stalled', GitRepositoryReason.InvalidVerificationMode, message);
      }
      if (!checkout.tag.signature) {
        throw new GitRepositoryStepError(
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
      throw new GitRepositoryStepError(
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
      if (error.condition === 'IncludeUnavailable') {
        markTrue(obj, ConditionType.IncludeUnavailable, error.reason, error.message);
        removeCondition(obj, ConditionType.Stalled);
      } else if (error.condition === 'Stalled') {
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
    if (outcome.kind === 'stored') {
      // What the artifact was built from, as source-controller records it.
      setOrDelete(status, 'includedArtifacts', outcome.included.length ? outcome.included : undefined);
      setOrDelete(status, 'observedInclude', obj.spec.include?.length ? obj.spec.include : undefined);
      setOrDelete(status, 'observedRecurseSubmodules', obj.spec.recurseSubmodules || undefined);
      setOrDelete(
        status,
        'observedSparseCheckout',
        obj.spec.sparseCheckout?.length ? obj.spec.sparseCheckout : undefined,
      );
    }
    removeCondition(obj, ConditionType.IncludeUnavailable);
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

  /**
   * source-controller's notify: NewArtifact for a new artifact; Succeeded when a pass recovers from
   * a failure with the artifact it already had; both carry the revision and digest.
   */
  private async recordEvents(obj: GitRepository, outcome: Outcome, before: GitRepository): Promise<void> {
    const { events } = this.deps;
    const artifact = obj.status?.artifact;
    const metadata = (revision: string): Record<string, string> => ({
      [REVISION_ANNOTATION]: revision,
      ...(artifact?.digest ? { [DIGEST_ANNOTATION]: artifact.digest } : {}),
    });
    if (outcome.kind === 'stored') {
      const { checkout } = outcome;
      const message = `stored artifact for commit '${checkout.message}'`;
      if (before.status?.artifact?.digest !== artifact?.digest)
        await events.record(obj, 'Normal', 'NewArtifact', message, metadata(checkout.revision));
      else if (recovered(before))
        await events.record(
          obj,
          'Normal',
          GitRepositoryReason.Succeeded,
          message,
          metadata(checkout.revision),
        );
    } else if (outcome.kind === 'unchanged') {
      if (recovered(before) && artifact)
        await events.record(
          obj,
          'Normal',
          GitRepositoryReason.Succeeded,
          `stored artifact for commit '${artifact.revision}'`,
          metadata(outcome.revision),
        );
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

/** Limits for unpacking an included artifact (the same as a Kustomization's). */
const INCLUDE_LIMITS = {
  maxBytes: DEFAULT_MAX_BYTES,
  maxEntries: DEFAULT_MAX_ENTRIES,
  maxFileBytes: DEFAULT_MAX_BYTES,
};

/** An included artifact changed (revision or digest), appeared or went: the artifact is rebuilt. */
export function includesChanged(observed: readonly Artifact[], current: readonly Artifact[]): boolean {
  if (observed.length !== current.length) return true;
  return current.some((a, i) => a.revision !== observed[i]!.revision || a.digest !== observed[i]!.digest);
}

/**
 * spec.sparseCheckout → directories relative to the root: a leading `./` trimmed as Flux does,
 * trailing slashes dropped; absolute paths, `..` and the root itself refused.
 */
export function sparseDirectories(dirs: readonly string[]): string[] {
  return dirs.map((raw) => {
    const d = raw.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
    const parts = d.split('/');
    if (!d || d === '.' || d.startsWith('/') || parts.some((p) => p === '..' || p === '.' || p === '')) {
      throw new Error(`spec.sparseCheckout: invalid directory '${raw}' (a path inside the repository)`);
    }
    return d;
  });
}

/** Flux checks after the checkout that every sparse directory exists. */
async function checkSparseDirectories(tree: SourceTree, dirs: readonly string[]): Promise<void> {
  if (dirs.length === 0) return;
  const present = new Set((await tree.entries()).filter((e) => e.dir).map((e) => e.path));
  for (const d of dirs) {
    if (!present.has(d)) {
      throw new GitRepositoryStepError(
        'FetchFailed',
        GitRepositoryReason.GitOperationFailed,
        `failed to sparse checkout directories : sparse checkout dir '${d}' does not exist in repository`,
      );
    }
  }
}

function setOrDelete<K extends keyof NonNullable<GitRepository['status']>>(
  status: NonNullable<GitRepository['status']>,
  key: K,
  value: NonNullable<GitRepository['status']>[K] | undefined,
): void {
  if (value === undefined) delete status[key];
  else status[key] = value;
}
