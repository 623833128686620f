// Apply-engine benchmark on a real control plane of its own: 1,000 objects (ConfigMaps, Services,
// Deployments with replicas 0, ServiceAccounts) in 10 namespaces. Prints wall time and API
// requests by verb for the first apply, unchanged re-applies (with and without the steady-state
// cache) and a one-object change. Run: npx tsc -p tsconfig.json && node .build/bench/apply/apply.bench.js
import { performance } from 'node:perf_hooks';
import { ApplyCache } from '../../src/apply/cache.js';
import { ownerLabelsFor, ResourceManager } from '../../src/apply/manager.js';
import { KubeClient } from '../../src/kube/client.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { KubeConfig } from '../../src/kube/kubeconfig.js';
import { RequestStats, type Verb } from '../../src/kube/requeststats.js';
import { startCluster, stopCluster } from '../../test/cluster/cluster.js';

const NAMESPACES = 10;
const PER_KIND = 25; // per namespace and kind: 4 kinds × 25 × 10 namespaces = 1,000 objects
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);

function objects(version: (ns: number, i: number) => string): Manifest[] {
  const out: Manifest[] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const namespace = `bench-${n}`;
    for (let i = 0; i < PER_KIND; i++) {
      const name = `app-${i}`;
      out.push(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace },
          data: { version: version(n, i), 'app.properties': `name=${name}\nlevel=info\n` },
        },
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name, namespace },
          spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
        },
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, namespace, labels: { app: name } },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: name } },
            template: {
              metadata: { labels: { app: name } },
              spec: {
                containers: [
                  {
                    name: 'app',
                    image: 'nginx:1.25',
                    ports: [{ containerPort: 8080 }],
                    resources: { requests: { cpu: '10m', memory: '16Mi' } },
                  },
                ],
              },
            },
          },
        },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } },
      );
    }
  }
  return out;
}

interface Row {
  scenario: string;
  runs: number;
  ms: number;
  verbs: Partial<Record<Verb, number>>;
  writes: number;
  summary: string;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  console.error('starting control plane…');
  const cluster = await startCluster();
  const rows: Row[] = [];
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const client = new KubeClient(kc);
    const requests = new RequestStats(client);
    for (let n = 0; n < NAMESPACES; n++)
      await client.post('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: `bench-${n}` },
      });
    const owner = ownerLabelsFor('bench', 'flux-system');
    const manager = new ResourceManager({ client, ownerLabels: owner, concurrency: CONCURRENCY });
    const cache = new ApplyCache();

    const measure = async (
      scenario: string,
      runs: number,
      step: (run: number) => Promise<string>,
    ): Promise<void> => {
      const times: number[] = [];
      let verbs: Partial<Record<Verb, number>> = {};
      let writes = 0;
      let summary = '';
      for (let r = 0; r < runs; r++) {
        requests.reset();
        const t0 = performance.now();
        summary = await step(r);
        times.push(performance.now() - t0);
        // Request counts are per run; they are the same in every run of a scenario (shown: last).
        verbs = requests.byVerb();
        writes = requests.writes;
      }
      rows.push({ scenario, runs, ms: median(times), verbs, writes, summary });
      console.error(`${scenario}: ${Math.round(median(times))} ms ${JSON.stringify(verbs)} ${summary}`);
      if (process.env.BENCH_DEBUG)
        console.error(requests.records.filter((x) => x.verb !== 'list').map((x) => `${x.verb} ${x.path}`));
    };
    const apply = async (set: Manifest[], c?: ApplyCache): Promise<string> => {
      const res = await manager.applyAll(set, c ? { cache: c } : {});
      if (res.error) throw new Error(res.error.message);
      if (process.env.BENCH_DEBUG) console.error(res.changeSet.lines());
      return res.changeSet.summary();
    };

    const base = objects(() => '1');
    await measure('first apply (1,000 new objects)', 1, () => apply(base, cache));
    await measure('re-apply right after (controllers still settling)', 1, () => apply(base, cache));
    // In 1.20 the token controller adds a `secrets` entry to each new ServiceAccount, a few per
    // second: that is a write by someone else, which the cache rightly re-verifies. Let it finish
    // so that the steady-state rows measure the steady state.
    const t0 = performance.now();
    for (;;) {
      let pending = 0;
      for (let n = 0; n < NAMESPACES; n++) {
        const sas = await client.get<{ items: Array<{ secrets?: unknown[] }> }>(
          `/api/v1/namespaces/bench-${n}/serviceaccounts`,
        );
        pending += sas.items.filter((sa) => !sa.secrets?.length).length;
      }
      if (pending === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.error(`service account tokens settled after ${Math.round(performance.now() - t0)} ms`);
    await measure('re-apply after the controllers settled', 1, () => apply(base, cache));
    await measure('unchanged re-apply, steady-state cache', RUNS, () => apply(base, cache));
    await measure(
      'unchanged re-apply, no cache (GET + dry-run per object, like Flux)',
      Math.min(RUNS, 3),
      () => apply(base),
    );
    let current = base;
    await measure('one ConfigMap changed, steady-state cache', RUNS, (run) => {
      current = objects((n, i) => (n === 3 && i === 7 ? `changed-${run}` : '1'));
      return apply(current, cache);
    });
    await measure('one ConfigMap drifted (edited in the cluster), steady-state cache', RUNS, async (run) => {
      requests.reset(); // the edit itself is not the engine's request
      await client.patch(
        '/api/v1/namespaces/bench-5/configmaps/app-11',
        { data: { version: `edited-${run}` } },
        'application/merge-patch+json',
        { query: { fieldManager: 'kubectl-edit' } },
      );
      requests.reset();
      return apply(current, cache);
    });
    client.close();
  } finally {
    await stopCluster(cluster);
  }

  const verbOrder: Verb[] = ['discovery', 'list', 'get', 'dry-run', 'create', 'update', 'patch', 'delete'];
  const header = ['scenario', 'runs', 'wall (median)', ...verbOrder, 'writes', 'result'];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.runs),
    r.ms >= 1000 ? `${(r.ms / 1000).toFixed(2)} s` : `${Math.round(r.ms)} ms`,
    ...verbOrder.map((v) => String(r.verbs[v] ?? 0)),
    String(r.writes),
    r.summary,
  ]);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
  console.log(`\nconcurrency ${CONCURRENCY}, ${RUNS} runs where a median is shown, node ${process.version}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
