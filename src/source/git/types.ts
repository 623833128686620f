// The Git access contract used by the GitRepository reconciler. Two backends implement it
// (system git and isomorphic-git); both must behave identically for every case in
// test/source/git*.test.ts.
import type { SourceTree } from '../tree.js';

/** Credentials built from a GitRepository's `spec.secretRef` (see auth.ts `authFromSecret`). */
export interface GitAuth {
  username?: string;
  password?: string;
  bearerToken?: string;
  /** PEM. */
  caCert?: string;
  /** PEM client certificate for mTLS; set together with tlsKey. */
  tlsCert?: string;
  /** PEM. */
  tlsKey?: string;
  /** OpenSSH or PEM private key. */
  sshIdentity?: string;
  sshPassphrase?: string;
  /** known_hosts file content; required whenever sshIdentity is used (no trust on first use). */
  knownHosts?: string;
}

/**
 * `spec.ref` of a GitRepository. Precedence as Flux: commit > name > semver > tag > branch.
 * When nothing is set the branch `master` is checked out, as Flux does (not the remote's HEAD).
 */
export interface RefSpec {
  branch?: string;
  tag?: string;
  semver?: string;
  /** A full ref name, e.g. `refs/pull/1/head` or `refs/heads/main`. */
  name?: string;
  /** A full 40-hex commit SHA. With `branch`, the branch is fetched and the commit checked out. */
  commit?: string;
}

export interface ResolvedRevision {
  /**
   * The short ref: `main`, `v1.2.3`, the full ref for `ref.name` (`refs/pull/1/head`),
   * the branch for `commit`+`branch`, `''` for a bare commit.
   */
  ref: string;
  /** 40 hex; for annotated tags the peeled commit. */
  commit: string;
  /** Flux revision string: `main@sha1:<hex>`, `v1.2.3@sha1:<hex>`, `refs/pull/1/head@sha1:<hex>`, `sha1:<hex>`. */
  revision: string;
}

/** A signed object split into the signed payload and the armored signature (PGP or SSH). */
export interface SignedPayload {
  payload: string;
  armored: string;
}

export interface CheckoutResult extends ResolvedRevision {
  /** The commit subject (first line of the message), for the NewArtifact event. */
  message: string;
  /** The checked-out commit's signature (`gpgsig` header), when it is signed. */
  commitSignature?: SignedPayload;
  /** Set when the ref resolved through a tag (tag, semver, or a `refs/tags/…` name). */
  tag?: { name: string; annotated: boolean; signature?: SignedPayload };
}

export interface GitOptions {
  auth?: GitAuth;
  /** Bounds the whole operation (the GitRepository's spec.timeout). */
  timeoutMs: number;
  /** Cancels the operation (shutdown, lost leadership). */
  signal?: AbortSignal;
  /** Where per-operation secrets (keys, known_hosts, askpass) and HOME go; defaults to os.tmpdir(). */
  tmpDir?: string;
  /**
   * HTTP(S) proxy for http(s):// remotes (spec.proxySecretRef), `http://[user:pass@]host:port`;
   * reached with CONNECT. Replaces any proxy from the environment, `no_proxy` included.
   */
  proxyUrl?: string;
  /**
   * fetch(): only these directories (relative, '/'-separated, no `..`) end up in the tree
   * (spec.sparseCheckout). System git downloads only their blobs (partial clone).
   */
  sparseCheckout?: string[];
  /** fetch(): check out submodules recursively with the same credentials (spec.recurseSubmodules). */
  recurseSubmodules?: boolean;
}

export type GitBackendName = 'git' | 'isomorphic';

export interface GitBackend {
  readonly name: GitBackendName;
  /**
   * Resolve the ref on the remote without fetching objects (ls-remote / ls-refs), for the
   * reconciler's no-op fast path. Returns undefined when it cannot be resolved without a fetch
   * (a `commit` ref). Throws GitError (RefNotFound when the ref does not exist).
   */
  resolve(url: string, ref: RefSpec, opts: GitOptions): Promise<ResolvedRevision | undefined>;
  /** Shallow checkout of exactly one commit into `dir` (empty or missing). Throws GitError. */
  checkout(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<CheckoutResult>;
  /**
   * What the reconciler needs: the commit fetched into `dir` (empty or missing) and its files as
   * a SourceTree. A backend may skip writing a working tree (system git reads the objects).
   */
  fetch(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<FetchedSource>;
}

export interface FetchedSource extends CheckoutResult {
  tree: SourceTree;
}

export type GitErrorReason =
  /** Server rejected the credentials (HTTP 401/403, SSH publickey denied), or the secret is invalid. */
  | 'AuthenticationFailed'
  /** SSH host key unknown to, or different from, the secret's known_hosts; or TLS verification failed. */
  | 'HostKeyMismatch'
  /** DNS failure, connection refused/reset, no route. */
  | 'Unreachable'
  /** opts.timeoutMs elapsed (or opts.signal aborted: message says which). */
  | 'Timeout'
  /** Branch, tag, ref name, commit or semver range did not match anything on the remote. */
  | 'RefNotFound'
  /** URL is not http(s):// or ssh:// or is malformed. */
  | 'InvalidURL'
  /** Anything else. */
  | 'GitOperationFailed';

/**
 * A failed Git operation. The message never contains secret material: URLs are shown without
 * userinfo and any credential value is scrubbed before the error is built.
 */
export class GitError extends Error {
  override readonly name = 'GitError';
  readonly reason: GitErrorReason;

  constructor(reason: GitErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export function isGitError(err: unknown): err is GitError {
  return err instanceof GitError;
}
