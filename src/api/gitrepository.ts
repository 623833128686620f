// GitRepository source.toolkit.fluxcd.io/v1 — types and pure helpers (crds/ holds the schema).
import { type Duration, parseDuration } from './duration.js';
import type {
  Artifact,
  Condition,
  LocalObjectReference,
  ObjectMeta,
  ReconcileRequestStatus,
  Revision,
} from './meta.js';

export const GITREPOSITORY_GROUP = 'source.toolkit.fluxcd.io';
export const GITREPOSITORY_VERSION = 'v1';
export const GITREPOSITORY_API_VERSION = `${GITREPOSITORY_GROUP}/${GITREPOSITORY_VERSION}`;
export const GITREPOSITORY_KIND = 'GitRepository';
export const GITREPOSITORY_LIST_KIND = 'GitRepositoryList';
export const GITREPOSITORY_PLURAL = 'gitrepositories';

/** Branch checked out when spec.ref names nothing. */
export const DEFAULT_BRANCH = 'master';
/** CRD default of spec.timeout. */
export const DEFAULT_GIT_TIMEOUT: Duration = '60s';

export const GitProvider = {
  Generic: 'generic',
  AWS: 'aws',
  Azure: 'azure',
  GitHub: 'github',
} as const;
export type GitProvider = (typeof GitProvider)[keyof typeof GitProvider];

export const GitVerificationMode = {
  /** Legacy spelling of HEAD, kept for backwards compatibility. */
  LegacyHead: 'head',
  HEAD: 'HEAD',
  Tag: 'Tag',
  TagAndHEAD: 'TagAndHEAD',
} as const;
export type GitVerificationMode = (typeof GitVerificationMode)[keyof typeof GitVerificationMode];

export interface GitRepositoryRef {
  branch?: string;
  tag?: string;
  semver?: string;
  /** Full reference, e.g. `refs/pull/420/head`. */
  name?: string;
  commit?: string;
}

export interface GitRepositoryVerification {
  mode?: GitVerificationMode;
  secretRef: LocalObjectReference;
}

export interface GitRepositoryInclude {
  repository: LocalObjectReference;
  fromPath?: string;
  toPath?: string;
}

export interface GitRepositorySpec {
  url: string;
  secretRef?: LocalObjectReference;
  provider?: GitProvider;
  serviceAccountName?: string;
  interval: Duration;
  timeout?: Duration;
  ref?: GitRepositoryRef;
  verify?: GitRepositoryVerification;
  proxySecretRef?: LocalObjectReference;
  ignore?: string;
  suspend?: boolean;
  recurseSubmodules?: boolean;
  include?: GitRepositoryInclude[];
  sparseCheckout?: string[];
}

export interface GitRepositoryStatus extends ReconcileRequestStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  artifact?: Artifact;
  includedArtifacts?: Artifact[];
  observedIgnore?: string;
  observedRecurseSubmodules?: boolean;
  observedInclude?: GitRepositoryInclude[];
  observedSparseCheckout?: string[];
  sourceVerificationMode?: GitVerificationMode;
}

export interface GitRepository {
  apiVersion: typeof GITREPOSITORY_API_VERSION;
  kind: typeof GITREPOSITORY_KIND;
  metadata: ObjectMeta;
  spec: GitRepositorySpec;
  status?: GitRepositoryStatus;
}

/** Requeue delay after a successful reconcile, before jitter (ms). */
export function getRequeueAfter(repo: Pick<GitRepository, 'spec'>): number {
  return parseDuration(repo.spec.interval);
}

/** Timeout for Git operations (ms): spec.timeout, else the CRD default 60s. */
export function getTimeout(repo: Pick<GitRepository, 'spec'>): number {
  return parseDuration(repo.spec.timeout ?? DEFAULT_GIT_TIMEOUT);
}

/** spec.provider, `generic` when empty. */
export function getProvider(repo: Pick<GitRepository, 'spec'>): GitProvider {
  return repo.spec.provider || GitProvider.Generic;
}

/** The declared verification mode, HEAD when absent or not valid; `head` normalized to HEAD. */
export function getVerificationMode(verify: GitRepositoryVerification): GitVerificationMode {
  switch (verify.mode) {
    case GitVerificationMode.Tag:
    case GitVerificationMode.TagAndHEAD:
      return verify.mode;
    default:
      return GitVerificationMode.HEAD;
  }
}

export function verifiesHEAD(verify: GitRepositoryVerification): boolean {
  const mode = getVerificationMode(verify);
  return mode === GitVerificationMode.HEAD || mode === GitVerificationMode.TagAndHEAD;
}

export function verifiesTag(verify: GitRepositoryVerification): boolean {
  const mode = getVerificationMode(verify);
  return mode === GitVerificationMode.Tag || mode === GitVerificationMode.TagAndHEAD;
}

/** Where an include lands in the artifact: toPath, else the included repository's name. */
export function includeToPath(include: GitRepositoryInclude): string {
  return include.toPath || include.repository.name;
}

/** The reference to check out with Flux's precedence: commit > name > semver > tag > branch. */
export type ResolvedRef =
  | { kind: 'commit'; commit: string; branch?: string }
  | { kind: 'name'; name: string }
  | { kind: 'semver'; semver: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'branch'; branch: string };

export function resolveRef(ref: GitRepositoryRef | undefined): ResolvedRef {
  if (ref?.commit)
    return { kind: 'commit', commit: ref.commit, ...(ref.branch ? { branch: ref.branch } : {}) };
  if (ref?.name) return { kind: 'name', name: ref.name };
  if (ref?.semver) return { kind: 'semver', semver: ref.semver };
  if (ref?.tag) return { kind: 'tag', tag: ref.tag };
  return { kind: 'branch', branch: ref?.branch || DEFAULT_BRANCH };
}

/**
 * Flux's revision string: `<ref>@sha1:<hex>` with `refs/heads/` and `refs/tags/` stripped
 * (`main@sha1:…`, `v1.2.3@sha1:…`); a full ref from spec.ref.name is passed as is by the caller
 * with `keepFullRef`; no ref gives `sha1:<hex>`.
 */
export function formatRevision(ref: string | undefined, sha: string, keepFullRef = false): Revision {
  const hash = `sha1:${sha}`;
  if (!ref) return hash;
  const short = keepFullRef ? ref : ref.replace(/^refs\/(heads|tags)\//, '');
  return `${short}@${hash}`;
}

/** The `sha1:<hex>` part of a revision (what identifies the commit regardless of the ref). */
export function revisionDigest(revision: Revision): string {
  const at = revision.lastIndexOf('@');
  return at >= 0 ? revision.slice(at + 1) : revision;
}

/** Artifact path in storage: `gitrepository/<namespace>/<name>/<sha>.tar.gz`. */
export function artifactPath(namespace: string, name: string, sha: string): string {
  return `${GITREPOSITORY_KIND.toLowerCase()}/${namespace}/${name}/${sha}.tar.gz`;
}

/** The GitRepository resource, for the kube client, informers and controllers (a `ResourceType`). */
export const GitRepositoryType = {
  group: GITREPOSITORY_GROUP,
  version: GITREPOSITORY_VERSION,
  kind: GITREPOSITORY_KIND,
  plural: GITREPOSITORY_PLURAL,
  namespaced: true,
} as const;
