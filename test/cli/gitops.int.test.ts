// The CLI around a running controller, as the seed's fluxctl workflow: `mooring identity` makes a
// deploy key for the test sshd (its known_hosts must work for the clone that follows), `sync`
// applies pushes, `diff` shows drift of a local directory, suspend/resume, and a failed reconcile.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import sshpk from 'sshpk';
import { kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import {
  commitFiles,
  freePort,
  git,
  makeRepo,
  type Repo,
  type SshGitServer,
  startSshGitServer,
  tempDir,
} from '../helpers/gitserver.js';
import { mooring } from './mooring.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const ns = await testNamespace(kc, 'cli-gitops');
const gitRoot = tempDir('mooring-cli-git-');

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  replicas: 1
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: ${image}
`;
const service = `apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  selector:
    app: nginx
  ports:
    - port: 80
      targetPort: 80
`;
const secret = (password: string) => `apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: ${password}
`;

let ssh: SshGitServer;
let repo: Repo;
let controller: RunningController;

before(async () => {
  repo = await makeRepo(join(gitRoot, 'app.git'), {
    commits: [
      {
        files: {
          'deploy/deployment.yaml': deployment('nginx:1.13.12'),
          'deploy/service.yaml': service,
          'deploy/secret.yaml': secret('hunter2'),
        },
        message: 'nginx 1.13.12',
      },
    ],
  });
  ssh = await startSshGitServer({ root: gitRoot });
  controller = await startController({ kubeconfig: state.kubeconfig, namespace: ns });
});

after(async () => {
  await controller?.stop();
  await ssh?.stop();
  rmSync(gitRoot, { recursive: true, force: true });
});

const run = (args: string[]) => mooring([...args, '--kubeconfig', state.kubeconfig, '-n', ns]);
const kubectl = (args: string[], input?: string) => kubectlOk(state, ['-n', ns, ...args], input);
const secretKey = async (name: string, key: string) =>
  Buffer.from(
    await kubectl(['get', 'secret', name, '-o', `jsonpath={.data.${key.replaceAll('.', '\\.')}}`]),
    'base64',
  ).toString('utf8');

/** The test sshd reads its AuthorizedKeysFile on every login: find it from the sshd's command line. */
function authorizeKey(publicKey: string): void {
  // sshd rewrites its title: `sshd: /usr/sbin/sshd -D -e -f <dir>/sshd_config` (one string).
  const cmdline = readFileSync(`/proc/${ssh.pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  const config = /-f (\S+)/.exec(cmdline)?.[1];
  if (!config) throw new Error(`sshd config not found in "${cmdline}"`);
  appendFileSync(join(dirname(config), 'authorized_keys'), `${publicKey}\n`);
}

function writeLocal(files: Record<string, string>): string {
  const dir = tempDir('mooring-cli-local-');
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), content);
  }
  return dir;
}

test('identity, sync, diff, suspend/resume and a failed reconcile against a running controller', async () => {
  // 1. identity: a new ed25519 key and the host key, into a Secret; only the public key is printed.
  const id = await run(['identity', 'app-key', '--url', ssh.url('app.git')]);
  assert.equal(id.code, 0, id.stderr);
  assert.doesNotMatch(id.stdout + id.stderr, /PRIVATE KEY/);
  const hostPub = ssh.knownHosts.trim().split(/\s+/);
  const fingerprint = sshpk.parseKey(`${hostPub[1]} ${hostPub[2]}`, 'ssh').fingerprint('sha256').toString();
  assert.match(
    id.stdout,
    new RegExp(
      `^host key: \\[127\\.0\\.0\\.1\\]:${ssh.port} ssh-ed25519 ${fingerprint.replace(/[+/]/g, '\\$&')}$`,
      'm',
    ),
  );
  const publicKey = id.stdout.trim().split('\n').pop()!;
  assert.match(publicKey, /^ssh-ed25519 AAAA\S+ mooring-/);
  const identity = await secretKey('app-key', 'identity');
  assert.match(identity, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  assert.ok(!id.stdout.includes(identity.split('\n')[1]!), 'no part of the private key in stdout');
  assert.equal(
    sshpk.parsePrivateKey(identity, 'auto').toPublic().fingerprint('sha256').toString(),
    sshpk.parseKey(publicKey, 'ssh').fingerprint('sha256').toString(),
    'identity.pub matches identity',
  );
  assert.equal((await secretKey('app-key', 'identity.pub')).trim(), publicKey);
  assert.equal(await secretKey('app-key', 'known_hosts'), ssh.knownHosts);

  // The Secret exists now: the same public key is printed, nothing is regenerated.
  const again = await run(['identity', 'app-key']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim().split('\n').pop(), publicKey);
  assert.equal(await secretKey('app-key', 'identity'), identity);

  // A Secret holding only `identity`: its public key is derived.
  await kubectl(['create', 'secret', 'generic', 'bare-key', `--from-literal=identity=${ssh.clientKey}`]);
  const bare = await run(['identity', 'bare-key']);
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(
    sshpk.parseKey(bare.stdout.trim().split('\n').pop()!, 'ssh').fingerprint('sha256').toString(),
    sshpk.parsePrivateKey(ssh.clientKey, 'auto').toPublic().fingerprint('sha256').toString(),
  );

  // No SSH server: exit 1, nothing created.
  const closed = await freePort();
  const noHost = await run(['identity', 'other-key', '--url', `ssh://git@127.0.0.1:${closed}/x.git`]);
  assert.equal(noHost.code, 1);
  assert.match(
    noHost.stderr,
    new RegExp(`^error: cannot fetch the host key of 127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`),
  );
  assert.equal((await kubectl(['get', 'secrets', '-o', 'name'])).includes('other-key'), false);

  // 2. The key is registered with the Git host; a GitRepository uses the Secret as is.
  authorizeKey(publicKey);
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: app
spec:
  interval: 10m
  url: ${ssh.url('app.git')}
  ref:
    branch: main
  secretRef:
    name: app-key
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app
spec:
  interval: 10m
  path: ./deploy
  prune: true
  targetNamespace: ${ns}
  sourceRef:
    kind: GitRepository
    name: app
`,
  );
  const first = await repo.rev('main');
  const synced = await run(['sync', 'kustomization', 'app', '--with-source', '--timeout', '90s']);
  assert.equal(synced.code, 0, `${synced.stderr}\n${controller.logs().slice(-3000)}`);
  assert.equal(
    synced.stdout,
    `✔ fetched revision main@sha1:${first}\n✔ applied revision main@sha1:${first}\n`,
  );
  assert.equal(
    await kubectl(['get', 'deployment', 'nginx', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']),
    'nginx:1.13.12',
  );
  const got = await run(['get', 'ks']);
  assert.match(
    got.stdout,
    new RegExp(
      `^app\\s+main@sha1:${first}\\s+false\\s+True\\s+-\\s+Applied revision: main@sha1:${first}`,
      'm',
    ),
  );

  // 3. diff: a local copy equal to Git shows nothing; changes show as unified diffs, secrets masked.
  const same = writeLocal({
    'deployment.yaml': deployment('nginx:1.13.12'),
    'service.yaml': service,
    'secret.yaml': secret('hunter2'),
  });
  const clean = await run(['diff', 'kustomization', 'app', '--path', same]);
  assert.equal(clean.code, 0, `${clean.stdout}${clean.stderr}`);
  assert.equal(clean.stdout, '');
  assert.match(clean.stderr, /no changes/);

  const changed = writeLocal({
    'deployment.yaml': deployment('nginx:1.14.2'),
    'secret.yaml': secret('correct-horse'),
  });
  const drift = await run(['diff', 'kustomization', 'app', '--path', changed]);
  assert.equal(drift.code, 1, drift.stderr);
  assert.match(drift.stdout, new RegExp(`^► Deployment/${ns}/nginx drifted$`, 'm'));
  assert.match(drift.stdout, new RegExp(`^--- live/Deployment/${ns}/nginx$`, 'm'));
  assert.match(drift.stdout, /^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
  assert.match(drift.stdout, /^-\s+(- )?image: nginx:1\.13\.12$/m);
  assert.match(drift.stdout, /^\+\s+(- )?image: nginx:1\.14\.2$/m);
  assert.match(drift.stdout, new RegExp(`^► Secret/${ns}/db drifted$`, 'm'));
  assert.match(drift.stdout, /^-\s+password: '\*\*\* \(before\)'$/m);
  assert.match(drift.stdout, /^\+\s+password: '\*\*\* \(after\)'$/m);
  for (const secretText of ['hunter2', 'correct-horse']) {
    assert.ok(!drift.stdout.includes(secretText), `${secretText} not printed`);
    assert.ok(
      !drift.stdout.includes(Buffer.from(secretText).toString('base64')),
      `${secretText} (base64) not printed`,
    );
  }
  assert.match(drift.stdout, new RegExp(`^► Service/${ns}/nginx deleted$`, 'm'), 'prune shown');
  assert.equal(
    await kubectl(['get', 'deployment', 'nginx', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']),
    'nginx:1.13.12',
    'diff changes nothing',
  );

  const missing = await run(['diff', 'kustomization', 'ghost', '--path', same]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, new RegExp(`^error: Kustomization '${ns}/ghost' not found$`, 'm'));

  // 3b. diff --all: every Kustomization whose GitRepository is this checkout (matched on its git
  // remote), built from the checkout; a Kustomization sourced from another repository is skipped.
  await kubectl(
    ['apply', '-f', '-'],
    `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: elsewhere
spec:
  interval: 10m
  suspend: true
  url: https://git.example.com/org/other.git
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: other
spec:
  interval: 10m
  suspend: true
  path: ./
  prune: false
  sourceRef:
    kind: GitRepository
    name: elsewhere
`,
  );
  const checkout = writeLocal({
    'deploy/deployment.yaml': deployment('nginx:1.14.2'),
    'deploy/service.yaml': service,
    'deploy/secret.yaml': secret('hunter2'),
  });
  await git(['init', '-q', checkout]);
  // The same repository, spelled as a user's clone would spell it.
  await git(['-C', checkout, 'remote', 'add', 'origin', `${ssh.url('app.git').replace(/\.git$/, '')}/`]);
  const all = await run(['diff', '--all', '--path', checkout]);
  assert.equal(all.code, 1, `${all.stdout}${all.stderr}`);
  assert.match(all.stdout, new RegExp(`^● Kustomization ${ns}/app \\(\\./deploy\\)$`, 'm'));
  assert.match(all.stdout, new RegExp(`^► Deployment/${ns}/nginx drifted$`, 'm'));
  assert.match(all.stdout, /^\+\s+(- )?image: nginx:1\.14\.2$/m);
  assert.match(all.stdout, new RegExp(`^- Kustomization ${ns}/other skipped: .*another repository`, 'm'));
  assert.ok(!all.stdout.includes('hunter2'));
  const allJson = await run(['diff', '--all', '--path', checkout, '-o', 'json']);
  assert.equal(allJson.code, 1);
  const parsed = JSON.parse(allJson.stdout) as { kustomizations: Array<{ name: string; status: string }> };
  assert.deepEqual(
    parsed.kustomizations.map((k) => `${k.name}:${k.status}`),
    ['app:changed', 'other:skipped'],
  );
  await kubectl(['delete', 'kustomization', 'other', '--wait=false']);

  // 4. A push that changes the image: sync applies it.
  const bumped = await commitFiles(
    repo,
    { 'deploy/deployment.yaml': deployment('nginx:1.14.2') },
    'nginx 1.14.2',
  );
  const bump = await run(['sync', 'ks', 'app', '--with-source', '--timeout', '90s']);
  assert.equal(bump.code, 0, bump.stderr);
  assert.match(bump.stdout, new RegExp(`✔ applied revision main@sha1:${bumped}\n$`));
  assert.equal(
    await kubectl(['get', 'deployment', 'nginx', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']),
    'nginx:1.14.2',
  );

  // 5. suspend, then resume: resume waits for the reconcile it requests.
  const suspended = await run(['suspend', 'ks', 'app']);
  assert.equal(suspended.code, 0, suspended.stderr);
  const resumed = await run(['resume', 'ks', 'app', '--timeout', '90s']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(
    resumed.stdout,
    `✔ Kustomization '${ns}/app' resumed\n✔ applied revision main@sha1:${bumped}\n`,
  );

  // 6. A broken push: sync exits 1 with the controller's message; the cluster keeps the old state.
  await commitFiles(
    repo,
    { 'deploy/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n' },
    'a broken push',
  );
  const broken = await run(['sync', 'kustomization', 'app', '--with-source', '--timeout', '90s']);
  assert.equal(broken.code, 1, broken.stdout);
  assert.match(
    broken.stderr,
    new RegExp(`^error: Kustomization '${ns}/app' reconciliation failed: .*broken\\.yaml`, 'm'),
  );
  assert.equal(
    broken.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error:')).length,
    1,
  );
});
