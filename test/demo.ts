// `make demo`: the classic GitOps flow on one machine. A local control plane, a local Git server
// holding samples/, the CRDs, the controller, and the sample GitRepository + Kustomizations —
// then it shows what synced and how to push a change. Ctrl-C stops everything.
// MOORING_DEMO_ONCE=1 (`make demo DEMO_EXIT=1`) stops right after the first sync (for CI). SIGINT or
// SIGTERM at any point stops what was started, then exits 0.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadState, startCluster, stopCluster } from './cluster/cluster.js';
import { installCrds } from './helpers/crds.js';
import {
  commitFiles,
  freePort,
  type GitHttpServer,
  makeRepo,
  startGitHttpServer,
} from './helpers/gitserver.js';

const root = resolve('.demo');
const samples = resolve('samples');
const once = process.env.MOORING_DEMO_ONCE === '1';

function step(msg: string): void {
  console.log(`\n==> ${msg}`);
}

/** The files of a samples/ folder, keyed by their path in the demo repository. */
function filesOf(dir: string, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[`${prefix}/${relative(dir, p)}`] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Aborted by SIGINT/SIGTERM; every wait below listens to it so shutdown starts at once. */
const interrupted = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => interrupted.abort(new Error(`interrupted by ${sig}`)));
}

async function main(): Promise<void> {
  mkdirSync(root, { recursive: true });
  const clusterDir = join(root, 'cluster');
  if (existsSync(join(clusterDir, 'state.json'))) await stopCluster(loadState(clusterDir));

  step('Starting a local control plane (etcd, kube-apiserver, kube-controller-manager)');
  const state = await startCluster({ dir: clusterDir });
  const kubectl = (args: string[], input?: string) =>
    execFileSync('kubectl', ['--kubeconfig', state.kubeconfig, ...args], {
      input,
      stdio: ['pipe', 'pipe', 'inherit'],
    }).toString();

  let git: GitHttpServer | undefined;
  let controller: ChildProcess | undefined;
  const shutdown = async () => {
    controller?.kill('SIGTERM');
    if (controller && controller.exitCode === null) await new Promise((r) => controller!.on('exit', r));
    await git?.stop();
    await stopCluster(state);
  };

  try {
    interrupted.signal.throwIfAborted();
    step('Installing the GitRepository and Kustomization CRDs');
    await installCrds(state);

    step('Serving samples/ from a local Git server');
    const gitRoot = join(root, 'git');
    rmSync(gitRoot, { recursive: true, force: true });
    const repo = await makeRepo(join(gitRoot, 'demo.git'));
    await commitFiles(
      repo,
      {
        ...filesOf(join(samples, 'demo-app'), 'deploy'),
        ...filesOf(join(samples, 'plain'), 'plain'),
        ...filesOf(join(samples, 'overlay'), 'overlay'),
      },
      'Mooring demo: nginx, a plain-YAML directory and a kustomize overlay',
    );
    git = await startGitHttpServer({ root: gitRoot });
    const url = git.url('demo.git');
    console.log(`    ${url}  (bare repository: ${repo.dir})`);

    step('Starting the controller (mooring controller)');
    const storagePort = await freePort();
    const metricsPort = await freePort();
    controller = spawn(
      process.execPath,
      [
        'dist/cli/main.js',
        'controller',
        '--kubeconfig',
        state.kubeconfig,
        '--storage-path',
        join(root, 'data'),
        '--storage-addr',
        `127.0.0.1:${storagePort}`,
        '--storage-adv-addr',
        `127.0.0.1:${storagePort}`,
        '--metrics-addr',
        `127.0.0.1:${metricsPort}`,
        '--health-addr',
        '127.0.0.1:0',
        '--requeue-dependency',
        '5s',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const log = join(root, 'controller.log');
    const { createWriteStream } = await import('node:fs');
    controller.stderr?.pipe(createWriteStream(log));
    console.log(`    logs: ${log}   metrics: http://127.0.0.1:${metricsPort}/metrics`);

    step('Applying samples/gitrepository.yaml, samples/kustomization.yaml, samples/kustomizations-more.yaml');
    const gitrepo = readFileSync(join(samples, 'gitrepository.yaml'), 'utf8').replace(
      /url: .*/,
      `url: ${url}`,
    );
    process.stdout.write(kubectl(['apply', '-n', 'default', '-f', '-'], gitrepo));
    process.stdout.write(
      kubectl([
        'apply',
        '-n',
        'default',
        '-f',
        join(samples, 'kustomization.yaml'),
        '-f',
        join(samples, 'kustomizations-more.yaml'),
      ]),
    );

    step('Waiting for the sync');
    const deadline = Date.now() + 180_000;
    for (;;) {
      const out = kubectl([
        'get',
        'gitrepositories,kustomizations',
        '-n',
        'default',
        '-o',
        'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}',
      ]);
      const states = out.trim().split(/\s+/).filter(Boolean);
      if (states.length === 4 && states.every((s) => s === 'True')) break;
      if (Date.now() > deadline) throw new Error(`not all ready after 3 minutes; see ${log}`);
      await delay(1000, undefined, { signal: interrupted.signal });
    }
    process.stdout.write(kubectl(['get', 'gitrepositories,kustomizations', '-n', 'default']));
    step('What Mooring applied');
    process.stdout.write(
      kubectl([
        'get',
        'deployments,services,configmaps,serviceaccounts',
        '-n',
        'default',
        '-l',
        'kustomize.toolkit.fluxcd.io/namespace=default',
      ]),
    );

    console.log(`
==> The demo is running. In another terminal:

    export KUBECONFIG=${state.kubeconfig}
    git clone ${repo.dir} /tmp/demo && cd /tmp/demo
    sed -i 's/nginx:1.27.0/nginx:1.27.2/' deploy/deployment.yaml
    git commit -am "bump nginx" && git push
    kubectl annotate gitrepository demo reconcile.fluxcd.io/requestedAt="$(date +%s)" --overwrite
    kubectl get deployment demo -o jsonpath='{.spec.template.spec.containers[0].image}'

Without the annotation the change is picked up within the GitRepository's interval (1m).
Press Ctrl-C to stop the controller, the Git server and the control plane.`);

    if (!once) {
      await new Promise<void>((r) => {
        interrupted.signal.addEventListener('abort', () => r());
        controller?.once('exit', () => r());
      });
    }
  } finally {
    step('Stopping');
    await shutdown();
  }
}

main().catch((err: unknown) => {
  if (interrupted.signal.aborted) return; // stopped on request: everything was shut down above
  console.error(`demo failed: ${(err as Error).message}`);
  process.exitCode = 1;
});
