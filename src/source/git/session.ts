// One git operation's session: a private temp dir (SSH key, known_hosts, CA), a scrubbed
// environment carrying the credentials, and the spawning of `git` under the operation's deadline.
// Credentials reach git only through the environment or those files, never through argv; the
// temp dir is removed when the operation ends.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { proxySecrets, secretValues } from './auth.js';
import { classify } from './classify.js';
import { type Deadline, deadline } from './deadline.js';
import type { RemoteRefs } from './refs.js';
import type { GitAuth, GitOptions } from './types.js';
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

/** sshpk loads only when an encrypted SSH key has to be decrypted. */
const requireCjs = createRequire(import.meta.url);

interface RunOptions {
  cwd?: string;
  op?: string;
  /** Written to stdin. */
  input?: string;
}

export interface Session {
  /** URL given to git: no secret userinfo; for SSH with the effective user. */
  url: string;
  redacted: string;
  git(args: string[], opts?: RunOptions): Promise<string>;
  gitBuffer(args: string[], opts?: RunOptions): Promise<Buffer>;
  lsRemote(prefixes: string[]): Promise<RemoteRefs>;
}

export async function withSession<T>(
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
