// Memory under churn: N Kustomizations (default 1,000) from 4 GitRepositories, then for
// SOAK_MINUTES (default 30) a commit every 10 s that changes a few random applications, and a
// sync request for a random Kustomization every second. The controller's RSS and V8 heap are
// sampled every 30 s; the verdict compares everything after the first 5 minutes with the value
// at 5 minutes (goal: less than 10 % growth).
//   node .build/bench/soak/soak.bench.js        (BENCH_N=1000 SOAK_MINUTES=30)
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { ContentType, KubeClient } from '../../src/kube/client.js';
import { startCluster, stopCluster } from '../../test/cluster/cluster.js';
import { startController } from '../../test/helpers/controller.js';
import { installCrds, kubectlOk } from '../../test/helpers/crds.js';
import {
  commitFiles,
  freePort,
  makeRepo,
  type Repo,
  startGitHttpServer,
  tempDir,
} from '../../test/helpers/gitserver.js';
import { kubeConfigFor } from '../../test/helpers/kubeconfig.js';
import { app, currentRssKb, deployedNodeFlags, metricValue } from '../scale/fleet.js';

const n = Number(process.env.BENCH_N ?? 1000);
const minutes = Number(process.env.SOAK_MINUTES ?? 30);
const sources = 4;
const ns = 'soak';

interface Reading {
  minute: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  commits: number;
  syncs: number;
}

async function main(): Promise<void> {
  process.env.MOORING_CONTROLLER_NODE_ARGS ??= deployedNodeFlags();
  const state = await startCluster({ log: () => undefined });
  const client = new KubeClient(kubeConfigFor(state));
  const root = tempDir('mooring-soak-');
  const git = await startGitHttpServer({ root });
  try {
    await installCrds(state);
    await kubectlOk(state, ['create', 'namespace', ns]);
    const repos: Repo[] = [];
    for (let s = 0; s < sources; s++) {
      const repo = await makeRepo(join(root, `src-${s}.git`));
      const mine: Record<string, string> = {};
      for (let i = s; i < n; i += sources) Object.assign(mine, app(i));
      await commitFiles(repo, mine, 'apps');
      repos.push(repo);
    }
    const port = await freePort();
    const controller = await startController({
      kubeconfig: state.kubeconfig,
      namespace: ns,
      metricsPort: port,
      args: ['--concurrent', '20', '--log-level', 'error'],
    });
    const pid = controller.process.pid!;
    const docs: string[] = [];
    for (let s = 0; s < sources; s++)
      docs.push(
        `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: src-${s}\nspec:\n  interval: 1h\n  url: ${git.url(`src-${s}.git`)}\n  ref: {branch: main}\n`,
      );
    for (let i = 0; i < n; i++)
      docs.push(
        `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app-${i}\nspec:\n  interval: 1h\n  path: ./apps/app-${i}\n  prune: true\n  targetNamespace: ${ns}\n  sourceRef: {kind: GitRepository, name: src-${i % sources}}\n`,
      );
    await kubectlOk(state, ['-n', ns, 'apply', '--server-side', '-f', '-'], docs.join('---\n'));
    const readyDeadline = Date.now() + 15 * 60_000;
    for (;;) {
      const list = await client.get<{
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      }>(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`);
      if (
        list.items.filter((k) => k.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
          .length === n
      )
        break;
      if (Date.now() > readyDeadline) throw new Error('not all Ready after 15 minutes');
      await delay(1000);
    }
    process.stderr.write(`soak: ${n} Ready; churning for ${minutes} minutes\n`);

    const requestSync = (path: string) =>
      client.patch(
        path,
        { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': String(Date.now()) } } },
        ContentType.mergePatch,
      );
    const random = (k: number) => Math.floor(Math.random() * k);
    let commits = 0;
    let syncs = 0;
    const readings: Reading[] = [];
    const read = async (minute: number) =>
      readings.push({
        minute,
        rssMiB: currentRssKb(pid) / 1024,
        heapUsedMiB: (await metricValue(port, 'nodejs_heap_size_used_bytes')) / 2 ** 20,
        heapTotalMiB: (await metricValue(port, 'nodejs_heap_size_total_bytes')) / 2 ** 20,
        commits,
        syncs,
      });
    await read(0);
    const start = Date.now();
    const end = start + minutes * 60_000;
    let nextCommit = start + 10_000;
    let nextReading = start + 30_000;
    let tag = 0;
    while (Date.now() < end) {
      await requestSync(
        `/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations/app-${random(n)}`,
      );
      syncs++;
      if (Date.now() >= nextCommit) {
        nextCommit += 10_000;
        const s = random(sources);
        const changed: Record<string, string> = {};
        for (let j = 0; j < 5; j++) {
          const i = s + sources * random(Math.ceil((n - s) / sources));
          if (i < n) Object.assign(changed, app(i, `nginx:1.27.${++tag}`));
        }
        await commitFiles(repos[s]!, changed, `churn ${tag}`);
        await requestSync(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories/src-${s}`);
        commits++;
      }
      if (Date.now() >= nextReading) {
        nextReading += 30_000;
        await read((Date.now() - start) / 60_000);
      }
      await delay(1000);
    }
    await read((Date.now() - start) / 60_000);
    await controller.stop();
    report(readings);
  } finally {
    await git.stop();
    client.close();
    await stopCluster(state);
  }
}

function report(readings: Reading[]): void {
  const from = Math.min(5, minutes / 2);
  const settled = readings.filter((r) => r.minute >= from);
  const window = Math.max(1, Math.min(5, (minutes - from) / 2));
  const mean = (rs: Reading[], pick: (r: Reading) => number) =>
    rs.reduce((a, r) => a + pick(r), 0) / rs.length;
  const first = settled.filter((r) => r.minute < from + window);
  const last = settled.filter((r) => r.minute >= minutes - window);
  const trend = (pick: (r: Reading) => number) =>
    (100 * (mean(last, pick) - mean(first, pick))) / mean(first, pick);
  const peak = (pick: (r: Reading) => number) =>
    (100 * (Math.max(...settled.map(pick)) - pick(settled[0]!))) / pick(settled[0]!);
  console.log(
    `\nMooring soak — N=${n}, ${minutes} min, a commit every 10 s (5 apps), a sync request every second`,
  );
  console.log('| minute | RSS MiB | heap used MiB | heap total MiB | commits | sync requests |');
  console.log('|---|---|---|---|---|---|');
  for (const r of readings.filter((_, i) => i % 2 === 0 || i === readings.length - 1))
    console.log(
      `| ${r.minute.toFixed(1)} | ${r.rssMiB.toFixed(0)} | ${r.heapUsedMiB.toFixed(1)} | ${r.heapTotalMiB.toFixed(1)} | ${r.commits} | ${r.syncs} |`,
    );
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`;
  console.log(
    `\nAfter minute ${from} (goal: < 10 % growth) — mean of the last ${window} min vs the ${window} min from minute ${from}: ` +
      `RSS ${pct(trend((r) => r.rssMiB))}, heap used ${pct(trend((r) => r.heapUsedMiB))}, heap total ${pct(trend((r) => r.heapTotalMiB))}; ` +
      `largest reading vs minute ${from}: RSS ${pct(peak((r) => r.rssMiB))}, heap total ${pct(peak((r) => r.heapTotalMiB))}`,
  );
}

main().catch((err: unknown) => {
  console.error(`soak bench failed: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
