// isomorphic-git backend (pure JavaScript, for images without a git binary). HTTPS through a
// node:http(s) plugin (CA, mTLS, preemptive auth), SSH through the ssh2 transport. Always a
// fresh shallow fetch into a new repository: its incremental fetch re-downloads everything.
import * as fs from 'node:fs';
import git from 'isomorphic-git';
import { DirectoryTree } from '../tree.js';
import { proxySecrets, secretValues } from './auth.js';
import { type Deadline, deadline } from './deadline.js';
import { NodeHttpClient } from './http-client.js';
import { commitSignature, messageSubject, tagSignature } from './objects.js';
import {
  describePlan,
  planRef,
  type RefPlan,
  type RemoteRefs,
  refPrefixes,
  resolvedRevision,
  resolvePlan,
  shortRefName,
} from './refs.js';
import { SSH_PLACEHOLDER_URL, SshTransport } from './ssh-transport.js';
import type {
  CheckoutResult,
  FetchedSource,
  GitAuth,
  GitBackend,
  GitOptions,
  RefSpec,
  ResolvedRevision,
} from './types.js';
import { GitError } from './types.js';
import { type GitUrl, parseGitUrl, scrub } from './url.js';

const LOCAL_BRANCH = 'mooring-checkout';

interface HttpPlugin {
  request: NodeHttpClient['request'];
}

interface Conn {
  url: string;
  http: HttpPlugin;
  redacted: string;
  isSsh: boolean;
}

export class IsomorphicGitBackend implements GitBackend {
  readonly name = 'isomorphic' as const;

  async resolve(url: string, ref: RefSpec, opts: GitOptions): Promise<ResolvedRevision | undefined> {
    const plan = planRef(ref);
    if (plan.kind === 'commit') return undefined;
    return withConnection(url, opts, async (c) => {
      const r = resolvePlan(plan, await listRefs(c, plan));
      return resolvedRevision(r.shortRef, r.commit);
    });
  }

  async checkout(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<CheckoutResult> {
    const plan = planRef(ref);
    return withConnection(url, opts, (c) => checkoutIn(c, plan, dir));
  }

  /** spec.sparseCheckout: the whole commit is downloaded, only the listed directories written. */
  async fetch(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<FetchedSource> {
    if (opts.recurseSubmodules) {
      throw new GitError('GitOperationFailed', 'the isomorphic Git backend cannot check out submodules');
    }
    const plan = planRef(ref);
    const result = await withConnection(url, opts, (c) => checkoutIn(c, plan, dir, opts.sparseCheckout));
    return { ...result, tree: new DirectoryTree(dir) };
  }
}

async function listRefs(c: Conn, plan: RefPlan): Promise<RemoteRefs> {
  const prefixes = refPrefixes(plan);
  const refs = await git.listServerRefs({
    http: c.http,
    url: c.url,
    // Over SSH the transport speaks v0; over HTTP v2 ls-refs filters on the server.
    protocolVersion: c.isSsh ? 1 : 2,
    peelTags: true,
    ...(prefixes.length === 1 ? { prefix: prefixes[0] } : {}),
  });
  const remote: RemoteRefs = { refs: new Map() };
  for (const r of refs) {
    const entry: { oid: string; peeled?: string } = { oid: r.oid };
    if (r.peeled) entry.peeled = r.peeled;
    remote.refs.set(r.ref, entry);
  }
  return remote;
}

async function checkoutIn(
  c: Conn,
  plan: RefPlan,
  dir: string,
  sparse?: readonly string[],
): Promise<CheckoutResult> {
  fs.mkdirSync(dir, { recursive: true });
  await git.init({ fs, dir, defaultBranch: LOCAL_BRANCH });
  // fetch needs a configured remote (for its refspec); the URL holds no credentials.
  await git.addRemote({ fs, dir, remote: 'origin', url: c.url });
  const fetchOne = async (remoteRef: string, depth: number | undefined, singleBranch = true) =>
    git.fetch({
      fs,
      http: c.http,
      dir,
      url: c.url,
      remote: 'origin',
      remoteRef,
      singleBranch,
      tags: false,
      ...(depth ? { depth } : {}),
    });

  let shortRef: string;
  let fetchedOid: string;
  switch (plan.kind) {
    case 'commit': {
      shortRef = plan.branch ?? '';
      fetchedOid = await fetchCommit(c, dir, plan.commit, plan.branch, fetchOne);
      break;
    }
    default: {
      const fullRef =
        plan.kind === 'semver' ? resolvePlan(plan, await listRefs(c, plan)).fullRef : refPrefixes(plan)[0]!;
      shortRef = plan.kind === 'name' ? fullRef : shortRefName(fullRef);
      let res: Awaited<ReturnType<typeof fetchOne>>;
      try {
        res = await fetchOne(fullRef, 1);
      } catch (err) {
        if ((err as { code?: string })?.code === 'NotFoundError') {
          throw new GitError('RefNotFound', `${describePlan(plan)} not found on the remote`);
        }
        throw err;
      }
      if (!res.fetchHead) throw new GitError('RefNotFound', `the remote repository ${c.redacted} is empty`);
      fetchedOid = res.fetchHead;
    }
  }

  // Peel an annotated tag.
  let commit = fetchedOid;
  let rawTag: string | undefined;
  const obj = await git.readObject({ fs, dir, oid: fetchedOid, format: 'content' });
  if (obj.type === 'tag') {
    rawTag = Buffer.from(obj.object as Uint8Array).toString('utf8');
    const m = /^object ([0-9a-f]{40})$/m.exec(rawTag);
    if (!m) throw new GitError('GitOperationFailed', 'malformed tag object');
    commit = m[1]!;
  }
  await git.writeRef({ fs, dir, ref: `refs/heads/${LOCAL_BRANCH}`, value: commit, force: true });
  await git.checkout({
    fs,
    dir,
    ref: LOCAL_BRANCH,
    force: true,
    ...(sparse?.length ? { filepaths: [...sparse] } : {}),
  });

  const rawCommitObj = await git.readObject({ fs, dir, oid: commit, format: 'content' });
  if (rawCommitObj.type !== 'commit') {
    throw new GitError('GitOperationFailed', `${describePlan(plan)} does not point to a commit`);
  }
  const rawCommit = Buffer.from(rawCommitObj.object as Uint8Array).toString('utf8');
  const result: CheckoutResult = {
    ...resolvedRevision(shortRef, commit),
    message: messageSubject(rawCommit),
  };
  const sig = commitSignature(rawCommit);
  if (sig) result.commitSignature = sig;
  if (
    plan.kind === 'tag' ||
    plan.kind === 'semver' ||
    (plan.kind === 'name' && shortRef.startsWith('refs/tags/'))
  ) {
    const name = plan.kind === 'name' ? shortRefName(shortRef) : shortRef;
    if (rawTag) {
      const tagSig = tagSignature(rawTag);
      result.tag = { name, annotated: true, ...(tagSig ? { signature: tagSig } : {}) };
    } else {
      result.tag = { name, annotated: false };
    }
  }
  return result;
}

type FetchFn = (
  remoteRef: string,
  depth: number | undefined,
  singleBranch?: boolean,
) => Promise<{ fetchHead: string | null }>;

async function fetchCommit(
  c: Conn,
  dir: string,
  commit: string,
  branch: string | undefined,
  fetchOne: FetchFn,
): Promise<string> {
  if (commit.length === 40) {
    try {
      await fetchOne(commit, 1);
      // Over SSH a refused want can end the exchange without an error: check for the object.
      await git.readObject({ fs, dir, oid: commit, format: 'deflated' });
      return commit;
    } catch (err) {
      // Servers without allow*SHA1InWant fail in transport-specific ways; anything but our own
      // classified errors falls back (a real connection problem fails again below).
      if (err instanceof GitError && err.reason !== 'RefNotFound') throw err;
    }
  }
  // The server does not serve unadvertised commits: fetch history and look for it, as Flux does.
  try {
    if (branch) await fetchOne(`refs/heads/${branch}`, undefined);
    else await fetchOne('HEAD', undefined, false);
  } catch (err) {
    if ((err as { code?: string })?.code === 'NotFoundError') {
      throw new GitError('RefNotFound', `branch '${branch}' not found on the remote`);
    }
    throw err;
  }
  try {
    return await git.expandOid({ fs, dir, oid: commit });
  } catch {
    throw new GitError(
      'RefNotFound',
      `commit '${commit}' not found${branch ? ` on branch '${branch}'` : ''} in ${c.redacted}`,
    );
  }
}

function isWantRejected(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? err);
  return /not our ref|unadvertised object|upload-pack: not our ref|want .* not valid/i.test(msg);
}

// --- connection setup and error classification ----------------------------------------------

async function withConnection<T>(rawUrl: string, opts: GitOptions, fn: (c: Conn) => Promise<T>): Promise<T> {
  const url = parseGitUrl(rawUrl);
  const auth = effectiveAuth(url, opts.auth);
  const secrets = [...secretValues(auth), ...proxySecrets(opts.proxyUrl)];
  const dl = deadline(opts);
  let ssh: SshTransport | undefined;
  let httpClient: NodeHttpClient | undefined;
  try {
    let conn: Conn;
    if (url.protocol === 'ssh') {
      if (!auth.knownHosts) {
        throw new GitError(
          'AuthenticationFailed',
          "SSH needs a secret with 'known_hosts' (no trust on first use)",
        );
      }
      if (!auth.sshIdentity) throw new GitError('AuthenticationFailed', "SSH needs a secret with 'identity'");
      ssh = new SshTransport(
        {
          host: url.hostname,
          port: url.port ?? 22,
          username: auth.username || url.username || 'git',
          path: url.path,
          privateKey: auth.sshIdentity,
          ...(auth.sshPassphrase ? { passphrase: auth.sshPassphrase } : {}),
          knownHosts: auth.knownHosts,
        },
        dl.signal,
      );
      conn = { url: SSH_PLACEHOLDER_URL, http: ssh, redacted: url.redacted, isSsh: true };
    } else {
      httpClient = new NodeHttpClient(auth, dl.signal, opts.proxyUrl);
      conn = { url: url.redacted, http: httpClient, redacted: url.redacted, isSsh: false };
    }
    return await raceAbort(fn(conn), dl);
  } catch (err) {
    if (dl.signal.aborted) throw dl.error(`git operation on ${url.redacted}`);
    const e = err instanceof GitError ? err : classify(err, url, auth, ssh, httpClient);
    throw new GitError(e.reason, scrub(e.message, secrets));
  } finally {
    ssh?.close();
    dl.dispose();
  }
}

/** isomorphic-git has no cancellation of its own: stop waiting when the deadline fires. */
function raceAbort<T>(p: Promise<T>, dl: Deadline): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(dl.error('git operation'));
    if (dl.signal.aborted) onAbort();
    dl.signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        dl.signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        dl.signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function effectiveAuth(url: GitUrl, auth: GitAuth | undefined): GitAuth {
  const a: GitAuth = { ...(auth ?? {}) };
  if (url.protocol !== 'ssh') {
    if (!a.username && !a.bearerToken && url.username) a.username = url.username;
    if (!a.password && !a.bearerToken && url.password) a.password = url.password;
  }
  return a;
}

function classify(
  err: unknown,
  url: GitUrl,
  auth: GitAuth,
  ssh: SshTransport | undefined,
  httpClient: NodeHttpClient | undefined,
): GitError {
  const e = err as NodeJS.ErrnoException & { data?: { statusCode?: number }; level?: string };
  const msg = String(e?.message ?? err);
  const code = e?.code ?? '';
  const where = url.redacted;
  const hasCredentials = Boolean(auth.username || auth.password || auth.bearerToken || auth.tlsCert);

  if (ssh) {
    const verdict = ssh.hostKeyVerdict;
    if (verdict === 'mismatch' || verdict === 'revoked') {
      return new GitError(
        'HostKeyMismatch',
        `${where}: the server's SSH host key does not match 'known_hosts'`,
      );
    }
    if (verdict === 'unknown') {
      return new GitError('HostKeyMismatch', `${where}: the server's SSH host key is not in 'known_hosts'`);
    }
    if (e?.level === 'client-authentication' || /All configured authentication methods failed/.test(msg)) {
      return new GitError(
        'AuthenticationFailed',
        `${where}: authentication failed: the server rejected the SSH key 'identity'`,
      );
    }
    if (/privateKey|passphrase|Encrypted private|Unsupported key format|Cannot parse/i.test(msg)) {
      return new GitError(
        'AuthenticationFailed',
        `${where}: authentication failed: cannot load the SSH key 'identity'`,
      );
    }
    if (/no matching host key/i.test(msg)) {
      return new GitError(
        'HostKeyMismatch',
        `${where}: the server offers no host key type listed in 'known_hosts'`,
      );
    }
    if (ssh.stderr && /not found|does not appear|No such file|not a git repository/i.test(ssh.stderr)) {
      return new GitError(
        'GitOperationFailed',
        `${where}: repository not found (${ssh.stderr.trim().slice(0, 200)})`,
      );
    }
  }
  const status = httpClient?.lastStatus ?? e?.data?.statusCode;
  if (status === 401 || status === 403) {
    return new GitError(
      'AuthenticationFailed',
      `${where}: authentication failed: ${hasCredentials ? 'the server rejected the credentials' : 'the server requires credentials and none were given'}`,
    );
  }
  if (
    /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED)/.test(code)
  ) {
    return new GitError(
      'AuthenticationFailed',
      `${where}: authentication failed: the server refused the TLS client certificate (check 'tls.crt'/'tls.key')`,
    );
  }
  if (
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify|certificate/i.test(code) ||
    /certificate|self.signed/i.test(msg)
  ) {
    return new GitError(
      'HostKeyMismatch',
      `${where}: the server's TLS certificate is not trusted (check 'ca.crt')`,
    );
  }
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE'].includes(
      code,
    )
  ) {
    return new GitError('Unreachable', `${where}: cannot reach the server (${code})`);
  }
  if (code === 'ETIMEDOUT') return new GitError('Timeout', `${where}: connection timed out`);
  if (status === 404) return new GitError('GitOperationFailed', `${where}: repository not found (HTTP 404)`);
  if (code === 'NotFoundError') return new GitError('RefNotFound', `${where}: ${msg}`);
  if (isWantRejected(err)) return new GitError('RefNotFound', `${where}: ${msg}`);
  return new GitError('GitOperationFailed', `${where}: ${msg}`);
}
