// Real Git servers for tests and benchmarks, on 127.0.0.1 only:
// - smart HTTP: `git http-backend` (CGI) behind node:http/https, anonymous, basic or bearer auth,
//   optional TLS with a throwaway CA (and optional client-certificate requirement);
// - SSH: OpenSSH `sshd` (Debian `openssh-server`) on a free port, key-only auth;
// - a TCP server that accepts and never answers (timeouts), and a free port nobody listens on.
// Repositories are bare repos under the server root, built with makeRepo/commitFiles.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import {
  createServer as createTcpServer,
  type Socket,
  type Server as TcpServer,
  connect as tcpConnect,
} from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';

const execFileP = promisify(execFile);

export const GIT_IDENTITY_ENV = {
  GIT_AUTHOR_NAME: 'Mooring Test',
  GIT_AUTHOR_EMAIL: 'test@mooring.invalid',
  GIT_COMMITTER_NAME: 'Mooring Test',
  GIT_COMMITTER_EMAIL: 'test@mooring.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Run git with a fixed identity and no user/system config; returns trimmed stdout. */
export async function git(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const { stdout } = await execFileP('git', args, {
    cwd: opts.cwd,
    env: { ...process.env, ...GIT_IDENTITY_ENV, ...opts.env },
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout.trim();
}

export function tempDir(prefix = 'mooring-git-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Repositories

export type FileContent = string | Buffer | null; // null deletes the file

export interface CommitSpec {
  files: Record<string, FileContent>;
  message?: string;
  /** Branch to commit on (created from `from`, or the default branch, if missing). */
  branch?: string;
  from?: string;
}

export interface TagSpec {
  name: string;
  /** Branch, tag or SHA to tag; default: the default branch. */
  at?: string;
  annotated?: boolean;
  message?: string;
}

export interface RepoSpec {
  /** The branch HEAD points to; default 'main'. */
  defaultBranch?: string;
  /** Applied in order; the first creates the default branch unless it names another. */
  commits?: CommitSpec[];
  /** Extra branches: name → start point (branch/tag/sha). */
  branches?: Record<string, string>;
  tags?: TagSpec[];
  /** Extra refs (e.g. refs/pull/1/head): name → start point. */
  refs?: Record<string, string>;
  /** Let clients fetch any commit by SHA (uploadpack.allowAnySHA1InWant); default true. */
  allowAnySha1InWant?: boolean;
}

export interface Repo {
  /** The bare repository directory. */
  dir: string;
  defaultBranch: string;
  /** The commit a ref (branch, tag, full ref) points to. */
  rev(ref: string): Promise<string>;
}

/** Create (or extend) a bare repository at `dir` from `spec`. */
export async function makeRepo(dir: string, spec: RepoSpec = {}): Promise<Repo> {
  const defaultBranch = spec.defaultBranch ?? 'main';
  mkdirSync(dirname(dir), { recursive: true });
  if (!existsSync(join(dir, 'HEAD'))) {
    await git(['init', '-q', '--bare', `--initial-branch=${defaultBranch}`, dir]);
  }
  await git(['--git-dir', dir, 'symbolic-ref', 'HEAD', `refs/heads/${defaultBranch}`]);
  const anySha = spec.allowAnySha1InWant ?? true;
  await git(['--git-dir', dir, 'config', 'uploadpack.allowAnySHA1InWant', String(anySha)]);
  await git(['--git-dir', dir, 'config', 'uploadpack.allowReachableSHA1InWant', String(anySha)]);
  await git(['--git-dir', dir, 'config', 'uploadpack.allowTipSHA1InWant', String(anySha)]);
  await git(['--git-dir', dir, 'config', 'http.receivepack', 'false']);
  // Partial clone (--filter=blob:none), as GitHub and GitLab serve it.
  await git(['--git-dir', dir, 'config', 'uploadpack.allowFilter', 'true']);
  const repo: Repo = {
    dir,
    defaultBranch,
    rev: (ref) => git(['--git-dir', dir, 'rev-parse', '--verify', `${ref}^{commit}`]),
  };
  for (const c of spec.commits ?? []) {
    await commitFiles(repo, c.files, c.message ?? 'commit', { branch: c.branch, from: c.from });
  }
  for (const [name, from] of Object.entries(spec.branches ?? {})) {
    await git(['--git-dir', dir, 'update-ref', `refs/heads/${name}`, await repo.rev(from)]);
  }
  for (const [name, from] of Object.entries(spec.refs ?? {})) {
    await git(['--git-dir', dir, 'update-ref', name, await repo.rev(from)]);
  }
  for (const t of spec.tags ?? []) await tagRepo(repo, t);
  return repo;
}

export async function tagRepo(repo: Repo, t: TagSpec): Promise<void> {
  const target = await repo.rev(t.at ?? repo.defaultBranch);
  const args = ['--git-dir', repo.dir, 'tag', '-f'];
  if (t.annotated) args.push('-a', '-m', t.message ?? `release ${t.name}`);
  await git([...args, t.name, target]);
}

/**
 * Commit files onto a branch of a bare repository (as a push would) and return the new SHA.
 * Files not mentioned are kept; `null` deletes.
 */
export async function commitFiles(
  repo: Repo,
  files: Record<string, FileContent>,
  message: string,
  opts: { branch?: string | undefined; from?: string | undefined; date?: string } = {},
): Promise<string> {
  const branch = opts.branch ?? repo.defaultBranch;
  const work = tempDir('mooring-commit-');
  const env: Record<string, string> = { GIT_INDEX_FILE: join(work, '.index') };
  if (opts.date) {
    env.GIT_AUTHOR_DATE = opts.date;
    env.GIT_COMMITTER_DATE = opts.date;
  }
  const g = (args: string[]) => git(['--git-dir', repo.dir, '--work-tree', work, ...args], { env });
  try {
    let parent: string | undefined;
    try {
      parent = await repo.rev(`refs/heads/${branch}`);
    } catch {
      if (opts.from) parent = await repo.rev(opts.from);
      else {
        try {
          parent = await repo.rev(`refs/heads/${repo.defaultBranch}`);
        } catch {
          parent = undefined;
        }
      }
    }
    if (parent) await g(['read-tree', parent]);
    const add: string[] = [];
    const del: string[] = [];
    for (const [path, content] of Object.entries(files)) {
      if (content === null) {
        del.push(path);
        continue;
      }
      const abs = join(work, path);
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, content);
      add.push(path);
    }
    // Large file sets are added in batches to stay below argv limits.
    for (let i = 0; i < add.length; i += 500) await g(['add', '-f', '--', ...add.slice(i, i + 500)]);
    if (del.length) await g(['rm', '-q', '--cached', '--ignore-unmatch', '--', ...del]);
    const tree = await g(['write-tree']);
    const commit = await g(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message]);
    await g(['update-ref', `refs/heads/${branch}`, commit]);
    return commit;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP(S)

export type HttpAuthMode =
  | { type: 'anonymous' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string };

export interface HttpServerOptions {
  /** Directory holding bare repositories; url(name) maps to `<root>/<name>`. */
  root: string;
  auth?: HttpAuthMode;
  /** Serve HTTPS with a certificate from a fresh CA (returned as caCert). */
  tls?: boolean;
  /** With tls: also require a client certificate signed by the same CA (returned as clientCert/Key). */
  requireClientCert?: boolean;
}

export interface GitTestServer {
  /** The URL of repository `name` (a directory under root, e.g. 'repo.git'). */
  url(name: string): string;
  stop(): Promise<void>;
  port: number;
}

export interface GitHttpServer extends GitTestServer {
  /** PEM of the CA that signed the server (and client) certificate, with tls. */
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  /** Requests served so far (e.g. to prove that no pack was fetched). */
  requests: Array<{ method: string; path: string; status: number; kind: GitRequestKind; bytes: number }>;
}

export async function startGitHttpServer(opts: HttpServerOptions): Promise<GitHttpServer> {
  const auth = opts.auth ?? { type: 'anonymous' };
  const requests: GitHttpServer['requests'] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    let kind: GitRequestKind = 'other';
    let entry: GitHttpServer['requests'][number] | undefined;
    const record = (status: number) => {
      entry = { method: req.method ?? '', path: u.pathname, status, kind, bytes: 0 };
      requests.push(entry);
    };
    if (!authorized(auth, req.headers.authorization)) {
      const scheme = auth.type === 'bearer' ? 'Bearer realm="git"' : 'Basic realm="git"';
      res.writeHead(401, { 'WWW-Authenticate': scheme, 'Content-Type': 'text/plain' });
      res.end('unauthorized\n');
      record(401);
      return;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: opts.root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      PATH_INFO: decodeURIComponent(u.pathname),
      QUERY_STRING: u.search.replace(/^\?/, ''),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
      REMOTE_USER: auth.type === 'basic' ? auth.username : '',
    };
    if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
    if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    cgi.stdin.on('error', () => undefined);
    // The body is buffered (test-sized) so the log can tell ref listings from pack fetches.
    const body: Buffer[] = [];
    req.on('data', (c: Buffer) => body.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(body);
      kind = requestKind(req.method ?? 'GET', u, raw, String(req.headers['content-encoding'] ?? ''));
      cgi.stdin.end(raw);
    });
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        if (entry) entry.bytes += chunk.length;
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      const endLf = head.indexOf('\n\n');
      const [idx, sepLen] = end >= 0 ? [end, 4] : endLf >= 0 ? [endLf, 2] : [-1, 0];
      if (idx < 0) return;
      headersDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, idx).toString('latin1').split(/\r?\n/)) {
        const m = /^([^:]+):\s*(.*)$/.exec(line);
        if (!m) continue;
        if (m[1]!.toLowerCase() === 'status') status = Number.parseInt(m[2]!, 10);
        else headers[m[1]!] = m[2]!;
      }
      res.writeHead(status, headers);
      record(status);
      const body = head.subarray(idx + sepLen);
      if (entry) entry.bytes += body.length;
      res.write(body);
    });
    cgi.on('close', () => {
      if (!headersDone) {
        res.writeHead(500);
        record(500);
      }
      res.end();
    });
  };

  let server: http.Server | https.Server;
  let tlsMaterial: TlsMaterial | undefined;
  if (opts.tls) {
    tlsMaterial = await makeTlsMaterial();
    server = https.createServer(
      {
        key: tlsMaterial.serverKey,
        cert: tlsMaterial.serverCert,
        ca: tlsMaterial.caCert,
        requestCert: Boolean(opts.requireClientCert),
        rejectUnauthorized: Boolean(opts.requireClientCert),
      },
      handler,
    );
  } else {
    server = http.createServer(handler);
  }
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const scheme = opts.tls ? 'https' : 'http';
  const result: GitHttpServer = {
    port,
    requests,
    url: (name) => `${scheme}://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  if (tlsMaterial) {
    result.caCert = tlsMaterial.caCert;
    if (opts.requireClientCert) {
      result.clientCert = tlsMaterial.clientCert;
      result.clientKey = tlsMaterial.clientKey;
    }
  }
  return result;
}

/** advertise = GET info/refs; ls-refs = protocol v2 ref listing; fetch = a pack request. */
export type GitRequestKind = 'advertise' | 'ls-refs' | 'fetch' | 'other';

function requestKind(method: string, u: URL, body: Buffer, encoding: string): GitRequestKind {
  if (method === 'GET' && u.pathname.endsWith('/info/refs')) return 'advertise';
  let text = body;
  if (/gzip/i.test(encoding)) {
    try {
      text = gunzipSync(body);
    } catch {
      return 'other';
    }
  }
  const s = text.toString('latin1');
  if (s.includes('command=ls-refs')) return 'ls-refs';
  if (s.includes('command=fetch') || /^[0-9a-f]{4}want /m.test(s)) return 'fetch';
  return 'other';
}

function authorized(auth: HttpAuthMode, header: string | undefined): boolean {
  if (auth.type === 'anonymous') return true;
  if (!header) return false;
  if (auth.type === 'bearer') return header === `Bearer ${auth.token}`;
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m) return false;
  return Buffer.from(m[1]!, 'base64').toString('utf8') === `${auth.username}:${auth.password}`;
}

interface TlsMaterial {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function makeTlsMaterial(): Promise<TlsMaterial> {
  const dir = tempDir('mooring-tls-');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ossl = (args: string[]) => execFileP('openssl', args, { cwd: dir });
  try {
    await ossl([
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=mooring-test-ca',
    ]);
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      await ossl([
        'req',
        ...ec,
        '-keyout',
        `${who}.key`,
        '-out',
        `${who}.csr`,
        '-subj',
        `/CN=mooring-test-${who}`,
      ]);
      await ossl([
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${who}.crt`,
        '-days',
        '2',
        '-extfile',
        `${who}.ext`,
      ]);
    }
    const { readFileSync } = await import('node:fs');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return {
      caCert: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// SSH

export interface SshServerOptions {
  /** Directory holding bare repositories; url(name) is ssh://<user>@127.0.0.1:<port><root>/<name>. */
  root: string;
  /** More sshd_config lines (tests of fixture failure use an invalid one). */
  extraConfig?: string[];
}

export interface SshGitServer extends GitTestServer {
  /** OpenSSH private key (unencrypted) accepted by the server. */
  clientKey: string;
  /** The same key encrypted with `clientKeyPassphrase`, also accepted. */
  encryptedClientKey: string;
  clientKeyPassphrase: string;
  /** A key the server does not accept. */
  wrongKey: string;
  /** `known_hosts` content pinning the server's host key for [127.0.0.1]:port. */
  knownHosts: string;
  /** The same, with a hashed host name (`|1|salt|hash`). */
  knownHostsHashed: string;
  /** A known_hosts line for [127.0.0.1]:port with a different key (mismatch). */
  wrongKnownHosts: string;
  user: string;
  pid: number;
}

function sshdPath(): string {
  for (const p of ['/usr/sbin/sshd', '/usr/bin/sshd']) if (existsSync(p)) return p;
  throw new Error('sshd not found: install openssh-server (apt-get install -y openssh-server)');
}

export async function startSshGitServer(opts: SshServerOptions): Promise<SshGitServer> {
  const sshd = sshdPath();
  const dir = tempDir('mooring-sshd-');
  const { readFileSync } = await import('node:fs');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  const keygen = (file: string, extra: string[] = []) =>
    execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', file, '-f', join(dir, file), ...extra]);
  await Promise.all([
    keygen('host_key'),
    keygen('client_key'),
    keygen('wrong_key'),
    keygen('other_host_key'),
  ]);
  const passphrase = 'correct horse battery staple';
  writeFileSync(join(dir, 'client_key_enc'), read('client_key'), { mode: 0o600 });
  await execFileP('ssh-keygen', ['-q', '-p', '-P', '', '-N', passphrase, '-f', join(dir, 'client_key_enc')]);
  writeFileSync(join(dir, 'authorized_keys'), read('client_key.pub'));

  const port = await freePort();
  const user = userInfo().username;
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${user}`,
    'StrictModes no',
    'UsePAM no',
    'PrintMotd no',
    'AcceptEnv GIT_PROTOCOL',
    // sshd runs every command through the user's login shell; bash run by sshd sources ~/.bashrc
    // unless it is a nested shell. A Git host's shell (git-shell) reads no startup files, and a
    // developer's ~/.bashrc (e.g. `pyenv init`, ~3 s) would otherwise be paid on every connection.
    'SetEnv SHLVL=1',
    'PermitUserRC no',
    'LogLevel INFO',
    ...(opts.extraConfig ?? []),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), config);
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const child: ChildProcess = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sshd did not start within 10 s: ${log}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}: ${log.trim()}`));
    });
  });
  try {
    await started;
  } catch (err) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  child.removeAllListeners('exit');

  const hostPub = read('host_key.pub').trim().split(/\s+/).slice(0, 2).join(' ');
  const otherPub = read('other_host_key.pub').trim().split(/\s+/).slice(0, 2).join(' ');
  const hostName = `[127.0.0.1]:${port}`;
  writeFileSync(join(dir, 'known_hosts_hashed'), `${hostName} ${hostPub}\n`);
  await execFileP('ssh-keygen', ['-q', '-H', '-f', join(dir, 'known_hosts_hashed')]);
  const pid = child.pid ?? 0;
  return {
    port,
    pid,
    user,
    clientKey: read('client_key'),
    encryptedClientKey: read('client_key_enc'),
    clientKeyPassphrase: passphrase,
    wrongKey: read('wrong_key'),
    knownHosts: `${hostName} ${hostPub}\n`,
    knownHostsHashed: read('known_hosts_hashed'),
    wrongKnownHosts: `${hostName} ${otherPub}\n`,
    url: (name) => `ssh://${user}@127.0.0.1:${port}${join(opts.root, name)}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        process.kill(pid, 'SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Misbehaving endpoints

/** A TCP server that accepts connections and never sends a byte (for timeout tests). */
export async function startStallServer(): Promise<GitTestServer> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP proxy

export interface TestProxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  url: string;
  port: number;
  /** `host:port` of every tunnel opened with CONNECT (https:// remotes, and http:// through an agent). */
  connects: string[];
  /** Absolute URLs of forwarded plain-HTTP requests (curl's forward-proxy form for http:// remotes). */
  forwarded: string[];
  /** Requests refused with 407 (missing or wrong Proxy-Authorization). */
  refused: number;
  stop(): Promise<void>;
}

/**
 * A small HTTP proxy on 127.0.0.1: CONNECT tunnels and forward-proxy requests, optionally
 * requiring basic `Proxy-Authorization`. It records what went through it.
 */
export async function startProxy(auth?: { username: string; password: string }): Promise<TestProxy> {
  const expected = auth
    ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
    : undefined;
  const connects: string[] = [];
  const forwarded: string[] = [];
  const sockets = new Set<Socket>();
  const state = { refused: 0 };
  const allowed = (header: string | undefined) => !expected || header === expected;
  const server = http.createServer((req, res) => {
    if (!allowed(req.headers['proxy-authorization'])) {
      state.refused++;
      res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="proxy"' });
      res.end();
      return;
    }
    forwarded.push(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    const upstream = http.request(req.url ?? '', { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!allowed(req.headers['proxy-authorization'])) {
      state.refused++;
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="proxy"\r\n\r\n',
      );
      return;
    }
    const target = req.url ?? '';
    connects.push(target);
    const i = target.lastIndexOf(':');
    const upstream = tcpConnect(
      Number(target.slice(i + 1)),
      target.slice(0, i).replace(/^\[|\]$/g, ''),
      () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      },
    );
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    connects,
    forwarded,
    get refused() {
      return state.refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
