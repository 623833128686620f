// System git backend: spawns `git` with a scrubbed environment. Credentials reach git only
// through the environment (http.extraHeader via GIT_CONFIG_*) or files in a private temp dir
// (SSH key, known_hosts, CA); never through argv. The temp dir is removed after every call.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryTree } from '../tree.js';
import { proxySecrets, secretValues } from './auth.js';
import { type Deadline, deadline } from './deadline.js';
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
import { GitObjectTree } from './tree.js';
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

/** Environment variables passed through from the controller (proxies and system CA locations). */
const PASSTHROUGH_ENV = [
  'PATH',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

const FETCHED_REF = 'refs/mooring/fetched';

/** sshpk loads only when an encrypted SSH key has to be decrypted. */
const requireCjs = createRequire(import.meta.url);

export class SystemGitBackend implements GitBackend {
  readonly name = 'git' as const;

  constructor(readonly gitPath = 'git') {}

  async resolve(url: string, ref: RefSpec, opts: GitOptions): Promise<ResolvedRevision | undefined> {
    const plan = planRef(ref);
    if (plan.kind === 'commit') return undefined;
    return withSession(this.gitPath, url, opts, async (s) => {
      const r = resolvePlan(plan, await s.lsRemote(refPrefixes(plan)));
      return resolvedRevision(r.shortRef, r.commit);
    });
  }

  async checkout(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<CheckoutResult> {
    const plan = planRef(ref);
    return withSession(this.gitPath, url, opts, (s) => checkoutIn(s, plan, dir, true));
  }

  /** No working tree: the archive reads the commit's objects (writing 3,000 files only to read them back costs more than the fetch's own checkout). */
  async fetch(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<FetchedSource> {
    const plan = planRef(ref);
    const extras: CheckoutExtras = {
      ...(opts.sparseCheckout?.length ? { sparse: opts.sparseCheckout } : {}),
      ...(opts.recurseSubmodules ? { submodules: true } : {}),
    };
    const result = await withSession(this.gitPath, url, opts, (s) => checkoutIn(s, plan, dir, false, extras));
    // Sparse and submodule checkouts need a working tree (partial clone; submodules are other repositories).
    const tree =
      extras.sparse || extras.submodules
        ? new DirectoryTree(dir)
        : new GitObjectTree(this.gitPath, join(dir, '.git'), result.commit);
    return { ...result, tree };
  }
}

interface CheckoutExtras {
  /** Directories to check out; nothing else is downloaded (blob:none partial clone). */
  sparse?: string[];
  submodules?: boolean;
}

/** Non-cone sparse-checkout patterns: exactly the listed directories, no root files. */
export function sparsePatterns(dirs: readonly string[]): string {
  return dirs.map((d) => `/${d.replace(/[\\*?[!#]/g, (c) => `\\${c}`)}/\n`).join('');
}

async function checkoutIn(
  s: Session,
  plan: RefPlan,
  dir: string,
  worktreeWanted: boolean,
  extras: CheckoutExtras = {},
): Promise<CheckoutResult> {
  mkdirSync(dir, { recursive: true });
  const worktree = worktreeWanted || Boolean(extras.sparse || extras.submodules);
  let shortRef: string;
  let target: string; // what to check out: a local ref or a SHA
  if (plan.kind === 'branch' && !extras.sparse) {
    // One process: clone fetches the branch tip and writes the repository.
    const missing = () => new GitError('RefNotFound', `branch '${plan.branch}' not found on the remote`);
    await s
      .git(
        [
          'clone',
          '-q',
          '--depth',
          '1',
          '--no-tags',
          '--single-branch',
          `--branch=${plan.branch}`,
          '--template=',
          ...(worktree ? [] : ['--no-checkout']),
          '--',
          s.url,
          dir,
        ],
        { op: `clone ${describePlan(plan)}` },
      )
      .catch((err: unknown) => {
        throw err instanceof GitError && err.reason === 'RefNotFound' ? missing() : err;
      });
    // `clone --branch` also accepts a tag (and detaches): only a branch counts, as in Flux.
    const head = /^ref: (\S+)/.exec(readFileSync(join(dir, '.git', 'HEAD'), 'utf8'));
    if (head?.[1] !== `refs/heads/${plan.branch}`) throw missing();
    shortRef = plan.branch;
    target = 'HEAD';
  } else {
    await s.git(['init', '-q', '--template=', dir], { op: 'init' });
    // A named remote: submodules resolve relative URLs against it, a partial clone needs it.
    let source = s.url;
    if (extras.sparse || extras.submodules) {
      await s.git(['remote', 'add', 'origin', s.url], { cwd: dir, op: 'configure remote' });
      source = 'origin';
    }
    if (extras.sparse) {
      for (const [key, value] of [
        ['extensions.partialClone', 'origin'],
        ['remote.origin.promisor', 'true'],
        ['remote.origin.partialCloneFilter', 'blob:none'],
        ['core.sparseCheckout', 'true'],
      ] as const) {
        await s.git(['config', key, value], { cwd: dir, op: 'configure sparse checkout' });
      }
      mkdirSync(join(dir, '.git', 'info'), { recursive: true });
      writeFileSync(join(dir, '.git', 'info', 'sparse-checkout'), sparsePatterns(extras.sparse));
    }
    const filter = extras.sparse ? ['--filter=blob:none'] : [];
    if (plan.kind === 'commit') {
      shortRef = plan.branch ?? '';
      target = await fetchCommit(s, dir, plan.commit, plan.branch, source, filter);
    } else {
      const fullRef =
        plan.kind === 'semver'
          ? resolvePlan(plan, await s.lsRemote(refPrefixes(plan))).fullRef
          : refPrefixes(plan)[0]!;
      shortRef = plan.kind === 'name' ? fullRef : shortRefName(fullRef);
      await s.git(
        [
          'fetch',
          '-q',
          '--depth',
          '1',
          '--no-tags',
          ...filter,
          '--end-of-options',
          source,
          `+${fullRef}:${FETCHED_REF}`,
        ],
        {
          cwd: dir,
          op: `fetch ${describePlan(plan)}`,
        },
      );
      target = FETCHED_REF;
    }
    if (worktree) {
      await s.git(['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', target, '--'], {
        cwd: dir,
        op: 'checkout',
      });
    }
  }
  if (extras.submodules) {
    // Same environment, so the parent's credentials (and host keys) apply, as in Flux.
    await s.git(['submodule', 'update', '-q', '--init', '--recursive', '--depth', '1'], {
      cwd: dir,
      op: 'update submodules',
    });
  }

  // One process reads what the ref points to (a tag object or the commit) and the commit.
  const [pointed, commitObj] = await readObjects(s, dir, [target, `${target}^{commit}`]);
  if (!pointed || !commitObj) {
    throw new GitError('RefNotFound', `the remote repository ${s.redacted} is empty`);
  }
  const commit = commitObj.oid;
  const rawCommit = commitObj.content;
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
    if (pointed.type === 'tag') {
      const tagSig = tagSignature(pointed.content);
      result.tag = { name, annotated: true, ...(tagSig ? { signature: tagSig } : {}) };
    } else {
      result.tag = { name, annotated: false };
    }
  }
  return result;
}

interface GitObject {
  oid: string;
  type: string;
  content: string;
}

/** `git cat-file --batch` for several object names; undefined for missing ones. */
async function readObjects(s: Session, dir: string, names: string[]): Promise<Array<GitObject | undefined>> {
  const out = await s.gitBuffer(['cat-file', '--batch'], { cwd: dir, input: `${names.join('\n')}\n` });
  const objects: Array<GitObject | undefined> = [];
  let off = 0;
  for (let i = 0; i < names.length; i++) {
    const nl = out.indexOf(10, off);
    if (nl < 0) break;
    const header = out.subarray(off, nl).toString('utf8');
    const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(header);
    if (!m) {
      objects.push(undefined); // "<name> missing"
      off = nl + 1;
      continue;
    }
    const size = Number(m[3]);
    objects.push({ oid: m[1]!, type: m[2]!, content: out.subarray(nl + 1, nl + 1 + size).toString('utf8') });
    off = nl + 1 + size + 1;
  }
  return objects;
}

/**
 * Fetch one commit by SHA (depth 1) when the server allows it; otherwise fetch the branch (or
 * all branches) with history and look for the commit there, as Flux does.
 */
async function fetchCommit(
  s: Session,
  dir: string,
  commit: string,
  branch: string | undefined,
  source: string,
  filter: string[],
): Promise<string> {
  if (commit.length === 40) {
    try {
      await s.git(
        ['fetch', '-q', '--depth', '1', '--no-tags', ...filter, '--end-of-options', source, commit],
        {
          cwd: dir,
          op: `fetch commit ${commit}`,
        },
      );
      return commit;
    } catch (err) {
      if (!(err instanceof GitError) || err.reason !== 'RefNotFound') throw err;
    }
  }
  const refspec = branch
    ? `+refs/heads/${branch}:refs/mooring/heads/${branch}`
    : '+refs/heads/*:refs/mooring/heads/*';
  await s.git(['fetch', '-q', '--no-tags', ...filter, '--end-of-options', source, refspec], {
    cwd: dir,
    op: branch ? `fetch branch '${branch}'` : 'fetch branches',
  });
  try {
    return (await s.git(['rev-parse', '--verify', '-q', `${commit}^{commit}`], { cwd: dir })).trim();
  } catch {
    throw new GitError(
      'RefNotFound',
      `commit '${commit}' not found${branch ? ` on branch '${branch}'` : ''} in ${s.redacted}`,
    );
  }
}

// --- session: temp dir, environment, spawning, error classification -------------------------

interface RunOptions {
  cwd?: string;
  op?: string;
  /** Written to stdin. */
  input?: string;
}

interface Session {
  /** URL given to git: no secret userinfo; for SSH with the effective user. */
  url: string;
  redacted: string;
  git(args: string[], opts?: RunOptions): Promise<string>;
  gitBuffer(args: string[], opts?: RunOptions): Promise<Buffer>;
  lsRemote(prefixes: string[]): Promise<RemoteRefs>;
}

async function withSession<T>(
  gitPath: string,
  rawUrl: string,
  opts: GitOptions,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  const url = parseGitUrl(rawUrl);
  const auth = effectiveAuth(url, opts.auth);
  const secrets = [...secretValues(auth), ...proxySecrets(opts.proxyUrl)];
  const hasCredentials = Boolean(auth.username || auth.password || auth.bearerToken || auth.tlsCert);
  const dl = deadline(opts);
  const tmp = mkdtempSync(join(opts.tmpDir ?? tmpdir(), 'mooring-git-'));
  try {
    const env = buildEnv(url, auth, tmp, opts.proxyUrl);
    const gitUrl = effectiveUrl(url, auth);
    const session: Session = {
      url: gitUrl,
      redacted: url.redacted,
      git: async (args, ro = {}) => (await session.gitBuffer(args, ro)).toString('utf8'),
      gitBuffer: (args, ro = {}) =>
        runGit(gitPath, args, env, dl, { ...ro, secrets, redacted: url.redacted, hasCredentials }),
      lsRemote: async (prefixes) => {
        // ls-remote patterns match whole trailing path components: a prefix needs a glob.
        // Peeled annotated tags are listed as `<ref>^{}`.
        const patterns = prefixes.flatMap((p) => (p.endsWith('/') ? [`${p}*`] : [p, `${p}^{}`]));
        const out = await session.git(['ls-remote', '--end-of-options', gitUrl, ...patterns], {
          op: 'list remote refs',
        });
        return parseLsRemote(out);
      },
    };
    return await fn(session);
  } catch (err) {
    if (dl.signal.aborted) throw dl.error(`git operation on ${url.redacted}`);
    if (err instanceof GitError) throw new GitError(err.reason, scrub(err.message, secrets));
    throw new GitError('GitOperationFailed', scrub(String((err as Error)?.message ?? err), secrets));
  } finally {
    dl.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Merge URL userinfo (fallback) into the auth, as Flux does. */
function effectiveAuth(url: GitUrl, auth: GitAuth | undefined): GitAuth {
  const a: GitAuth = { ...(auth ?? {}) };
  if (url.protocol !== 'ssh') {
    if (!a.username && !a.bearerToken && url.username) a.username = url.username;
    if (!a.password && !a.bearerToken && url.password) a.password = url.password;
  }
  return a;
}

function effectiveUrl(url: GitUrl, auth: GitAuth): string {
  if (url.protocol !== 'ssh') return url.redacted;
  const u = new URL(url.redacted);
  u.username = encodeURIComponent(auth.username || url.username || 'git');
  return u.toString();
}

function buildEnv(url: GitUrl, auth: GitAuth, tmp: string, proxyUrl?: string): Record<string, string> {
  const home = join(tmp, 'home');
  mkdirSync(home, { mode: 0o700 });
  const env: Record<string, string> = {};
  for (const k of PASSTHROUGH_ENV) {
    const v = process.env[k];
    // spec.proxySecretRef replaces the environment's proxy settings, no_proxy included.
    if (v !== undefined && !(proxyUrl && /proxy$/i.test(k))) env[k] = v;
  }
  Object.assign(env, {
    HOME: home,
    XDG_CONFIG_HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_ASKPASS: '/bin/false',
    SSH_ASKPASS: '/bin/false',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_ALLOW_PROTOCOL: 'http:https:ssh',
  });
  const config: Array<[string, string]> = [
    ['protocol.version', '2'],
    ['core.hooksPath', '/dev/null'],
    ['credential.helper', ''],
    ['core.fsmonitor', 'false'],
    ['init.defaultBranch', 'mooring-unborn'],
    ['gc.auto', '0'],
    ['maintenance.auto', 'false'],
  ];
  const write = (name: string, content: string) => {
    const p = join(tmp, name);
    writeFileSync(p, content.endsWith('\n') ? content : `${content}\n`, { mode: 0o600 });
    return p;
  };
  if (url.protocol === 'ssh') {
    if (!auth.knownHosts) {
      throw new GitError(
        'AuthenticationFailed',
        "SSH needs a secret with 'known_hosts' (no trust on first use)",
      );
    }
    if (!auth.sshIdentity) throw new GitError('AuthenticationFailed', "SSH needs a secret with 'identity'");
    if (/['\s]/.test(tmp))
      throw new GitError('GitOperationFailed', 'temporary directory path must not contain quotes or spaces');
    const key = write('identity', decryptIdentity(auth.sshIdentity, auth.sshPassphrase));
    const kh = write('known_hosts', auth.knownHosts);
    env.GIT_SSH_VARIANT = 'ssh';
    env.GIT_SSH_COMMAND = [
      'ssh',
      '-F /dev/null',
      `-i '${key}'`,
      '-o IdentitiesOnly=yes',
      '-o IdentityAgent=none',
      `-o UserKnownHostsFile='${kh}'`,
      '-o GlobalKnownHostsFile=/dev/null',
      '-o StrictHostKeyChecking=yes',
      '-o BatchMode=yes',
      '-o PasswordAuthentication=no',
      '-o KbdInteractiveAuthentication=no',
      '-o ConnectTimeout=30',
      '-o ServerAliveInterval=15',
      '-o LogLevel=ERROR',
    ].join(' ');
  } else {
    if (auth.bearerToken) {
      config.push(['http.extraHeader', `Authorization: Bearer ${auth.bearerToken}`]);
    } else if (auth.username) {
      const basic = Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64');
      config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
    }
    if (auth.caCert) config.push(['http.sslCAInfo', write('ca.crt', auth.caCert)]);
    if (auth.tlsCert && auth.tlsKey) {
      config.push(['http.sslCert', write('tls.crt', auth.tlsCert)]);
      config.push(['http.sslKey', write('tls.key', auth.tlsKey)]);
    }
    config.push(['http.lowSpeedLimit', '1'], ['http.lowSpeedTime', '600']);
    // Basic credentials sent up front, as go-git does (curl's default probes first).
    if (proxyUrl) config.push(['http.proxy', proxyUrl], ['http.proxyAuthMethod', 'basic']);
  }
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** OpenSSH reads encrypted keys only interactively; hand it a decrypted copy (0600, temp dir). */
function decryptIdentity(identity: string, passphrase: string | undefined): string {
  const needsDecrypt =
    passphrase || /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(identity) || isEncryptedOpenSsh(identity);
  if (!needsDecrypt) return identity;
  try {
    const key = (requireCjs('sshpk') as typeof import('sshpk')).parsePrivateKey(
      identity,
      'auto',
      passphrase ? { passphrase } : {},
    );
    return key.toString('openssh');
  } catch (err) {
    const msg = String((err as Error)?.message ?? '');
    if (/passphrase|decrypt|encrypted/i.test(msg) || !passphrase) {
      throw new GitError(
        'AuthenticationFailed',
        passphrase
          ? "cannot decrypt SSH 'identity' with the given 'password'"
          : "SSH 'identity' is encrypted and no 'password' was given",
      );
    }
    throw new GitError('AuthenticationFailed', "SSH 'identity' is not a valid private key");
  }
}

function isEncryptedOpenSsh(identity: string): boolean {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(identity);
  if (!m) return false;
  const buf = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  // "openssh-key-v1\0" then string ciphername
  const magic = 'openssh-key-v1\0';
  if (buf.subarray(0, magic.length).toString('latin1') !== magic) return false;
  const len = buf.readUInt32BE(magic.length);
  return buf.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1') !== 'none';
}

function runGit(
  gitPath: string,
  args: string[],
  env: Record<string, string>,
  dl: Deadline,
  ro: RunOptions & { secrets: string[]; redacted: string; hasCredentials: boolean },
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    if (dl.signal.aborted) {
      reject(dl.error(`git ${ro.op ?? args[0]} ${ro.redacted}`));
      return;
    }
    const child = spawn(gitPath, args, {
      cwd: ro.cwd,
      env,
      stdio: [ro.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Own process group, so a timeout also kills git-remote-https / ssh children.
      detached: true,
    });
    if (ro.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(ro.input);
    }
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => {
      if (err.length < 64 * 1024) err += d.toString('utf8');
    });
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    dl.signal.addEventListener('abort', kill, { once: true });
    child.on('error', (e) => {
      dl.signal.removeEventListener('abort', kill);
      reject(new GitError('GitOperationFailed', `cannot run git: ${e.message}`));
    });
    child.on('close', (code) => {
      dl.signal.removeEventListener('abort', kill);
      if (dl.signal.aborted) {
        reject(dl.error(`git ${ro.op ?? args[0]} ${ro.redacted}`));
        return;
      }
      if (code === 0) {
        resolve(Buffer.concat(out));
        return;
      }
      reject(classify(scrub(err, ro.secrets), ro.op ?? args[0] ?? 'git', ro.redacted, ro.hasCredentials));
    });
  });
}

/** Map git/ssh/curl stderr onto a GitError reason with a short, secret-free message. */
export function classify(stderr: string, op: string, redacted: string, hasCredentials: boolean): GitError {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(warning: redirecting|hint:)/.test(l));
  const detail = lines.slice(-3).join('; ').slice(0, 500) || 'git failed without output';
  const has = (re: RegExp) => re.test(stderr);
  const msg = (what: string) => `${op} ${redacted}: ${what}`;
  if (has(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/)) {
    return new GitError('HostKeyMismatch', msg("the server's SSH host key does not match 'known_hosts'"));
  }
  if (has(/No \S+ host key is known for|Host key verification failed/)) {
    return new GitError('HostKeyMismatch', msg("the server's SSH host key is not in 'known_hosts'"));
  }
  if (
    has(
      /server certificate verification failed|SSL certificate problem|certificate verify failed|self.signed certificate/i,
    )
  ) {
    return new GitError(
      'HostKeyMismatch',
      msg("the server's TLS certificate is not trusted (check 'ca.crt')"),
    );
  }
  if (has(/certificate required|alert.*bad certificate|getpeername\(\) failed|TLS fatal alert/i)) {
    // The server ended the TLS handshake: with a required client certificate this is how a
    // missing or unaccepted tls.crt/tls.key shows up (OpenSSL and GnuTLS builds word it differently).
    return new GitError(
      'AuthenticationFailed',
      msg("authentication failed: the server refused the TLS handshake (check 'tls.crt'/'tls.key')"),
    );
  }
  if (has(/Permission denied \(|Permission denied, please try again|Too many authentication failures/)) {
    return new GitError(
      'AuthenticationFailed',
      msg("authentication failed: the server rejected the SSH key 'identity'"),
    );
  }
  if (has(/Load key|invalid format|incorrect passphrase|error in libcrypto/)) {
    return new GitError(
      'AuthenticationFailed',
      msg("authentication failed: cannot load the SSH key 'identity'"),
    );
  }
  if (
    has(
      /Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|HTTP 40[13]/,
    )
  ) {
    return new GitError(
      'AuthenticationFailed',
      msg(
        hasCredentials
          ? 'authentication failed: the server rejected the credentials'
          : 'authentication failed: the server requires credentials and none were given',
      ),
    );
  }
  if (
    has(
      /Could not resolve host|Could not resolve hostname|Connection refused|Failed to connect|Network is unreachable|No route to host|Connection reset|Connection timed out|Connection closed by|kex_exchange_identification|Name or service not known|Temporary failure in name resolution/i,
    )
  ) {
    return new GitError('Unreachable', msg(`cannot reach the server (${detail})`));
  }
  if (has(/Operation timed out|Timeout was reached/i)) {
    return new GitError('Timeout', msg(`timed out (${detail})`));
  }
  if (
    has(
      /couldn't find remote ref|Remote branch .* not found|not our ref|unadvertised object|no such remote ref|invalid refspec|upload-pack: not our ref/,
    )
  ) {
    return new GitError('RefNotFound', msg(detail));
  }
  if (has(/repository .* not found|does not appear to be a git repository|returned error: 404/)) {
    return new GitError('GitOperationFailed', msg(`repository not found (${detail})`));
  }
  return new GitError('GitOperationFailed', msg(detail));
}

export function parseLsRemote(out: string): RemoteRefs {
  const remote: RemoteRefs = { refs: new Map() };
  for (const line of out.split('\n')) {
    if (!line) continue;
    const m = /^([0-9a-f]{40,64})\t(\S+)$/.exec(line);
    if (!m) continue;
    const [, oid, name] = m as unknown as [string, string, string];
    if (name.endsWith('^{}')) {
      const base = name.slice(0, -3);
      const existing = remote.refs.get(base);
      if (existing) existing.peeled = oid;
      else remote.refs.set(base, { oid: '', peeled: oid });
    } else {
      const existing = remote.refs.get(name);
      if (existing) existing.oid = oid;
      else remote.refs.set(name, { oid });
    }
  }
  return remote;
}
