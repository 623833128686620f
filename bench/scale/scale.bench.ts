// Flux's MTTP benchmark, on this machine: N Kustomizations, each a ServiceAccount, a Service, a
// Deployment scaled to 0 and an Ingress, from a handful of GitRepositories, reconciled by a real
// `mooring controller` against a real control plane (with the controller-manager).
// Measures: time until all are Ready, controller peak RSS and CPU seconds, the controller's API
// requests by verb, a steady-state pass, and one commit that changes one application.
//   node .build/bench/scale/scale.bench.js            (BENCH_N=100,500,1000 BENCH_SOURCES=4 BENCH_CONCURRENT=20)
import { cpus } from 'node:os';
import { join } from 'node:path';
import { KubeClient } from '../../src/kube/client.js';
import { startCluster, stopCluster } from '../../test/cluster/cluster.js';
import { startController } from '../../test/helpers/controller.js';
import { installCrds, kubectlOk } from '../../test/helpers/crds.js';
import { commitFiles, makeRepo, startGitHttpServer, tempDir } from '../../test/helpers/gitserver.js';
import { kubeConfigFor } from '../../test/helpers/kubeconfig.js';
import {
  app,
  childrenPeakKb,
  deployedNodeFlags,
  eventLoopDelay,
  heapFigures,
  metricsPort,
  metricValue,
  procSample,
} from './fleet.js';

const sizes = (process.env.BENCH_N ?? '100,500,1000').split(',').map(Number);
const sourcesCount = Number(process.env.BENCH_SOURCES ?? 4);
const concurrent = process.env.BENCH_CONCURRENT ?? '20';
// BENCH_BUILD_WORKERS=0 builds on the controller's thread (the state before build processes).
const buildWorkers = process.env.BENCH_BUILD_WORKERS;

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('rest_client_requests_total{')) continue;
    // Failed requests (a 409, a 429, a timeout) count apart: they are not writes that landed.
    const code = /code="([^"]+)"/.exec(line)?.[1] ?? '';
    const verb = `${/verb="([^"]+)"/.exec(line)?.[1] ?? '?'}${code.startsWith('2') ? '' : ` ${code}`}`;
    out.set(verb, (out.get(verb) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** BENCH_HEAP_SNAPSHOT=<dir>: a heap snapshot of the controller at the end (needs --heapsnapshot-signal=SIGUSR2 in MOORING_CONTROLLER_NODE_ARGS). */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const { readdirSync } = await import('node:fs');
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const fresh = readdirSync(dir).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (fresh.length) {
      // Written when the size stops changing.
      const { statSync } = await import('node:fs');
      const size = () => statSync(join(dir, fresh[0]!)).size;
      let last = -1;
      while (size() !== last) {
        last = size();
        await new Promise((r) => setTimeout(r, 1000));
      }
      return;
    }
  }
}

/**
 * Writes the apiserver served, by verb, resource and subresource (every client: the controller,
 * kubectl, the controller-manager). Splits the controller's patches into status and object writes.
 */
async function serverWrites(state: Parameters<typeof kubectlOk>[0]): Promise<Map<string, number>> {
  const text = await kubectlOk(state, ['get', '--raw', '/metrics']);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const label = (k: string) => new RegExp(`[{,]${k}="([^"]*)"`).exec(line)?.[1] ?? '';
    const verb = label('verb');
    if (!['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY'].includes(verb)) continue;
    const sub = label('subresource');
    const key = `${verb} ${label('resource')}${sub ? `/${sub}` : ''}${label('dry_run') ? ' (dry-run)' : ''} ${label('code')}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** BENCH_BREAKDOWN=1: what each phase wrote, as the apiserver counted it. */
const breakdown = process.env.BENCH_BREAKDOWN === '1';

function printBreakdown(phase: string, d: Record<string, number>): void {
  const lines = Object.entries(d)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `  ${v}\t${k}`);
  process.stderr.write(`scale: apiserver writes during ${phase}:\n${lines.join('\n')}\n`);
}

function diff(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of b) if (v - (a.get(k) ?? 0) > 0) out[k] = v - (a.get(k) ?? 0);
  return out;
}

const writes = (r: Record<string, number>) =>
  (r.create ?? 0) + (r.update ?? 0) + (r.patch ?? 0) + (r.delete ?? 0);

const nodeArgs = process.env.MOORING_CONTROLLER_NODE_ARGS ?? deployedNodeFlags();
process.env.MOORING_CONTROLLER_NODE_ARGS = nodeArgs;

async function runSize(n: number): Promise<Record<string, string>> {
  const state = await startCluster({ log: () => undefined });
  const kc = kubeConfigFor(state);
  const client = new KubeClient(kc);
  const root = tempDir('mooring-scale-');
  const git = await startGitHttpServer({ root });
  try {
    await installCrds(state);
    const ns = 'scale';
    await kubectlOk(state, ['create', 'namespace', ns]);
    const files: Record<string, string> = {};
    for (let i = 0; i < n; i++) Object.assign(files, app(i));
    const repos = [];
    for (let s = 0; s < sourcesCount; s++) {
      const repo = await makeRepo(join(root, `src-${s}.git`));
      const mine: Record<string, string> = {};
      for (let i = s; i < n; i += sourcesCount) Object.assign(mine, app(i));
      await commitFiles(repo, mine, 'apps');
      repos.push(repo);
    }
    const controller = await startController({
      kubeconfig: state.kubeconfig,
      namespace: ns,
      args: [
        '--concurrent',
        concurrent,
        '--log-level',
        process.env.BENCH_LOG_LEVEL ?? 'info',
        ...(buildWorkers !== undefined ? ['--build-workers', buildWorkers] : []),
      ],
    });
    const port = await metricsPort(controller.logs);
    const pid = controller.process.pid!;

    const docs: string[] = [];
    for (let s = 0; s < sourcesCount; s++) {
      docs.push(
        `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: src-${s}\nspec:\n  interval: 1h\n  url: ${git.url(`src-${s}.git`)}\n  ref: {branch: main}\n`,
      );
    }
    for (let i = 0; i < n; i++) {
      docs.push(
        `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app-${i}\nspec:\n  interval: 1h\n  path: ./apps/app-${i}\n  prune: true\n  targetNamespace: ${ns}\n  sourceRef: {kind: GitRepository, name: src-${i % sourcesCount}}\n`,
      );
    }
    // Listing every Kustomization is itself load on the apiserver the controller shares: at
    // N=10,000 a list every 250 ms would be a good part of its work. Poll less often as N grows.
    const listPollMs = Math.max(250, n / 5);
    const before = await scrape(port);
    const server0 = breakdown ? await serverWrites(state) : new Map<string, number>();
    const cpu0 = procSample(pid).cpuS;
    const started = Date.now();
    await kubectlOk(state, ['-n', ns, 'apply', '--server-side', '-f', '-'], docs.join('---\n'));
    const readyCount = async () => {
      const list = await client.get<{
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      }>(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`);
      return list.items.filter((k) =>
        k.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    };
    let buildersKb = 0;
    for (;;) {
      buildersKb = Math.max(buildersKb, childrenPeakKb(pid));
      if ((await readyCount()) === n) break;
      if (Date.now() - started > 15 * 60_000) throw new Error('not all Ready after 15 minutes');
      await new Promise((r) => setTimeout(r, listPollMs));
    }
    const allReady = (Date.now() - started) / 1000;
    const lagFirst = await eventLoopDelay(port);
    const afterFirst = await scrape(port);
    const server1 = breakdown ? await serverWrites(state) : new Map<string, number>();
    if (breakdown) printBreakdown('the first sync', diff(server0, server1));
    const firstSample = procSample(pid);
    const cpuFirst = firstSample.cpuS - cpu0;

    // Steady state: request a sync of every Kustomization (nothing changed in Git or the cluster).
    const token = `steady-${Date.now()}`;
    const steady0 = await scrape(port);
    const steadyStart = Date.now();
    await kubectlOk(state, [
      '-n',
      ns,
      'annotate',
      '--overwrite',
      'kustomizations',
      '--all',
      `reconcile.fluxcd.io/requestedAt=${token}`,
    ]);
    for (;;) {
      const list = await client.get<{ items: { status?: { lastHandledReconcileAt?: string } }[] }>(
        `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`,
      );
      if (list.items.every((k) => k.status?.lastHandledReconcileAt === token)) break;
      if (Date.now() - steadyStart > 10 * 60_000)
        throw new Error('steady-state pass not done after 10 minutes');
      await new Promise((r) => setTimeout(r, listPollMs));
    }
    const steadyS = (Date.now() - steadyStart) / 1000;
    const steadyPeakKb = procSample(pid).rssKb;
    const lagSteady = await eventLoopDelay(port);
    const steadyReq = diff(steady0, await scrape(port));
    const server2 = breakdown ? await serverWrites(state) : new Map<string, number>();
    if (breakdown) printBreakdown('the steady pass', diff(server1, server2));
    const statusWrites = steadyReq.patch ?? 0; // lastHandledReconcileAt must be recorded: one status patch each

    // One commit that changes one application.
    const target = Math.floor(n / 2) + 1;
    const s = target % sourcesCount;
    await commitFiles(repos[s]!, app(target, 'nginx:1.27.1'), `bump app-${target}`);
    const bumpStart = Date.now();
    await kubectlOk(state, [
      '-n',
      ns,
      'annotate',
      '--overwrite',
      'gitrepository',
      `src-${s}`,
      `reconcile.fluxcd.io/requestedAt=${Date.now()}`,
    ]);
    let revisionAt = 0;
    for (;;) {
      if (!revisionAt) {
        const repo = await client.get<{ status?: { artifact?: { revision?: string } } }>(
          `/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories/src-${s}`,
        );
        if (repo.status?.artifact?.revision?.endsWith(await repos[s]!.rev('main'))) revisionAt = Date.now();
      }
      const dep = await client.get<{ spec: { template: { spec: { containers: { image: string }[] } } } }>(
        `/apis/apps/v1/namespaces/${ns}/deployments/app-${target}`,
      );
      if (dep.spec.template.spec.containers[0]!.image === 'nginx:1.27.1') break;
      if (Date.now() - bumpStart > 120_000) throw new Error('bump not applied in 2 minutes');
      await new Promise((r) => setTimeout(r, 20));
    }
    const bumpS = (Date.now() - (revisionAt || bumpStart)) / 1000;
    if (breakdown) printBreakdown('one app changed', diff(server2, await serverWrites(state)));
    const final = procSample(pid);
    const heap = await heapFigures(port);
    // Informer caches, inventories and apply caches per Kustomization: the used heap at the end
    // divided by N (an upper bound: the process's own baseline is included).
    const heapPerK = (await metricValue(port, 'nodejs_heap_size_used_bytes')) / n / 1024;
    if (process.env.BENCH_HEAP_SNAPSHOT) await heapSnapshot(pid, process.env.BENCH_HEAP_SNAPSHOT);
    await controller.stop();
    if (process.env.BENCH_LOGS)
      (await import('node:fs')).writeFileSync(process.env.BENCH_LOGS, controller.logs());
    const first = diff(before, afterFirst);
    return {
      n: String(n),
      ready: `${allReady.toFixed(1)} s`,
      rate: `${(n / allReady).toFixed(1)}/s`,
      // Peak so far, after each phase: first sync / steady pass / one app changed.
      rss: `${[firstSample.rssKb, steadyPeakKb, final.rssKb].map((kb) => (kb / 1024).toFixed(0)).join(' / ')} MiB (heap ${heap}, ${heapPerK.toFixed(1)} KiB per Kustomization)`,
      cpu: `${cpuFirst.toFixed(1)} s`,
      lag: `${lagFirst} (steady ${lagSteady})`,
      builders: `${(buildersKb / 1024).toFixed(0)} MiB`,
      requests: Object.entries(first)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      steady: `${steadyS.toFixed(1)} s, ${writes(steadyReq) - statusWrites} object writes (+${statusWrites} status)`,
      bump: `${bumpS.toFixed(2)} s`,
    };
  } finally {
    await git.stop();
    client.close();
    await stopCluster(state);
  }
}

async function main(): Promise<void> {
  const rows: Record<string, string>[] = [];
  for (const n of sizes) {
    process.stderr.write(`scale: N=${n}…\n`);
    rows.push(await runSize(n));
  }
  console.log(
    `\nMooring scale benchmark — ${cpus().length} cores (${cpus()[0]?.model}), apiserver on the same machine, --concurrent ${concurrent}, ${sourcesCount} GitRepositories, --build-workers ${buildWorkers ?? 'default'}, node flags: ${nodeArgs || 'none'}`,
  );
  console.log(
    '| N | all Ready | rate | controller peak RSS (after first sync / steady / bump) | build processes peak RSS | CPU, controller + build processes (first sync) | event-loop delay p99 / max (first sync) | API requests (first sync) | steady-state pass | one app changed (from new revision) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.n} | ${r.ready} | ${r.rate} | ${r.rss} | ${r.builders} | ${r.cpu} | ${r.lag} | ${r.requests} | ${r.steady} | ${r.bump} |`,
    );
  console.log(
    '| Flux (flux-benchmark, 16 cores, concurrency 20) N=1000 | 4 m 13 s | ~4/s | 223 MiB | | | | | | |',
  );
}

main().catch((err: unknown) => {
  console.error(`scale bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
