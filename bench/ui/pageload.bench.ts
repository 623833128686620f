// `mooring ui` page load with 1,000 Kustomizations: time from navigation to the overview table
// rendered with every row, in Debian chromium, and the time a text filter takes to narrow it.
// The Kustomizations are created only (no controller): the page's cost is the same.
//   node .build/bench/ui/pageload.bench.js   (BENCH_RUNS=7 BENCH_KUSTOMIZATIONS=1000;
//   MOORING_TEST_CLUSTER=DIR reuses a running control plane instead of starting one)
import { KubeClient } from '../../src/kube/client.js';
import { type ClusterState, loadState, startCluster, stopCluster } from '../../test/cluster/cluster.js';
import { installCrds } from '../../test/helpers/crds.js';
import { kubeConfigFor } from '../../test/helpers/kubeconfig.js';
import { startBrowser, startUi } from '../../test/helpers/ui.js';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const count = Number(process.env.BENCH_KUSTOMIZATIONS ?? 1000);
const WAIT = { timeout: 60_000 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function main(): Promise<void> {
  const reuse = process.env.MOORING_TEST_CLUSTER;
  const state: ClusterState = reuse ? loadState(reuse) : await startCluster({ log: () => undefined });
  const client = new KubeClient(kubeConfigFor(state));
  const ns = `bench-ui-${Date.now().toString(36)}`;
  let ui: Awaited<ReturnType<typeof startUi>> | undefined;
  let browser: Awaited<ReturnType<typeof startBrowser>> | undefined;
  try {
    await installCrds(state);
    await client.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    await client.post(`/apis/source.toolkit.fluxcd.io/v1/namespaces/${ns}/gitrepositories`, {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'fleet', namespace: ns },
      spec: { url: 'https://example.invalid/fleet.git', interval: '10m', ref: { branch: 'main' } },
    });
    const names = Array.from({ length: count }, (_, i) => `ks-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(
        names.slice(i, i + 16).map((name, j) =>
          client.post(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations`, {
            apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
            kind: 'Kustomization',
            metadata: { name, namespace: ns },
            spec: {
              interval: '10m',
              path: `./apps/${name}`,
              prune: true,
              sourceRef: { kind: 'GitRepository', name: 'fleet' },
              ...((i + j) % 10 ? { dependsOn: [{ name: names[Math.max(0, i + j - 1)]! }] } : {}),
            },
          }),
        ),
      );
    }
    ui = await startUi(['--kubeconfig', state.kubeconfig, '-n', ns]);
    const snapshot = await fetch(`${ui.url}api/overview`).then((r) => r.text());
    const script = await fetch(`${ui.url}assets/app.js`).then((r) => r.arrayBuffer());
    browser = await startBrowser();
    const load: number[] = [];
    const complete: number[] = [];
    const filter: number[] = [];
    const baseline: number[] = [];
    const marks: Record<string, number[]> = { script: [], snapshot: [], rendered: [] };
    for (let r = 0; r < runs + 1; r++) {
      const page = await browser.context.newPage();
      const t0 = Date.now();
      await page.goto(ui.url, WAIT);
      await page.waitForSelector('table.objects tbody tr', WAIT);
      const loaded = Date.now() - t0;
      await page.waitForSelector(`[data-count="Total"]:text-is("${count + 1}")`, WAIT);
      const all = Date.now() - t0;
      // Where the time went, from the page's own clock (ms since navigation start).
      const m = await page.evaluate<Record<string, number>>(`(() => {
        const at = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
        const js = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/assets/app.js'));
        return { script: js ? js.responseEnd : NaN, snapshot: at('mooring:snapshot-received'), rendered: at('mooring:rendered') };
      })()`);
      const t1 = Date.now();
      await page.fill('input[type="search"]', names[count - 1]!);
      await page.waitForSelector('table.objects tbody tr:only-child', WAIT);
      const filtered = Date.now() - t1;
      // Baseline on the same machine and browser: a small static file from the same server.
      const t2 = Date.now();
      await page.goto(`${ui.url}assets/index.html`, { ...WAIT, waitUntil: 'load' });
      const base = Date.now() - t2;
      await page.close();
      if (r === 0) continue; // the first run starts chromium's renderer: a warm-up
      baseline.push(base);
      for (const k of Object.keys(marks)) marks[k]!.push(Math.round(m[k]!));
      load.push(loaded);
      complete.push(all);
      filter.push(filtered);
    }
    console.log(`mooring ui, ${count} Kustomizations + 1 GitRepository, ${runs} runs (after one warm-up)`);
    console.log(
      `overview snapshot ${(snapshot.length / 1024).toFixed(0)} KiB, app.js ${(script.byteLength / 1024).toFixed(0)} KiB`,
    );
    console.log('measure                                   median    min    max');
    const line = (what: string, xs: number[]) =>
      console.log(
        `${what.padEnd(40)} ${String(median(xs)).padStart(6)} ms ${String(Math.min(...xs)).padStart(5)} ${String(Math.max(...xs)).padStart(6)}`,
      );
    line('navigation → first rows rendered', load);
    line(`navigation → counts of all ${count + 1} shown`, complete);
    line('type a filter → one row left', filter);
    line('  in page: app.js received', marks.script!);
    line('  in page: overview snapshot received', marks.snapshot!);
    line('  in page: first rows rendered', marks.rendered!);
    line('baseline: navigation to a static file', baseline);
    console.log(
      `ratio first render / static-file baseline: ${(median(load) / Math.max(1, median(baseline))).toFixed(1)}x`,
    );
    console.log('(no reference tool: Flux has no UI of its own to compare with)');
  } finally {
    await browser?.stop();
    await ui?.stop();
    await client.delete(`/api/v1/namespaces/${ns}`).catch(() => undefined);
    client.close();
    if (!reuse) await stopCluster(state);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
