// A real control plane on loopback: etcd + kube-apiserver + kube-controller-manager v1.20.2,
// built from Debian's source package by build.sh. Processes are started detached with pid files
// so that any process holding the state file (a test, `make cluster-down`) can stop or restart them.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Component = 'etcd' | 'apiserver' | 'controller-manager';

export interface ClusterState {
  dir: string;
  server: string;
  token: string;
  caFile: string;
  kubeconfig: string;
  ports: { etcdClient: number; etcdPeer: number; apiserver: number };
  commands: Record<Component, string[]>;
}

const here = fileURLToPath(new URL('.', import.meta.url));
/** The build script lives in the source tree; compiled code runs from .build/test/cluster. */
const buildScript = existsSync(join(here, 'build.sh'))
  ? join(here, 'build.sh')
  : resolve(here, '../../../test/cluster/build.sh');

export function ensureBinaries(): string {
  const out = execFileSync('bash', [buildScript], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  const lines = out.trim().split('\n');
  return lines[lines.length - 1]!;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makePki(dir: string): void {
  openssl(dir, ['genrsa', '-out', 'ca.key', '2048']);
  openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-key',
    'ca.key',
    '-subj',
    '/CN=mooring-test-ca',
    '-days',
    '3650',
    '-out',
    'ca.crt',
  ]);
  openssl(dir, ['genrsa', '-out', 'server.key', '2048']);
  openssl(dir, ['req', '-new', '-key', 'server.key', '-subj', '/CN=kube-apiserver', '-out', 'server.csr']);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' +
      'extendedKeyUsage=serverAuth\n',
  );
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '3650',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  ]);
  openssl(dir, ['genrsa', '-out', 'sa.key', '2048']);
  openssl(dir, ['rsa', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
}

function kubeconfigYaml(server: string, caFile: string, user: string, token: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: mooring-test
  cluster:
    server: ${server}
    certificate-authority: ${caFile}
users:
- name: ${user}
  user:
    token: ${token}
contexts:
- name: mooring-test
  context:
    cluster: mooring-test
    user: ${user}
current-context: mooring-test
`;
}

function pidFile(state: ClusterState, c: Component): string {
  return join(state.dir, `${c}.pid`);
}

function readPid(state: ClusterState, c: Component): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(pidFile(state, c), 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function startComponent(state: ClusterState, c: Component): number {
  const [cmd, ...args] = state.commands[c];
  const log = openSync(join(state.dir, `${c}.log`), 'a');
  const child = spawn(cmd!, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${c}`);
  writeFileSync(pidFile(state, c), String(child.pid));
  return child.pid;
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * SIGTERM, then SIGKILL after `graceMs`. kube-apiserver v1.20 holds open watches through its
 * graceful shutdown for a long time, so the grace is short: tests want a restart, not a drain.
 */
export async function stopComponent(state: ClusterState, c: Component, graceMs = 5_000): Promise<void> {
  const pid = readPid(state, c);
  if (!pid || !isAlive(pid)) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // exited in the meantime
    }
  };
  signal('SIGTERM');
  try {
    await waitFor(`${c} (pid ${pid}) to exit`, graceMs, async () => !isAlive(pid));
  } catch {
    signal('SIGKILL');
    await waitFor(`${c} (pid ${pid}) to die`, 5_000, async () => !isAlive(pid));
  }
}

/** GET against the apiserver with curl, which trusts our CA without touching Node's TLS settings. */
function apiserverGet(state: ClusterState, path: string): { status: number; body: string } {
  try {
    const out = execFileSync(
      'curl',
      [
        '-sS',
        '--max-time',
        '3',
        '--cacert',
        state.caFile,
        '-H',
        `Authorization: Bearer ${state.token}`,
        '-w',
        '\n%{http_code}',
        `${state.server}${path}`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ).toString();
    const idx = out.lastIndexOf('\n');
    return { status: Number(out.slice(idx + 1)), body: out.slice(0, idx) };
  } catch {
    return { status: 0, body: '' };
  }
}

export async function waitApiserverReady(state: ClusterState, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    'kube-apiserver /readyz',
    timeoutMs,
    async () => apiserverGet(state, '/readyz').status === 200,
  );
}

async function waitEtcdHealthy(state: ClusterState): Promise<void> {
  await waitFor('etcd /health', 30_000, async () => {
    const res = await fetch(`http://127.0.0.1:${state.ports.etcdClient}/health`);
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  });
}

export async function restartApiserver(state: ClusterState): Promise<void> {
  await stopComponent(state, 'apiserver');
  startComponent(state, 'apiserver');
  await waitApiserverReady(state);
}

export interface StartOptions {
  /** Directory for PKI, data, logs and pid files; a temp dir when absent. */
  dir?: string;
  controllerManager?: boolean;
  log?: (line: string) => void;
}

export async function startCluster(opts: StartOptions = {}): Promise<ClusterState> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[cluster] ${l}\n`));
  const binDir = ensureBinaries();
  const dir = resolve(
    opts.dir ?? join(process.env.TMPDIR ?? '/tmp', `mooring-cluster-${randomBytes(4).toString('hex')}`),
  );
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  makePki(dir);

  const ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
  const token = randomBytes(24).toString('hex');
  const cmToken = randomBytes(24).toString('hex');
  writeFileSync(
    join(dir, 'tokens.csv'),
    `${token},admin,admin,"system:masters"\n${cmToken},system:kube-controller-manager,kcm,"system:masters"\n`,
  );
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const caFile = join(dir, 'ca.crt');
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(server, caFile, 'admin', token), { mode: 0o600 });
  writeFileSync(join(dir, 'kcm.kubeconfig'), kubeconfigYaml(server, caFile, 'kcm', cmToken), { mode: 0o600 });

  const issuer = 'https://kubernetes.default.svc.cluster.local';
  const commands: Record<Component, string[]> = {
    etcd: [
      'etcd',
      '--name',
      'default',
      '--data-dir',
      join(dir, 'etcd'),
      '--listen-client-urls',
      `http://127.0.0.1:${ports.etcdClient}`,
      '--advertise-client-urls',
      `http://127.0.0.1:${ports.etcdClient}`,
      '--listen-peer-urls',
      `http://127.0.0.1:${ports.etcdPeer}`,
      '--initial-advertise-peer-urls',
      `http://127.0.0.1:${ports.etcdPeer}`,
      '--initial-cluster',
      `default=http://127.0.0.1:${ports.etcdPeer}`,
      '--quota-backend-bytes',
      String(2 * 1024 * 1024 * 1024),
      '--log-level',
      'warn',
    ],
    apiserver: [
      join(binDir, 'kube-apiserver'),
      '--etcd-servers',
      `http://127.0.0.1:${ports.etcdClient}`,
      '--bind-address',
      '127.0.0.1',
      '--advertise-address',
      '127.0.0.1',
      '--secure-port',
      String(ports.apiserver),
      '--insecure-port',
      '0',
      '--tls-cert-file',
      join(dir, 'server.crt'),
      '--tls-private-key-file',
      join(dir, 'server.key'),
      '--client-ca-file',
      caFile,
      '--token-auth-file',
      join(dir, 'tokens.csv'),
      '--authorization-mode',
      'RBAC',
      '--service-account-key-file',
      join(dir, 'sa.pub'),
      '--service-account-signing-key-file',
      join(dir, 'sa.key'),
      '--service-account-issuer',
      issuer,
      '--api-audiences',
      issuer,
      '--service-cluster-ip-range',
      '10.0.0.0/16',
      '--endpoint-reconciler-type',
      'none',
      '--disable-admission-plugins',
      'ServiceAccount',
      '--allow-privileged=true',
      '--profiling=false',
      '--cert-dir',
      join(dir, 'certs'),
    ],
    'controller-manager': [
      join(binDir, 'kube-controller-manager'),
      '--kubeconfig',
      join(dir, 'kcm.kubeconfig'),
      '--bind-address',
      '127.0.0.1',
      '--secure-port',
      '0',
      '--port',
      '0',
      '--leader-elect=false',
      '--use-service-account-credentials=false',
      '--service-account-private-key-file',
      join(dir, 'sa.key'),
      '--root-ca-file',
      caFile,
      '--controllers',
      '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service,-attachdetach,' +
        '-persistentvolume-binder,-persistentvolume-expander,-pvc-protection,-pv-protection,' +
        '-csrsigning,-csrapproving,-csrcleaner,-tokencleaner,-bootstrapsigner,-ttl',
    ],
  };
  const state: ClusterState = { dir, server, token, caFile, kubeconfig, ports, commands };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));

  try {
    startComponent(state, 'etcd');
    await waitEtcdHealthy(state);
    startComponent(state, 'apiserver');
    await waitApiserverReady(state);
    if (opts.controllerManager !== false) startComponent(state, 'controller-manager');
  } catch (err) {
    const tail = existsSync(join(dir, 'apiserver.log'))
      ? readFileSync(join(dir, 'apiserver.log'), 'utf8').split('\n').slice(-20).join('\n')
      : '';
    await stopCluster(state);
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
  log(
    `control plane up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${server} (kubeconfig ${kubeconfig})`,
  );
  return state;
}

export function loadState(dir: string): ClusterState {
  return JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as ClusterState;
}

export async function stopCluster(state: ClusterState, opts: { keepDir?: boolean } = {}): Promise<void> {
  await stopComponent(state, 'controller-manager', 2_000);
  await stopComponent(state, 'apiserver', 2_000);
  await stopComponent(state, 'etcd', 5_000);
  if (!opts.keepDir) rmSync(state.dir, { recursive: true, force: true });
}
