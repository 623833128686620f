// The Grafana dashboard of config/monitoring against a running controller: after a GitRepository
// and a Kustomization reconciled, /metrics serves every metric the dashboard queries.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import { freePort, type GitHttpServer, makeRepo, startGitHttpServer, tempDir } from '../helpers/gitserver.js';
import { dashboardMetricNames } from './dashboard.js';

const state = await useCluster();
await installCrds(state);
const ns = await testNamespace(kubeConfigFor(state), 'metrics');
const kubectl = (args: string[], input?: string) => kubectlOk(state, ['-n', ns, ...args], input);

let git: GitHttpServer;
let controller: RunningController;

before(async () => {
  const root = tempDir('mooring-metrics-');
  await makeRepo(join(root, 'app.git'), {
    commits: [
      {
        files: {
          'deploy/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello\ndata:\n  a: "1"\n',
        },
        message: 'app',
      },
    ],
  });
  git = await startGitHttpServer({ root });
  // Leader election on, as deployed (config/manager), so leader_election_master_status is served.
  controller = await startController({
    kubeconfig: state.kubeconfig,
    namespace: ns,
    metricsPort: await freePort(),
    args: ['--enable-leader-election', '--leader-election-namespace', ns],
  });
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
spec:
  interval: 1h
  url: ${git.url('app.git')}
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 1h
  path: ./deploy
  prune: true
  targetNamespace: ${ns}
  sourceRef:
    kind: GitRepository
    name: app
`,
  );
  for (const kind of ['gitrepository', 'kustomization']) {
    await eventually(
      `${kind} Ready`,
      async () =>
        (await kubectl([
          'get',
          kind,
          'app',
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ])) === 'True',
      60_000,
    );
  }
});

after(async () => {
  await controller?.stop();
  await git?.stop();
});

/** Sample lines by name (`name{labels} value` or `name value`), from the text exposition format. */
function samples(body: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of body.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name) continue;
    out.set(name, [...(out.get(name) ?? []), line]);
  }
  return out;
}

// Counters of failures and retries: declared (HELP/TYPE) from the start, but a series appears only
// after the first failure, which healthy reconciles do not produce.
const failureCounters = new Set([
  'controller_runtime_reconcile_errors_total',
  'mooring_informer_errors_total',
  'workqueue_retries_total',
]);

test('every metric the dashboard queries is served after reconciles', async () => {
  const res = await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`);
  assert.equal(res.status, 200);
  const body = await res.text();
  const series = samples(body);
  const names = dashboardMetricNames();
  assert.ok(names.length >= 10, `dashboard metrics: ${names.join(', ')}`);
  const missing: string[] = [];
  for (const name of names) {
    if (failureCounters.has(name)) {
      if (!body.includes(`# TYPE ${name} counter`)) missing.push(`${name} (not declared)`);
      continue;
    }
    if (!series.has(name)) missing.push(name);
  }
  assert.deepEqual(missing, [], `missing from /metrics:\n${body}`);

  // The per-controller and per-object series carry the labels the dashboard groups by.
  const has = (name: string, re: RegExp) =>
    assert.ok(
      series.get(name)?.some((l) => re.test(l)),
      `${name} matching ${re}: ${series.get(name)?.join('\n')}`,
    );
  has('controller_runtime_reconcile_total', /controller="gitrepository",result="requeue_after"/);
  has('controller_runtime_reconcile_total', /controller="kustomization"/);
  has('workqueue_depth', /name="kustomization"/);
  has('gotk_reconcile_duration_seconds_count', /kind="GitRepository",name="app",namespace=/);
  has('gotk_reconcile_duration_seconds_count', /kind="Kustomization",name="app",namespace=/);
});

// What Flux's control-plane dashboard queries (controller-runtime's names and labels).
const fluxControlPlane: Array<[string, RegExp]> = [
  ['workqueue_depth', /name="kustomization"/],
  ['workqueue_adds_total', /name="kustomization"/],
  ['workqueue_queue_duration_seconds_count', /name="kustomization"/],
  ['workqueue_work_duration_seconds_count', /name="kustomization"/],
  ['workqueue_longest_running_processor_seconds', /name="kustomization"/],
  ['workqueue_unfinished_work_seconds', /name="kustomization"/],
  ['controller_runtime_active_workers', /controller="kustomization"/],
  ['controller_runtime_max_concurrent_reconciles', /controller="kustomization"/],
];

test("Flux's control-plane dashboard queries are served; a suspended object's pass is timed too", async () => {
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: paused
spec:
  suspend: true
  interval: 1h
  path: ./deploy
  prune: true
  targetNamespace: ${ns}
  sourceRef:
    kind: GitRepository
    name: app
`,
  );
  const series = await eventually(
    'the suspended Kustomization in gotk_reconcile_duration_seconds',
    async () => {
      const body = await (await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`)).text();
      const all = samples(body);
      const paused = all
        .get('gotk_reconcile_duration_seconds_count')
        ?.some((l) => /kind="Kustomization",name="paused",namespace=/.test(l));
      return paused ? all : undefined;
    },
    30_000,
  );
  for (const [name, re] of fluxControlPlane) {
    assert.ok(
      series.get(name)?.some((l) => re.test(l)),
      `${name} matching ${re}: ${series.get(name)?.join('\n')}`,
    );
  }
});
