// `mooring diff --offline` on a generated fleet repository: 200 Kustomizations (clusters/prod/,
// each an overlay of a shared base with a Deployment, Service and ConfigMap, postBuild
// substitution) at two revisions, the second changing 20 apps and the shared base. Times the
// whole CLI command (node start, git archive of both revisions, 400 builds, diff, text output).
// No reference tool in the same run: flux-local and argocd-diff-preview are not installable
// here (Python/Go tools outside npm and Debian); the figure is absolute (target ≤ 5 s on 2 cores).
// Run: node .build/bench/diff/fleet.bench.js   (BENCH_APPS, BENCH_RUNS)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const APPS = Number(process.env.BENCH_APPS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const bin = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../dist/cli/main.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'mooring-bench-fleet-'));
const git = (...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@x',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@x',
    },
  }).trim();
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
};

function fleet(rev: 1 | 2): void {
  write(
    'base/app/deployment.yaml',
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: registry.example/app:\${version}
          resources: {requests: {cpu: ${rev === 1 ? '100m' : '150m'}, memory: 64Mi}}
`,
  );
  write(
    'base/app/service.yaml',
    'apiVersion: v1\nkind: Service\nmetadata: {name: app}\nspec: {ports: [{port: 80}]}\n',
  );
  write('base/app/kustomization.yaml', 'resources: [deployment.yaml, service.yaml]\n');
  for (let i = 0; i < APPS; i++) {
    const version = rev === 2 && i % 10 === 0 ? '2.0.0' : '1.0.0';
    write(
      `apps/app-${i}/kustomization.yaml`,
      `namespace: team-${i % 20}
namePrefix: app-${i}-
resources: [../../base/app]
configMapGenerator:
  - name: settings
    literals: [INDEX=${i}, COLOR=${rev === 2 && i % 10 === 0 ? 'green' : 'blue'}]
patches:
  - target: {kind: Deployment}
    patch: |
      - op: replace
        path: /spec/replicas
        value: ${1 + (i % 3)}
`,
    );
    write(
      `clusters/prod/app-${i}.yaml`,
      `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: app-${i}, namespace: flux-system}
spec:
  interval: 10m
  prune: true
  path: ./apps/app-${i}
  sourceRef: {kind: GitRepository, name: flux-system}
  ${i > 0 ? `dependsOn: [{name: app-${i - 1}}]` : ''}
  postBuild:
    substitute: {version: "${version}"}
`,
    );
  }
}

try {
  git('init', '-q', '-b', 'main');
  fleet(1);
  git('add', '-A');
  git('commit', '-q', '-m', 'one');
  const from = git('rev-parse', 'HEAD');
  fleet(2);
  git('add', '-A');
  git('commit', '-q', '-m', 'two');
  const args = [bin, 'diff', '--offline', '--from', from, '--to', 'HEAD', '--path', dir];
  const times: number[] = [];
  const cpu: number[] = [];
  const timeFile = join(dir, '.time');
  let status = -1;
  let verdict = '';
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    // /usr/bin/time reports the command's CPU (user + system): the figure the machine's load does not inflate.
    const res = spawnSync(
      '/usr/bin/time',
      [
        '-f',
        '%U %S',
        '-o',
        timeFile,
        process.execPath,
        ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        ...args,
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    status = res.status ?? -1;
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpu.push((user ?? 0) + (sys ?? 0));
    verdict = res.stderr.trim().split('\n').pop() ?? '';
  }
  console.log(`command: node dist/cli/main.js diff --offline --from <rev1> --to HEAD --path <fleet repo>`);
  console.log(
    `load average during the run: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (2 cores)`,
  );
  console.log(
    `| fleet | Kustomizations | runs | median wall (s) | min wall (s) | median CPU (s) | exit | verdict |`,
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  console.log(
    `| generated | ${APPS} | ${RUNS} | ${(median(times) / 1000).toFixed(2)} | ${(Math.min(...times) / 1000).toFixed(2)} | ${median(cpu).toFixed(2)} | ${status} | ${verdict} |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
