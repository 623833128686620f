// What the controller leaves on disk and lets git run, end to end with the `git` backend: the SSH
// private key (plain, and the decrypted copy of an encrypted one) is handed to ssh as a 0600 file
// in the scratch directory and removed afterwards; nothing but the extracted-artifact cache stays
// in TMPDIR; credential helpers, askpass programs and git configuration from the controller's own
// environment never run; ext::/file:// URLs never reach the controller and a host that reads as an
// ssh option is refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { eventually } from '../helpers/cluster.js';
import { kubectl as kubectlRaw } from '../helpers/crds.js';
import { makeRepo, startGitHttpServer, startSshGitServer, tempDir } from '../helpers/gitserver.js';
import { configMapYaml, kustomizationEnv, readyOf } from '../kustomization/harness.js';

const GR_API = '/apis/source.toolkit.fluxcd.io/v1';
const root = tempDir('mooring-scratch-git-');
await makeRepo(join(root, 'app.git'), {
  commits: [{ files: { 'app/cm.yaml': configMapYaml('scratch-cm', { a: '1' }) } }],
});
const ssh = await startSshGitServer({ root });
const basic = await startGitHttpServer({
  root,
  auth: { type: 'basic', username: 'git', password: 'only-the-server-knows' },
});
after(async () => {
  await Promise.all([ssh.stop(), basic.stop()]);
});

// The controller's environment, as a careless container might have it.
const sandbox = tempDir('mooring-scratch-');
const scratch = join(sandbox, 'tmp');
const bin = join(sandbox, 'bin');
const home = join(sandbox, 'home');
const sshLog = join(sandbox, 'ssh.log');
/** Created by anything of the environment that git or ssh must not run. */
const ranMarker = join(sandbox, 'ran');
for (const d of [scratch, bin, home]) mkdirSync(d);
const realSsh = execFileSync('sh', ['-c', 'command -v ssh']).toString().trim();
// An `ssh` first in PATH that records the identity file it is given, then runs the real ssh.
writeFileSync(
  join(bin, 'ssh'),
  `#!/bin/sh
prev=
for a in "$@"; do
  if [ "$prev" = "-i" ]; then echo "identity $(stat -c %a "$a") $a" >> '${sshLog}'; fi
  prev=$a
done
echo "env GIT_ASKPASS=$GIT_ASKPASS SSH_ASKPASS=$SSH_ASKPASS HOME=$HOME" >> '${sshLog}'
exec '${realSsh}' "$@"
`,
);
const snitch = join(bin, 'snitch');
writeFileSync(
  snitch,
  `#!/bin/sh\necho "$0 $*" >> '${ranMarker}'\necho username=git\necho password=guessed\n`,
);
chmodSync(join(bin, 'ssh'), 0o755);
chmodSync(snitch, 0o755);
writeFileSync(
  join(home, '.gitconfig'),
  `[credential]\n\thelper = !${snitch}\n[core]\n\taskPass = ${snitch}\n`,
);

const env = await kustomizationEnv({
  prefix: 'rel-scratch',
  controllerArgs: ['--git-backend', 'git'],
  controllerEnv: {
    TMPDIR: scratch,
    PATH: `${bin}:${process.env.PATH}`,
    HOME: home,
    GIT_ASKPASS: snitch,
    SSH_ASKPASS: snitch,
    SSH_ASKPASS_REQUIRE: 'force',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: `!${snitch}`,
  },
});

async function apply(manifest: object): Promise<void> {
  await env.kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
}

async function gitRepository(name: string, url: string, secretName?: string): Promise<void> {
  await apply({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name },
    spec: {
      interval: '10m',
      timeout: '30s',
      url,
      ref: { branch: 'main' },
      ...(secretName ? { secretRef: { name: secretName } } : {}),
    },
  });
}

const sourceReady = (name: string, status: 'True' | 'False') =>
  eventually(
    `GitRepository ${name} Ready=${status}`,
    async () => {
      const r = readyOf(
        (await env.get(`${GR_API}/namespaces/${env.ns}/gitrepositories/${name}`)) as unknown as Parameters<
          typeof readyOf
        >[0],
      );
      return r?.status === status ? r : undefined;
    },
    90_000,
  );

/** Every file and directory under `dir`, relative to it. */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out.push(relative(scratch, p));
    if (statSync(p).isDirectory()) out.push(...walk(p));
  }
  return out;
}

test('SSH keys are 0600 files in the scratch directory, removed after use; only the artifact cache stays', async () => {
  // One kubectl for both Secrets, then the sources and the Kustomization side by side.
  await apply({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'ssh-plain' },
        stringData: { identity: ssh.clientKey, known_hosts: ssh.knownHosts },
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'ssh-enc' },
        stringData: {
          identity: ssh.encryptedClientKey,
          password: ssh.clientKeyPassphrase,
          known_hosts: ssh.knownHosts,
        },
      },
    ],
  });
  await Promise.all([
    gitRepository('plain', ssh.url('app.git'), 'ssh-plain'),
    gitRepository('enc', ssh.url('app.git'), 'ssh-enc'),
    env.applyKustomization('app', {
      sourceRef: { kind: 'GitRepository', name: 'plain' },
      path: './app',
      targetNamespace: env.ns,
    }),
  ]);
  await Promise.all([sourceReady('plain', 'True'), sourceReady('enc', 'True')]);
  const k = await env.waitKustomization('app', 'Ready=True', (o) => readyOf(o)?.status === 'True');
  assert.ok(k.status?.lastAppliedRevision);

  const log = readFileSync(sshLog, 'utf8');
  const identities = log.split('\n').filter((l) => l.startsWith('identity '));
  assert.ok(identities.length >= 2, log);
  for (const line of identities) {
    const [, mode, path] = line.split(' ') as [string, string, string];
    assert.equal(mode, '600', line);
    assert.ok(path.startsWith(`${scratch}/`), `the key file is in TMPDIR: ${line}`);
  }
  for (const line of log.split('\n').filter((l) => l.startsWith('env '))) {
    assert.match(line, /GIT_ASKPASS=\/bin\/false SSH_ASKPASS=\/bin\/false/, 'askpass disabled for ssh');
    assert.doesNotMatch(line, new RegExp(`HOME=${home}`), "ssh does not see the controller's HOME");
  }

  // Once the reconciles are over: no key, no checkout, no download left — only extracted trees.
  const leftover = await eventually(
    'scratch files removed',
    async () => {
      const entries = walk(scratch);
      const stray = entries.filter((e) => !/^mooring-artifacts-[^/]+(\/|$)/.test(e));
      return stray.length === 0 ? entries : undefined;
    },
    30_000,
  ).catch((err: Error) => assert.fail(`${err.message}: ${walk(scratch).join(', ')}`));
  for (const line of identities) assert.ok(!existsSync(line.split(' ')[2]!), `${line} removed`);
  assert.ok(
    leftover.some((e) => e.endsWith('app/cm.yaml')),
    'the extracted-artifact cache keeps the tree for the next reconcile',
  );
  assert.equal(existsSync(ranMarker), false, 'nothing of the environment ran');
});

test('credential helpers, askpass and git configuration of the environment never run', async () => {
  await gitRepository('no-creds', basic.url('app.git'));
  const failed = await sourceReady('no-creds', 'False');
  assert.match(failed.message, /the server requires credentials and none were given/);
  assert.equal(existsSync(ranMarker), false, 'no credential helper or askpass ran');
});

test('ext:: and file:// URLs are refused by the API server; a host that reads as an ssh option by the controller', async () => {
  for (const url of ['ext::sh -c touch% /tmp/pwned', 'file:///var/run/secrets/kubernetes.io']) {
    const r = await kubectlRaw(
      env.state,
      ['-n', env.ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'source.toolkit.fluxcd.io/v1',
        kind: 'GitRepository',
        metadata: { name: 'refused' },
        spec: { interval: '10m', url },
      }),
    );
    assert.notEqual(r.code, 0, url);
    assert.match(r.stderr, /spec\.url/, url);
  }
  await gitRepository('option-host', `ssh://-oProxyCommand=${snitch}/app.git`, 'ssh-plain');
  const failed = await sourceReady('option-host', 'False');
  assert.equal(failed.reason, 'URLInvalid');
  assert.match(failed.message, /has a host starting with '-'/);
  assert.equal(existsSync(ranMarker), false);
});
