// The Git server misbehaves: down (connection refused), slow beyond spec.timeout (accepts and never
// answers), or answering garbage. Each time the GitRepository goes Ready=False with a clear reason,
// the last good artifact stays in status and keeps being served with its digest, the Kustomization
// stays applied at the last good revision and the running objects are untouched; when the server is
// back the new revision flows through.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import type { Condition } from '../../src/api/meta.js';
import { eventually } from '../helpers/cluster.js';
import { freePort, startStallServer } from '../helpers/gitserver.js';
import { configMapYaml, kustomizationEnv, readyOf } from '../kustomization/harness.js';

const env = await kustomizationEnv({ prefix: 'rel-git' });
const GR_API = '/apis/source.toolkit.fluxcd.io/v1';

interface GitRepositoryLive {
  spec: { url: string };
  status?: {
    conditions?: Condition[];
    artifact?: { url: string; digest: string; revision: string };
  };
}

/** A TCP forwarder on a fixed port that can be taken down and brought back (the "Git server"). */
class TcpForwarder {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}
  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }
  async down(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

const gitRepository = async (name: string) =>
  (await env.get(`${GR_API}/namespaces/${env.ns}/gitrepositories/${name}`)) as unknown as
    | GitRepositoryLive
    | undefined;

async function waitSourceFailed(name: string, since: string): Promise<Condition> {
  return eventually(
    `GitRepository ${name} Ready=False`,
    async () => {
      const r = readyOf(await gitRepository(name));
      return r?.status === 'False' && r.lastTransitionTime >= since ? r : undefined;
    },
    100_000,
  );
}

/** The artifact the GitRepository advertises is still downloadable and matches its digest. */
async function assertArtifactServed(name: string, revision: string): Promise<void> {
  const artifact = (await gitRepository(name))?.status?.artifact;
  assert.equal(artifact?.revision, revision, 'the last good artifact stays in status');
  const res = await fetch(artifact!.url);
  assert.equal(res.status, 200, 'the last good artifact is still served');
  const digest = `sha256:${createHash('sha256')
    .update(Buffer.from(await res.arrayBuffer()))
    .digest('hex')}`;
  assert.equal(digest, artifact!.digest);
}

/** One app: a GitRepository at `url`, a Kustomization applied at its first revision. */
async function appAt(name: string, url?: (repoUrl: string) => string) {
  const src = await env.source(name, { 'app/cm.yaml': configMapYaml(`${name}-cm`, { version: '1' }) });
  if (url) {
    const gr = await gitRepository(name);
    await env.kubectl([
      'patch',
      'gitrepository',
      name,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { url: url(gr!.spec.url) } }),
    ]);
  }
  await src.waitArtifact(src.revision);
  await env.applyKustomization(name, {
    sourceRef: { kind: 'GitRepository', name },
    path: './app',
    targetNamespace: env.ns,
  });
  await env.waitApplied(name, src.revision);
  const uid = (await env.configMap(`${name}-cm`))?.metadata.uid;
  return { src, uid };
}

async function assertWorkloadUntouched(name: string, revision: string, uid: string | undefined) {
  const token = await env.requestReconcile('kustomization', name);
  const ks = await env.waitKustomization(
    name,
    'handled the request',
    (k) => k.status?.lastHandledReconcileAt === token,
  );
  assert.equal(readyOf(ks)?.status, 'True', 'the Kustomization stays Ready on the last good revision');
  assert.equal(ks.status?.lastAppliedRevision, revision);
  const cm = await env.configMap(`${name}-cm`);
  assert.equal(cm?.data?.version, '1', 'the running object is untouched');
  assert.equal(cm?.metadata.uid, uid, 'not recreated');
}

test('Git server down: Ready=False, last artifact served, workloads untouched; recovers when back', {
  timeout: 120_000,
}, async (t) => {
  const proxyPort = await freePort();
  const proxy = new TcpForwarder(proxyPort, env.git.port);
  await proxy.up();
  after(() => proxy.down());
  const { src, uid } = await appAt('down', (u) => u.replace(`:${env.git.port}/`, `:${proxyPort}/`));

  await proxy.down();
  const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const next = await src.push({ 'app/cm.yaml': configMapYaml('down-cm', { version: '2' }) });
  const failed = await waitSourceFailed('down', since);
  t.diagnostic(`${failed.reason}: ${failed.message}`);
  assert.match(failed.message, /refused|ECONNREFUSED|unable to access|connect/i);
  await assertArtifactServed('down', src.revision);
  await assertWorkloadUntouched('down', src.revision, uid);

  await proxy.up();
  await env.requestReconcile('gitrepository', 'down');
  await src.waitArtifact(next);
  await env.waitApplied('down', next);
  assert.equal(
    (await env.configMap('down-cm'))?.data?.version,
    '2',
    'the new revision flows once the server is back',
  );
});

test('Git server slower than spec.timeout: Ready=False on time, last artifact kept', {
  timeout: 120_000,
}, async (t) => {
  const stall = await startStallServer();
  after(() => stall.stop());
  const { src, uid } = await appAt('slow');
  await env.kubectl([
    'patch',
    'gitrepository',
    'slow',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { url: stall.url('app.git'), timeout: '3s' } }),
  ]);
  const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const started = Date.now();
  const failed = await waitSourceFailed('slow', since);
  const took = Date.now() - started;
  t.diagnostic(`${failed.reason} after ${took} ms: ${failed.message}`);
  assert.ok(took < 30_000, `gave up after the 3s timeout, not much later (${took} ms)`);
  assert.match(failed.message, /timeout|timed out|deadline/i);
  await assertArtifactServed('slow', src.revision);
  await assertWorkloadUntouched('slow', src.revision, uid);
});

test('Git server answering garbage: Ready=False, last artifact kept', { timeout: 120_000 }, async (t) => {
  const garbage: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/x-git-upload-pack-advertisement' });
    res.end(Buffer.from('zzzz\u0000\u00ff garbage, not pkt-lines \u0001\u0002'));
  });
  await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => garbage.close(() => resolve())));
  const addr = garbage.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;

  const { src, uid } = await appAt('garbage');
  await env.kubectl([
    'patch',
    'gitrepository',
    'garbage',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { url: `http://127.0.0.1:${port}/app.git` } }),
  ]);
  const since = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const failed = await waitSourceFailed('garbage', since);
  t.diagnostic(`${failed.reason}: ${failed.message}`);
  assert.equal(failed.reason, 'GitOperationFailed');
  await assertArtifactServed('garbage', src.revision);
  await assertWorkloadUntouched('garbage', src.revision, uid);
});
