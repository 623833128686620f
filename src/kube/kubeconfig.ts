// Kubeconfig files and in-cluster service-account configuration, read as kubectl reads them:
// clusters (server, CA data or file, insecure-skip-tls-verify, tls-server-name), users (token,
// token file, client certificate and key as data or files, basic auth, impersonation, exec
// credential plugins) and contexts. Our own instead of @kubernetes/client-node's KubeConfig,
// which loads the library's whole generated API (~75 MB of resident memory) to read this file.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';

export interface Cluster {
  name: string;
  server: string;
  /** Base64 PEM, as `certificate-authority-data`. */
  caData?: string;
  caFile?: string;
  skipTLSVerify: boolean;
  tlsServerName?: string;
}

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  apiVersion?: string;
}

export interface User {
  name: string;
  token?: string;
  tokenFile?: string;
  /** Base64 PEM. */
  certData?: string;
  certFile?: string;
  /** Base64 PEM. */
  keyData?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  impersonateUser?: string;
  impersonateGroups?: string[];
  exec?: ExecConfig;
  /** Legacy `auth-provider` (gcp, azure, oidc): not supported; named in the error. */
  authProvider?: { name: string };
}

export interface Context {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type Raw = Record<string, unknown>;

export class KubeConfig {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext = '';
  /** Exec credentials by user name, until they expire. */
  private readonly execCache = new Map<
    string,
    { token?: string; cert?: string; key?: string; expires: number }
  >();

  loadFromFile(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(
        `cannot read kubeconfig ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      );
    }
    this.loadFromString(text, dirname(file));
  }

  /** `baseDir` resolves relative file paths (kubectl resolves them against the kubeconfig's directory). */
  loadFromString(text: string, baseDir?: string): void {
    let doc: Raw;
    try {
      doc = (parse(text) ?? {}) as Raw;
    } catch (err) {
      throw new Error(`kubeconfig is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('kubeconfig is not a YAML mapping');
    const path = (p: unknown) =>
      typeof p === 'string' && p ? (baseDir && !isAbsolute(p) ? join(baseDir, p) : p) : undefined;
    this.clusters = list(doc.clusters, 'cluster').map(({ name, body }) => ({
      name,
      server: str(body.server) ?? '',
      ...opt('caData', str(body['certificate-authority-data'])),
      ...opt('caFile', path(body['certificate-authority'])),
      skipTLSVerify: body['insecure-skip-tls-verify'] === true,
      ...opt('tlsServerName', str(body['tls-server-name'])),
    }));
    this.users = list(doc.users, 'user').map(({ name, body }) => userOf(name, body, path));
    this.contexts = list(doc.contexts, 'context').map(({ name, body }) => ({
      name,
      cluster: str(body.cluster) ?? '',
      user: str(body.user) ?? '',
      ...opt('namespace', str(body.namespace)),
    }));
    this.currentContext = str(doc['current-context']) ?? '';
  }

  /** The pod's service account: KUBERNETES_SERVICE_HOST/PORT, its token file (re-read, it rotates) and CA. */
  loadFromCluster(dir = SERVICE_ACCOUNT_DIR): void {
    const host = process.env.KUBERNETES_SERVICE_HOST;
    const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
    if (!host) throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST is not set');
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.clusters = [{ name: 'inCluster', server, caFile: join(dir, 'ca.crt'), skipTLSVerify: false }];
    this.users = [{ name: 'inClusterUser', tokenFile: join(dir, 'token') }];
    const nsFile = join(dir, 'namespace');
    const namespace = existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined;
    this.contexts = [
      {
        name: 'inClusterContext',
        cluster: 'inCluster',
        user: 'inClusterUser',
        ...opt('namespace', namespace),
      },
    ];
    this.currentContext = 'inClusterContext';
  }

  /** `$KUBECONFIG` (the first existing file of the list) or `~/.kube/config`, as kubectl. */
  loadFromDefault(): void {
    const candidates = process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(delimiter).filter(Boolean)
      : [join(homedir(), '.kube', 'config')];
    const file = candidates.find((f) => existsSync(f));
    if (!file) {
      throw new Error(`no kubeconfig found (${candidates.join(', ')}): pass --kubeconfig or set KUBECONFIG`);
    }
    this.loadFromFile(file);
  }

  /** A config of exactly this cluster and user (e.g. the controller's cluster with an impersonated user). */
  loadFromClusterAndUser(cluster: Cluster, user: User): void {
    this.clusters = [cluster];
    this.users = [user];
    this.contexts = [{ name: 'loaded-context', cluster: cluster.name, user: user.name }];
    this.currentContext = 'loaded-context';
  }

  getCurrentContext(): string {
    return this.currentContext;
  }

  setCurrentContext(name: string): void {
    this.currentContext = name;
  }

  getContextObject(name: string): Context | undefined {
    return this.contexts.find((c) => c.name === name);
  }

  getCurrentCluster(): Cluster | undefined {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? this.clusters.find((c) => c.name === ctx.cluster) : undefined;
  }

  getCurrentUser(): User | undefined {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? this.users.find((u) => u.name === ctx.user) : undefined;
  }

  getUsers(): User[] {
    return this.users;
  }

  /** TLS material and auth headers of the current context for a node:https request. */
  async applyToHTTPSOptions(opts: RequestOptions): Promise<void> {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const user = this.getCurrentUser();
    const headers: Record<string, string> = {};
    if (cluster.caData) opts.ca = Buffer.from(cluster.caData, 'base64');
    else if (cluster.caFile) opts.ca = readFileSync(cluster.caFile);
    if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    if (user) {
      if (user.authProvider) {
        throw new Error(
          `kubeconfig user "${user.name}" uses auth-provider "${user.authProvider.name}", which is not supported; use an exec plugin or a token`,
        );
      }
      if (user.certData) opts.cert = Buffer.from(user.certData, 'base64');
      else if (user.certFile) opts.cert = readFileSync(user.certFile);
      if (user.keyData) opts.key = Buffer.from(user.keyData, 'base64');
      else if (user.keyFile) opts.key = readFileSync(user.keyFile);
      let token = user.token;
      if (!token && user.tokenFile) token = readFileSync(user.tokenFile, 'utf8').trim();
      if (!token && user.exec) {
        const cred = await this.execCredential(user);
        token = cred.token;
        if (cred.cert) opts.cert = cred.cert;
        if (cred.key) opts.key = cred.key;
      }
      if (token) headers.Authorization = `Bearer ${token}`;
      else if (user.username !== undefined && user.password !== undefined) {
        headers.Authorization = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`;
      }
      if (user.impersonateUser) headers['Impersonate-User'] = user.impersonateUser;
      // node:http sends an array value as repeated headers, as impersonation of several groups needs.
      const groups = user.impersonateGroups ?? [];
      if (groups.length) (headers as Record<string, string | string[]>)['Impersonate-Group'] = groups;
    }
    opts.headers = { ...(opts.headers as Record<string, string> | undefined), ...headers };
  }

  /** Runs the user's exec credential plugin (client.authentication.k8s.io ExecCredential), cached until it expires. */
  private async execCredential(user: User): Promise<{ token?: string; cert?: string; key?: string }> {
    const cached = this.execCache.get(user.name);
    if (cached && cached.expires > Date.now()) return cached;
    const exec = user.exec!;
    const env = { ...process.env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        exec.command,
        exec.args ?? [],
        { env, timeout: 60_000, maxBuffer: 1024 * 1024 },
        (err, out, errOut) => {
          if (err) {
            const detail = String(errOut || err.message)
              .trim()
              .split('\n')[0];
            reject(new Error(`kubeconfig exec plugin "${exec.command}" failed: ${detail}`));
          } else resolve(out);
        },
      );
    });
    let status: Raw;
    try {
      status = ((JSON.parse(stdout) as Raw).status ?? {}) as Raw;
    } catch {
      throw new Error(`kubeconfig exec plugin "${exec.command}" did not print an ExecCredential`);
    }
    const expiry = str(status.expirationTimestamp);
    const cred = {
      ...opt('token', str(status.token)),
      ...opt('cert', str(status.clientCertificateData)),
      ...opt('key', str(status.clientKeyData)),
      // No expiry: kubectl keeps it for the process; we ask again after 10 minutes.
      expires: expiry ? Date.parse(expiry) - 30_000 : Date.now() + 10 * 60_000,
    };
    this.execCache.set(user.name, cred);
    return cred;
  }
}

function userOf(name: string, body: Raw, path: (p: unknown) => string | undefined): User {
  const exec = body.exec as Raw | undefined;
  const provider = body['auth-provider'] as Raw | undefined;
  const groups = body['as-groups'];
  return {
    name,
    ...opt('token', str(body.token)),
    ...opt('tokenFile', path(body.tokenFile)),
    ...opt('certData', str(body['client-certificate-data'])),
    ...opt('certFile', path(body['client-certificate'])),
    ...opt('keyData', str(body['client-key-data'])),
    ...opt('keyFile', path(body['client-key'])),
    ...opt('username', str(body.username)),
    ...opt('password', str(body.password)),
    ...opt('impersonateUser', str(body.as)),
    ...(Array.isArray(groups) ? { impersonateGroups: groups.map(String) } : {}),
    ...(exec && typeof exec === 'object'
      ? {
          exec: {
            command: str(exec.command) ?? '',
            ...(Array.isArray(exec.args) ? { args: exec.args.map(String) } : {}),
            ...(Array.isArray(exec.env)
              ? { env: (exec.env as Raw[]).map((e) => ({ name: String(e.name), value: String(e.value) })) }
              : {}),
            ...opt('apiVersion', str(exec.apiVersion)),
          },
        }
      : {}),
    ...(provider && typeof provider === 'object'
      ? { authProvider: { name: str(provider.name) ?? '?' } }
      : {}),
  };
}

/** `[{name, <key>: {...}}]` entries of a kubeconfig list. */
function list(value: unknown, key: string): Array<{ name: string; body: Raw }> {
  if (!Array.isArray(value)) return [];
  return value
    .filter((e): e is Raw => typeof e === 'object' && e !== null && typeof (e as Raw).name === 'string')
    .map((e) => ({ name: e.name as string, body: ((e[key] as Raw | undefined) ?? {}) as Raw }));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `{ [key]: value }` when value is defined, else `{}` (exactOptionalPropertyTypes-friendly). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
