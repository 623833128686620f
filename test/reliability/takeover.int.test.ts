// The controller dies: SIGKILL in the middle of applying 200 objects, then a new process takes over;
// and two replicas with leader election, where the leader is SIGKILLed and the follower takes over
// within the lease duration. Afterwards the cluster holds exactly what the inventory says — nothing
// lost, nothing orphaned — and prune still works; each revision is applied by one process only.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { eventually } from '../helpers/cluster.js';
import { leaderElectionArgs, type RunningController, startController } from '../helpers/controller.js';
import { kustomizationEnv, OWNER_NAME_LABEL, readyOf } from '../kustomization/harness.js';

const env = await kustomizationEnv({ prefix: 'rel-kill', controller: false });
const started: RunningController[] = [];
after(() => Promise.all(started.map((c) => c.stop())));

async function controller(args: string[] = []): Promise<RunningController> {
  const c = await startController({ kubeconfig: env.state.kubeconfig, namespace: env.ns, args });
  started.push(c);
  return c;
}

function manyConfigMaps(prefix: string, n: number, version: string): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    docs.push(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${prefix}-${i}\ndata:\n  version: "${version}"\n  payload: "${'x'.repeat(2000)}"\n`,
    );
  }
  return docs.join('---\n');
}

/** A TCP forwarder to the first of `targets` that accepts a connection. */
async function failoverForwarder(): Promise<{ port: number; targets: number[] }> {
  const targets: number[] = [];
  const sockets = new Set<Socket>();
  const connect = (client: Socket, i: number) => {
    if (i >= targets.length) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: targets[i]! });
    upstream.once('error', () => connect(client, i + 1));
    upstream.once('connect', () => {
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  };
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    connect(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const addr = server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, targets };
}

async function ownedConfigMaps(ks: string): Promise<string[]> {
  const list = await env.client.get<{ items: Array<{ metadata: { name: string } }> }>(
    `/api/v1/namespaces/${env.ns}/configmaps?labelSelector=${encodeURIComponent(`${OWNER_NAME_LABEL}=${ks}`)}`,
  );
  return list.items.map((i) => i.metadata.name).sort();
}

function inventoryNames(k: Kustomization): string[] {
  return (k.status?.inventory?.entries ?? []).map((e) => e.id.split('_')[1]!).sort();
}

for (const variant of ['container restart (same storage)', 'pod recreated (storage lost)'] as const) {
  test(`SIGKILL mid-apply of 200 objects, ${variant}: converges, inventory equals cluster, prune works`, {
    timeout: 120_000,
  }, async (t) => {
    const name = variant.startsWith('container') ? 'bulk' : 'bulk-new';
    const first = await controller();
    const src = await env.source(name, { 'app/cms.yaml': manyConfigMaps(name, 200, '1') });
    await env.applyKustomization(name, {
      sourceRef: { kind: 'GitRepository', name },
      path: './app',
      targetNamespace: env.ns,
    });
    // Kill as soon as the first objects land.
    let atKill = 0;
    for (const deadline = Date.now() + 90_000; atKill === 0 && Date.now() < deadline; ) {
      atKill = (await ownedConfigMaps(name)).length;
    }
    assert.ok(atKill > 0, 'the first controller started applying');
    first.process.kill('SIGKILL');
    const ks0 = await env.kustomization(name);
    t.diagnostic(`killed with ${atKill} of 200 ConfigMaps in the cluster; Ready=${readyOf(ks0)?.status}`);

    // The artifact address stays (a Service in a cluster); the storage survives a container
    // restart but not a recreated pod (emptyDir).
    const storage = sameStorage(first);
    const second = await controller(variant.startsWith('container') ? storage : storage.slice(2));
    try {
      await converges(t, name, src, second);
    } finally {
      await second.stop();
    }
  });
}

/** Flags that give a new controller process the storage (directory and address) of `c`. */
function sameStorage(c: RunningController): string[] {
  const args = c.process.spawnargs;
  const value = (flag: string) => args[args.indexOf(flag) + 1]!;
  return [
    '--storage-path',
    value('--storage-path'),
    '--storage-addr',
    value('--storage-addr'),
    '--storage-adv-addr',
    value('--storage-adv-addr'),
  ];
}

async function converges(
  t: { diagnostic(message: string): void },
  name: string,
  src: Awaited<ReturnType<typeof env.source>>,
  second: RunningController,
): Promise<void> {
  const ks = await env.waitApplied(name, src.revision, { timeoutMs: 100_000 }).catch((err: Error) => {
    t.diagnostic(second.logs().slice(-6000));
    throw err;
  });
  const live = await ownedConfigMaps(name);
  assert.equal(live.length, 200, 'all 200 objects exist');
  assert.deepEqual(inventoryNames(ks), live, 'the inventory equals the cluster');

  const next = await src.push({ 'app/cms.yaml': manyConfigMaps(name, 100, '2') });
  const pruned = await env.waitApplied(name, next, { timeoutMs: 100_000 });
  const after100 = await ownedConfigMaps(name);
  assert.equal(after100.length, 100, 'the other 100 were pruned: no orphan');
  assert.deepEqual(inventoryNames(pruned), after100);
  assert.equal((await env.configMap(`${name}-99`))?.data?.version, '2');
}

test('leader election: one replica acts; SIGKILL it and the other takes over within the lease', {
  timeout: 120_000,
}, async (t) => {
  // Both replicas advertise one artifact address, as behind a Service whose readiness only the
  // leader passes: a forwarder that connects to the first replica that accepts.
  const service = await failoverForwarder();
  // Flux's timings scaled down (35 s / 30 s / 5 s by default) so the takeover is not waited for
  // half a minute; the follower still has to wait out a whole lease after the last renewal.
  const LEASE_MS = 8_000;
  const RETRY_MS = 1_000;
  const args = [
    ...leaderElectionArgs(env.ns, { leaseMs: LEASE_MS, renewDeadlineMs: 6_000, retryPeriodMs: RETRY_MS }),
    '--storage-adv-addr',
    `127.0.0.1:${service.port}`,
  ];
  const replicas = await Promise.all([controller(args), controller(args)]);
  service.targets.push(...replicas.map((r) => r.storagePort));
  const lease = await eventually(
    'a lease holder',
    async () => {
      const l = await env.get(
        `/apis/coordination.k8s.io/v1/namespaces/${env.ns}/leases/mooring-leader-election`,
      );
      return (l?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
    },
    60_000,
  );
  const acted = (c: RunningController) => /"controller":"(gitrepository|kustomization)"/.test(c.logs());
  const src = await env.source('le', { 'app/cms.yaml': manyConfigMaps('le', 3, '1') });
  await env.applyKustomization('le', {
    sourceRef: { kind: 'GitRepository', name: 'le' },
    path: './app',
    targetNamespace: env.ns,
  });
  await env.waitApplied('le', src.revision, { timeoutMs: 60_000 });
  const leader = replicas.find((c) => /successfully acquired lease/.test(c.logs()));
  assert.ok(leader, `a replica acquired ${lease}`);
  const follower = replicas.find((c) => c !== leader)!;
  assert.ok(acted(leader), 'the leader reconciled');
  assert.equal(acted(follower), false, 'the follower did nothing');
  const followerLogBefore = follower.logs().length;

  leader.process.kill('SIGKILL');
  const killedAt = Date.now();
  const next = await src.push({ 'app/cms.yaml': manyConfigMaps('le', 3, '2') });
  await env.waitApplied('le', next, { timeoutMs: 100_000 });
  const took = Date.now() - killedAt;
  t.diagnostic(`the follower applied the next revision ${took} ms after the leader died`);
  // The lease + one retry period, with slack for a busy machine.
  assert.ok(took < LEASE_MS + RETRY_MS + 15_000, `took over within the lease duration (${took} ms)`);
  assert.match(follower.logs().slice(followerLogBefore), /successfully acquired lease/);
  assert.equal((await env.configMap('le-0'))?.data?.version, '2');
  const cm = await env.configMap('le-0');
  assert.ok(cm, 'object exists');
  const managed = (
    (await env.get(`/api/v1/namespaces/${env.ns}/configmaps/le-0`)) as unknown as {
      metadata: { managedFields?: Array<{ manager: string; operation: string }> };
    }
  ).metadata.managedFields?.filter((f) => f.operation === 'Apply');
  assert.equal(managed?.length, 1, 'a single field manager applied it (no competing writer)');
});
