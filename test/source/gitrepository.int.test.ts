// The GitRepository controller end to end: real kube-apiserver, real `git http-backend` and sshd
// servers on 127.0.0.1, the system git backend, artifacts fetched back over HTTP.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GitRepository } from '../../src/api/gitrepository.js';
import { GitRepositoryType } from '../../src/api/gitrepository.js';
import { ContentType, KubeClient } from '../../src/kube/client.js';
import { CoreTypes, collectionPath, objectPath } from '../../src/kube/resource.js';
import { createLogger } from '../../src/runtime/logger.js';
import { Manager } from '../../src/runtime/manager.js';
import { setupSourceController } from '../../src/source/setup.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { installCrds } from '../helpers/crds.js';
import { startAll } from '../helpers/fixtures.js';
import {
  commitFiles,
  freePort,
  type GitHttpServer,
  git,
  makeRepo,
  type Repo,
  type SshGitServer,
  startGitHttpServer,
  startProxy,
  startSshGitServer,
  tempDir,
} from '../helpers/gitserver.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'src');
const gitRoot = tempDir('mooring-src-repos-');
const storageDir = tempDir('mooring-src-storage-');
const b64 = (s: string) => Buffer.from(s).toString('base64');

let http: GitHttpServer;
let authHttp: GitHttpServer;
let ssh: SshGitServer;
let repo: Repo;
let manager: Manager;
let storagePort: number;

before(async () => {
  repo = await makeRepo(join(gitRoot, 'app.git'), {
    commits: [
      {
        files: {
          'deploy/deployment.yaml': 'kind: Deployment\nimage: nginx:1.27.0\n',
          'deploy/service.yaml': 'kind: Service\n',
          'docs/notes.md': 'notes\n',
          'logo.png': 'png',
        },
        message: 'initial commit',
      },
    ],
    tags: [{ name: 'v1.0.0', annotated: true, message: 'release 1.0.0' }],
  });
  [http, authHttp, ssh] = await startAll([
    startGitHttpServer({ root: gitRoot }),
    startGitHttpServer({
      root: gitRoot,
      auth: { type: 'basic', username: 'deploy', password: 's3cr3t-pass' },
    }),
    startSshGitServer({ root: gitRoot }),
  ]);
  storagePort = await freePort();
  manager = new Manager({
    kubeConfig: kc,
    logger: createLogger({ silent: !process.env.TEST_LOGS, level: 'debug' }),
    namespace: ns,
    processMetrics: false,
  });
  setupSourceController(manager, {
    storagePath: storageDir,
    storageAddr: `127.0.0.1:${storagePort}`,
    storageAdvAddr: `127.0.0.1:${storagePort}`,
    gitBackend: 'git',
    retentionTtlMs: 60_000,
    retentionRecords: 2,
  });
  await manager.start();
});

after(async () => {
  await manager?.stop();
  await Promise.all([http?.stop(), authHttp?.stop(), ssh?.stop()]);
  client.close();
  rmSync(gitRoot, { recursive: true, force: true });
  rmSync(storageDir, { recursive: true, force: true });
});

async function createRepo(name: string, spec: Record<string, unknown>): Promise<void> {
  await client.post(collectionPath(GitRepositoryType, ns), {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace: ns },
    spec: { interval: '10m', ...spec },
  });
}

async function getRepo(name: string): Promise<GitRepository> {
  return client.get<GitRepository>(objectPath(GitRepositoryType, ns, name));
}

function ready(obj: GitRepository) {
  return obj.status?.conditions?.find((c) => c.type === 'Ready');
}

async function waitReady(
  name: string,
  status: 'True' | 'False',
  extra: (o: GitRepository) => boolean = () => true,
) {
  return eventually(
    `${name} Ready=${status}`,
    async () => {
      const o = await getRepo(name);
      const r = ready(o);
      // Flux bumps observedGeneration only on success (or Stalled): a failing object stays InProgress.
      const observed = status === 'False' || o.status?.observedGeneration === o.metadata.generation;
      return r?.status === status && observed && extra(o) ? o : undefined;
    },
    30_000,
  );
}

async function requestSync(name: string): Promise<string> {
  const token = new Date().toISOString() + Math.random();
  await client.patch(
    objectPath(GitRepositoryType, ns, name),
    { metadata: { annotations: { 'reconcile.fluxcd.io/requestedAt': token } } },
    ContentType.mergePatch,
  );
  return token;
}

async function fetchArtifact(url: string): Promise<Buffer> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return Buffer.from(await res.arrayBuffer());
}

function tarNames(buf: Buffer): string[] {
  const dir = tempDir('mooring-untar-');
  try {
    writeFileSync(join(dir, 'a.tar.gz'), buf);
    return execFileSync('tar', ['-tzf', join(dir, 'a.tar.gz')])
      .toString()
      .trim()
      .split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('GitRepository over HTTP', () => {
  test('a branch becomes a served artifact with Flux revision, digest and NewArtifact event', async () => {
    await createRepo('app', { url: http.url('app.git'), ref: { branch: 'main' } });
    const head = await repo.rev('main');
    const obj = await waitReady('app', 'True');
    const artifact = obj.status!.artifact!;
    assert.equal(artifact.revision, `main@sha1:${head}`);
    assert.equal(ready(obj)!.message, `stored artifact for revision 'main@sha1:${head}'`);
    assert.equal(artifact.path, `gitrepository/${ns}/app/${head}.tar.gz`);
    assert.equal(artifact.url, `http://127.0.0.1:${storagePort}/${artifact.path}`);
    const body = await fetchArtifact(artifact.url);
    assert.equal(artifact.digest, `sha256:${createHash('sha256').update(body).digest('hex')}`);
    assert.equal(artifact.size, body.length);
    const names = tarNames(body);
    assert.ok(names.includes('deploy/deployment.yaml'));
    assert.ok(!names.includes('logo.png'), 'default exclusions apply');
    assert.ok(!names.some((n) => n.startsWith('.git')), 'no .git in the artifact');
    assert.ok(obj.metadata.finalizers?.includes('finalizers.fluxcd.io'));
    const events = await eventually('NewArtifact event', async () => {
      const list = await client.get<{
        items: {
          reason: string;
          message: string;
          involvedObject: { name: string };
          metadata: { annotations?: Record<string, string> };
        }[];
      }>(collectionPath(CoreTypes.event, ns));
      return list.items.find((e) => e.involvedObject.name === 'app' && e.reason === 'NewArtifact');
    });
    assert.equal(events.message, "stored artifact for commit 'initial commit'");
    assert.equal(events.metadata.annotations?.['source.toolkit.fluxcd.io/revision'], `main@sha1:${head}`);
  });

  test('no new commit: a requested sync ends on the fast path without cloning', async () => {
    const before = await getRepo('app');
    const seenBefore = http.requests.length;
    const token = await requestSync('app');
    const after = await eventually('sync handled', async () => {
      const o = await getRepo('app');
      return o.status?.lastHandledReconcileAt === token ? o : undefined;
    });
    assert.deepEqual(after.status?.artifact, before.status?.artifact, 'artifact untouched');
    const kinds = http.requests.slice(seenBefore).map((r) => r.kind);
    assert.ok(kinds.includes('ls-refs'), `the remote ref was resolved (requests: ${kinds.join(', ')})`);
    assert.ok(
      !kinds.includes('fetch'),
      `no objects fetched on the fast path (requests: ${kinds.join(', ')})`,
    );
  });

  test('a new commit produces a new artifact and digest; old ones are garbage-collected', async () => {
    const first = (await getRepo('app')).status!.artifact!;
    const second = await commitFiles(
      repo,
      { 'deploy/deployment.yaml': 'kind: Deployment\nimage: nginx:1.27.1\n' },
      'bump nginx to 1.27.1',
    );
    await requestSync('app');
    const obj = await waitReady('app', 'True', (o) => o.status?.artifact?.revision === `main@sha1:${second}`);
    assert.notEqual(obj.status!.artifact!.digest, first.digest);
    const third = await commitFiles(repo, { 'deploy/extra.yaml': 'kind: ConfigMap\n' }, 'add a config map');
    await requestSync('app');
    await waitReady('app', 'True', (o) => o.status?.artifact?.revision === `main@sha1:${third}`);
    const dir = join(storageDir, 'gitrepository', ns, 'app');
    assert.ok(
      !existsSync(join(dir, `${first.path.split('/').pop()}`)),
      'oldest artifact collected (records = 2)',
    );
    assert.ok(existsSync(join(dir, `${second}.tar.gz`)));
    assert.ok(existsSync(join(dir, `${third}.tar.gz`)));
  });

  test('tags, semver and commit refs give Flux revision strings', async () => {
    const tagged = await repo.rev('v1.0.0^{commit}');
    await createRepo('by-tag', { url: http.url('app.git'), ref: { tag: 'v1.0.0' } });
    await createRepo('by-semver', { url: http.url('app.git'), ref: { semver: '>=1.0.0 <2.0.0' } });
    await createRepo('by-commit', { url: http.url('app.git'), ref: { commit: tagged } });
    assert.equal((await waitReady('by-tag', 'True')).status!.artifact!.revision, `v1.0.0@sha1:${tagged}`);
    assert.equal((await waitReady('by-semver', 'True')).status!.artifact!.revision, `v1.0.0@sha1:${tagged}`);
    assert.equal((await waitReady('by-commit', 'True')).status!.artifact!.revision, `sha1:${tagged}`);
  });

  test('no spec.ref checks out master even when the remote HEAD is main, as Flux', async () => {
    const both = await makeRepo(join(gitRoot, 'both.git'), {
      commits: [
        { files: { 'which.yaml': 'branch: main\n' }, message: 'on main' },
        { files: { 'which.yaml': 'branch: master\n' }, message: 'on master', branch: 'master', from: 'main' },
      ],
    });
    const master = await both.rev('master');
    assert.notEqual(master, await both.rev('main'));
    await createRepo('no-ref', { url: http.url('both.git') });
    const obj = await waitReady('no-ref', 'True');
    assert.equal(obj.status!.artifact!.revision, `master@sha1:${master}`);
    const dir = tempDir('mooring-untar-');
    try {
      writeFileSync(join(dir, 'a.tar.gz'), await fetchArtifact(obj.status!.artifact!.url));
      assert.equal(
        execFileSync('tar', ['-xzOf', join(dir, 'a.tar.gz'), 'which.yaml']).toString(),
        'branch: master\n',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await createRepo('no-master', { url: http.url('app.git') });
    const missing = ready(await waitReady('no-master', 'False'))!;
    assert.match(missing.message, /branch 'master' not found/);
    // Failing objects retry; this one would add requests the suspend test counts.
    await client.delete(objectPath(GitRepositoryType, ns, 'no-master'));
  });

  test('spec.ignore excludes paths from the artifact', async () => {
    await createRepo('ignoring', { url: http.url('app.git'), ref: { branch: 'main' }, ignore: '/docs/\n' });
    const obj = await waitReady('ignoring', 'True');
    const names = tarNames(await fetchArtifact(obj.status!.artifact!.url));
    assert.ok(!names.some((n) => n.startsWith('docs')), names.join(','));
    assert.equal(obj.status?.observedIgnore, '/docs/\n');
  });

  test('basic auth: wrong password fails with AuthenticationFailed and no secret in status; fixing the secret recovers', async () => {
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'git-creds', namespace: ns },
      data: { username: b64('deploy'), password: b64('wrong-password-123') },
    });
    await createRepo('private', {
      url: authHttp.url('app.git'),
      ref: { branch: 'main' },
      secretRef: { name: 'git-creds' },
    });
    const failed = await waitReady('private', 'False');
    const r = ready(failed)!;
    assert.equal(r.reason, 'AuthenticationFailed', r.message);
    assert.ok(!JSON.stringify(failed.status).includes('wrong-password-123'), 'password leaked into status');
    assert.equal(failed.status?.conditions?.find((c) => c.type === 'FetchFailed')?.status, 'True');
    assert.equal(
      failed.status?.conditions?.find((c) => c.type === 'Reconciling')?.reason,
      'ProgressingWithRetry',
    );

    await client.patch(
      objectPath(CoreTypes.secret, ns, 'git-creds'),
      { data: { password: b64('s3cr3t-pass') } },
      ContentType.mergePatch,
    );
    await requestSync('private');
    const ok = await waitReady('private', 'True');
    assert.equal(
      ok.status?.conditions?.find((c) => c.type === 'FetchFailed'),
      undefined,
    );
  });

  test('an unreachable host fails with a clear GitOperationFailed message', async () => {
    const port = await freePort();
    await createRepo('unreachable', { url: `http://127.0.0.1:${port}/app.git`, timeout: '10s' });
    const r = ready(await waitReady('unreachable', 'False'))!;
    assert.equal(r.reason, 'GitOperationFailed');
    assert.match(r.message, /127\.0\.0\.1/);
  });

  test('suspended: no fetch, yet observedGeneration and lastHandledReconcileAt are recorded (as Flux); deleting removes the stored artifacts', async () => {
    await createRepo('suspended', { url: http.url('app.git'), ref: { branch: 'main' } });
    const obj = await waitReady('suspended', 'True');
    await client.patch(
      objectPath(GitRepositoryType, ns, 'suspended'),
      { spec: { suspend: true } },
      ContentType.mergePatch,
    );
    // kstatus needs observedGeneration to follow the generation the suspend bumped.
    const observed = await eventually('suspended generation observed', async () => {
      const o = await getRepo('suspended');
      return o.spec.suspend === true && o.status?.observedGeneration === o.metadata.generation
        ? o
        : undefined;
    });
    assert.equal(observed.metadata.generation, (obj.metadata.generation ?? 0) + 1);
    const newer = await commitFiles(
      repo,
      { 'deploy/suspended.yaml': 'kind: ConfigMap\n' },
      'while suspended',
    );
    const seenBefore = http.requests.length;
    const token = await requestSync('suspended');
    const handled = await eventually('sync request acknowledged while suspended', async () => {
      const o = await getRepo('suspended');
      return o.status?.lastHandledReconcileAt === token ? o : undefined;
    });
    assert.deepEqual(handled.status?.artifact, observed.status?.artifact, 'artifact untouched');
    assert.notEqual(handled.status?.artifact?.revision, `main@sha1:${newer}`);
    assert.equal(http.requests.length, seenBefore, 'a suspended object does not contact the Git server');

    const dir = join(storageDir, 'gitrepository', ns, 'suspended');
    assert.ok(existsSync(dir));
    await client.delete(objectPath(GitRepositoryType, ns, 'suspended'));
    await eventually(
      'object gone',
      async () => (await client.getOptional(objectPath(GitRepositoryType, ns, 'suspended'))) === undefined,
    );
    assert.ok(!existsSync(dir), 'storage removed on deletion');
    assert.ok(obj.status?.artifact);
  });
});

describe('GitRepository over SSH', () => {
  test('a deploy key with pinned known_hosts works; a host-key mismatch is refused', async () => {
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'ssh-good', namespace: ns },
      data: { identity: b64(ssh.clientKey), known_hosts: b64(ssh.knownHosts) },
    });
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'ssh-mismatch', namespace: ns },
      data: { identity: b64(ssh.clientKey), known_hosts: b64(ssh.wrongKnownHosts) },
    });
    await createRepo('over-ssh', {
      url: ssh.url('app.git'),
      ref: { branch: 'main' },
      secretRef: { name: 'ssh-good' },
    });
    await createRepo('mitm', {
      url: ssh.url('app.git'),
      ref: { branch: 'main' },
      secretRef: { name: 'ssh-mismatch' },
    });
    const head = await repo.rev('main');
    const ok = await waitReady('over-ssh', 'True');
    assert.equal(ok.status!.artifact!.revision, `main@sha1:${head}`);
    const bad = ready(await waitReady('mitm', 'False'))!;
    assert.match(bad.message, /host key/i);
    assert.ok(!bad.message.includes('PRIVATE KEY'));
  });
});

describe('GitRepository verification', () => {
  /** A commit on top of `bare`'s main, made in a throwaway clone with extra `git -c` options, pushed. */
  async function pushCommit(bare: string, file: string, config: string[], env: Record<string, string> = {}) {
    const work = tempDir('mooring-sign-');
    try {
      await git(['clone', '-q', bare, work]);
      writeFileSync(join(work, file), `${file}: 1\n`);
      await git(['-C', work, 'add', '.']);
      await git(['-C', work, ...config, 'commit', '-q', '-m', `add ${file}`], { env });
      await git(['-C', work, 'push', '-q', 'origin', 'HEAD:main']);
      return await git(['-C', work, 'rev-parse', 'HEAD']);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }

  /** Waits until the object refused `commit` (by the reason given), and checks nothing was stored. */
  async function refusedFor(name: string, commit: string, reason: string) {
    const o = await waitReady(name, 'False', (x) => ready(x)?.message.includes(commit) === true);
    assert.equal(ready(o)!.reason, reason, ready(o)!.message);
    assert.equal(o.status?.conditions?.find((c) => c.type === 'SourceVerified')?.status, 'False');
    assert.ok(!o.status?.artifact?.revision.includes(commit), 'refused commit stored');
    assert.ok(!existsSync(join(storageDir, 'gitrepository', ns, name, `${commit}.tar.gz`)));
    return o;
  }

  test('PGP: unsigned and untrusted-key commits are refused and never stored; a trusted one is', async () => {
    const gnupg = tempDir('mooring-gnupg-');
    mkdirSync(gnupg, { recursive: true, mode: 0o700 });
    const env = { ...process.env, GNUPGHOME: gnupg };
    for (const who of ['signer', 'stranger']) {
      execFileSync(
        'gpg',
        [
          '--batch',
          '--passphrase',
          '',
          '--quick-gen-key',
          `${who} <${who}@mooring.invalid>`,
          'ed25519',
          'sign',
          'never',
        ],
        { env, stdio: 'ignore' },
      );
    }
    const publicKey = execFileSync('gpg', ['--armor', '--export', 'signer@mooring.invalid'], {
      env,
    }).toString();
    const signed = await makeRepo(join(gitRoot, 'signed.git'), {
      commits: [{ files: { 'a.yaml': 'a: 1\n' }, message: 'unsigned' }],
    });
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'pgp-keys', namespace: ns },
      data: { 'signer.asc': b64(publicKey) },
    });
    await createRepo('verified', {
      url: http.url('signed.git'),
      ref: { branch: 'main' },
      verify: { mode: 'HEAD', secretRef: { name: 'pgp-keys' } },
    });
    const unsigned = await refusedFor('verified', await signed.rev('main'), 'InvalidCommitSignature');
    assert.match(ready(unsigned)!.message, /is not signed/);

    const gpgEnv = { GNUPGHOME: gnupg };
    const byStranger = await pushCommit(
      signed.dir,
      'b.yaml',
      ['-c', 'user.signingkey=stranger@mooring.invalid', '-c', 'commit.gpgSign=true'],
      gpgEnv,
    );
    await requestSync('verified');
    const untrusted = await refusedFor('verified', byStranger, 'InvalidCommitSignature');
    assert.match(ready(untrusted)!.message, /does not verify with any key/);

    const bySigner = await pushCommit(
      signed.dir,
      'c.yaml',
      ['-c', 'user.signingkey=signer@mooring.invalid', '-c', 'commit.gpgSign=true'],
      gpgEnv,
    );
    await requestSync('verified');
    const ok = await waitReady(
      'verified',
      'True',
      (o) => o.status?.artifact?.revision === `main@sha1:${bySigner}`,
    );
    const cond = ok.status?.conditions?.find((c) => c.type === 'SourceVerified');
    assert.equal(cond?.status, 'True');
    assert.match(
      cond!.message,
      new RegExp(`verified signature of\\n\\t- commit '${bySigner}' with key '[0-9A-F]{16}'`),
    );
    assert.equal(ok.status?.sourceVerificationMode, 'HEAD');
    rmSync(gnupg, { recursive: true, force: true });
  });

  test('SSH (*.sshpub): signed commits and tags verify in HEAD, Tag and TagAndHEAD modes; unsigned and untrusted are refused', async () => {
    const keys = tempDir('mooring-sshsign-');
    const keygen = (name: string) =>
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keys, name)]);
    keygen('dev');
    keygen('stranger');
    const pub = (name: string) => readFileSync(join(keys, `${name}.pub`), 'utf8');
    const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(keys, 'dev.pub')])
      .toString()
      .split(' ')[1]!;
    const sshSign = (name: string) => ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${join(keys, name)}`];

    const repoSsh = await makeRepo(join(gitRoot, 'sshsigned.git'), {
      commits: [{ files: { 'a.yaml': 'a: 1\n' }, message: 'unsigned' }],
    });
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'ssh-signers', namespace: ns },
      data: { 'dev.sshpub': b64(`# the team\n${pub('dev')}`) },
    });
    const verify = (mode: string) => ({ mode, secretRef: { name: 'ssh-signers' } });
    await createRepo('ssh-head', {
      url: http.url('sshsigned.git'),
      ref: { branch: 'main' },
      verify: verify('HEAD'),
    });
    await refusedFor('ssh-head', await repoSsh.rev('main'), 'InvalidCommitSignature');

    const byStranger = await pushCommit(repoSsh.dir, 'b.yaml', [
      ...sshSign('stranger'),
      '-c',
      'commit.gpgSign=true',
    ]);
    await requestSync('ssh-head');
    const untrusted = await refusedFor('ssh-head', byStranger, 'InvalidCommitSignature');
    assert.match(ready(untrusted)!.message, /not in the verification Secret/);

    const byDev = await pushCommit(repoSsh.dir, 'c.yaml', [...sshSign('dev'), '-c', 'commit.gpgSign=true']);
    // A tag signed by the trusted key on the trusted commit; another signed by the stranger.
    const work = tempDir('mooring-sshtag-');
    await git(['clone', '-q', repoSsh.dir, work]);
    await git(['-C', work, ...sshSign('dev'), 'tag', '-s', '-m', 'release', 'v1.0.0']);
    await git(['-C', work, ...sshSign('stranger'), 'tag', '-s', '-m', 'rogue', 'v1.0.1']);
    await git(['-C', work, 'tag', 'v1.0.2']);
    await git(['-C', work, 'push', '-q', 'origin', '--tags']);
    rmSync(work, { recursive: true, force: true });

    await requestSync('ssh-head');
    await createRepo('ssh-tag', {
      url: http.url('sshsigned.git'),
      ref: { tag: 'v1.0.0' },
      verify: verify('Tag'),
    });
    await createRepo('ssh-both', {
      url: http.url('sshsigned.git'),
      ref: { tag: 'v1.0.0' },
      verify: verify('TagAndHEAD'),
    });
    await createRepo('ssh-rogue-tag', {
      url: http.url('sshsigned.git'),
      ref: { tag: 'v1.0.1' },
      verify: verify('Tag'),
    });
    await createRepo('ssh-light-tag', {
      url: http.url('sshsigned.git'),
      ref: { tag: 'v1.0.2' },
      verify: verify('Tag'),
    });
    await createRepo('ssh-tag-on-branch', {
      url: http.url('sshsigned.git'),
      ref: { branch: 'main' },
      verify: verify('Tag'),
    });

    const head = await waitReady(
      'ssh-head',
      'True',
      (o) => o.status?.artifact?.revision === `main@sha1:${byDev}`,
    );
    assert.equal(
      head.status?.conditions?.find((c) => c.type === 'SourceVerified')?.message,
      `verified signature of\n\t- commit '${byDev}' with key '${fp}'`,
    );
    const tag = await waitReady('ssh-tag', 'True');
    assert.equal(tag.status?.artifact?.revision, `v1.0.0@sha1:${byDev}`);
    assert.equal(
      tag.status?.conditions?.find((c) => c.type === 'SourceVerified')?.message,
      `verified signature of\n\t- tag 'v1.0.0' with key '${fp}'`,
    );
    assert.equal(tag.status?.sourceVerificationMode, 'Tag');
    const both = await waitReady('ssh-both', 'True');
    assert.match(
      both.status!.conditions!.find((c) => c.type === 'SourceVerified')!.message,
      /- tag 'v1\.0\.0'.*\n\t- commit/,
    );

    const rogue = ready(await waitReady('ssh-rogue-tag', 'False'))!;
    assert.equal(rogue.reason, 'InvalidTagSignature', rogue.message);
    const light = ready(await waitReady('ssh-light-tag', 'False'))!;
    assert.equal(light.reason, 'InvalidGitObject', light.message);
    const onBranch = await waitReady('ssh-tag-on-branch', 'False');
    assert.equal(ready(onBranch)!.reason, 'InvalidVerificationMode');
    assert.equal(onBranch.status?.conditions?.find((c) => c.type === 'Stalled')?.status, 'True');
    for (const name of ['ssh-rogue-tag', 'ssh-light-tag', 'ssh-tag-on-branch']) {
      assert.equal((await getRepo(name)).status?.artifact, undefined, `${name}: nothing stored`);
    }
    rmSync(keys, { recursive: true, force: true });
  });
});

describe('GitRepository include, submodules, sparse checkout and proxy', () => {
  const names = async (o: GitRepository) => tarNames(await fetchArtifact(o.status!.artifact!.url));

  test('spec.include: waits for the included artifact, mounts fromPath at toPath, follows its changes', async () => {
    const base = await makeRepo(join(gitRoot, 'base.git'), {
      commits: [{ files: { 'app.yaml': 'app: 1\n' }, message: 'base' }],
    });
    const lib = await makeRepo(join(gitRoot, 'lib.git'), {
      commits: [{ files: { 'shared/x.yaml': 'x: 1\n', 'other/y.yaml': 'y: 1\n' }, message: 'lib' }],
    });
    const include = [{ repository: { name: 'lib' }, fromPath: 'shared', toPath: 'vendor/lib' }];
    await createRepo('includer', { url: http.url('base.git'), ref: { branch: 'main' }, include });
    const waiting = await waitReady('includer', 'False');
    assert.equal(ready(waiting)!.reason, 'NotFound');
    assert.equal(waiting.status?.conditions?.find((c) => c.type === 'IncludeUnavailable')?.status, 'True');
    assert.equal(waiting.status?.artifact, undefined);

    await createRepo('lib', { url: http.url('lib.git'), ref: { branch: 'main' } });
    const libObj = await waitReady('lib', 'True');
    const ok = await waitReady('includer', 'True');
    assert.equal(ok.status!.artifact!.revision, `main@sha1:${await base.rev('main')}`);
    const listed = await names(ok);
    assert.ok(listed.includes('app.yaml') && listed.includes('vendor/lib/x.yaml'), listed.join(','));
    assert.ok(!listed.some((n) => n.includes('y.yaml')), 'only fromPath is included');
    assert.equal(ok.status?.includedArtifacts?.[0]?.digest, libObj.status!.artifact!.digest);
    assert.deepEqual(ok.status?.observedInclude, include);
    assert.equal(
      ok.status?.conditions?.find((c) => c.type === 'IncludeUnavailable'),
      undefined,
    );

    // A new commit in the included repository changes the including artifact (same own revision).
    const libNext = await commitFiles(lib, { 'shared/z.yaml': 'z: 1\n' }, 'more lib');
    await requestSync('lib');
    await waitReady('lib', 'True', (o) => o.status?.artifact?.revision === `main@sha1:${libNext}`);
    const changed = await waitReady(
      'includer',
      'True',
      (o) => o.status?.includedArtifacts?.[0]?.revision === `main@sha1:${libNext}`,
    );
    assert.equal(changed.status!.artifact!.revision, ok.status!.artifact!.revision);
    assert.notEqual(changed.status!.artifact!.digest, ok.status!.artifact!.digest);
    assert.ok((await names(changed)).includes('vendor/lib/z.yaml'));

    // Copying onto an existing file fails as Flux's rename does.
    await createRepo('clash', {
      url: http.url('base.git'),
      ref: { branch: 'main' },
      include: [{ repository: { name: 'lib' }, fromPath: 'shared/x.yaml', toPath: 'app.yaml' }],
    });
    const clash = ready(await waitReady('clash', 'False'))!;
    assert.equal(clash.reason, 'CopyFailure', clash.message);
    assert.match(clash.message, /'app\.yaml' already exists/);
    await client.delete(objectPath(GitRepositoryType, ns, 'clash'));
  });

  test('spec.recurseSubmodules: submodules over HTTP (basic auth) and SSH with the parent credentials', async () => {
    const sub = await makeRepo(join(gitRoot, 'sub.git'), {
      commits: [{ files: { 'lib.yaml': 'lib: 1\n' } }],
    });
    const work = tempDir('mooring-parent-');
    await git(['init', '-q', '--initial-branch=main', work]);
    writeFileSync(join(work, 'app.yaml'), 'app: 1\n');
    writeFileSync(
      join(work, '.gitmodules'),
      '[submodule "vendor/sub"]\n\tpath = vendor/sub\n\turl = ../sub.git\n',
    );
    await git(['-C', work, 'add', '.']);
    await git([
      '-C',
      work,
      'update-index',
      '--add',
      '--cacheinfo',
      `160000,${await sub.rev('main')},vendor/sub`,
    ]);
    await git(['-C', work, 'commit', '-q', '-m', 'parent']);
    await git(['clone', '-q', '--bare', work, join(gitRoot, 'parent.git')]);
    rmSync(work, { recursive: true, force: true });
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'sub-basic', namespace: ns },
      data: { username: b64('deploy'), password: b64('s3cr3t-pass') },
    });
    await client.post(collectionPath(CoreTypes.secret, ns), {
      metadata: { name: 'sub-ssh', namespace: ns },
      data: { identity: b64(ssh.clientKey), known_hosts: b64(ssh.knownHosts) },
    });
    const spec = { ref: { branch: 'main' }, recurseSubmodules: true };
    await createRepo('subs-http', {
      url: authHttp.url('parent.git'),
      secretRef: { name: 'sub-basic' },
      ...spec,
    });
    await createRepo('subs-ssh', { url: ssh.url('parent.git'), secretRef: { name: 'sub-ssh' }, ...spec });
    await createRepo('no-subs', {
      url: authHttp.url('parent.git'),
      secretRef: { name: 'sub-basic' },
      ref: { branch: 'main' },
    });
    for (const name of ['subs-http', 'subs-ssh']) {
      const o = await waitReady(name, 'True');
      const listed = await names(o);
      assert.ok(listed.includes('vendor/sub/lib.yaml'), `${name}: ${listed.join(',')}`);
      assert.ok(!listed.some((n) => n.endsWith('.git')), 'no Git data in the artifact');
      assert.equal(o.status?.observedRecurseSubmodules, true);
    }
    const plain = await names(await waitReady('no-subs', 'True'));
    assert.ok(!plain.includes('vendor/sub/lib.yaml'), 'without recurseSubmodules the submodule stays empty');
  });

  test('spec.sparseCheckout: the artifact holds only the listed directories, the rest is never downloaded', async () => {
    await makeRepo(join(gitRoot, 'mono.git'), {
      commits: [
        {
          files: {
            'root.yaml': 'root: 1\n',
            'deploy/app.yaml': 'app: 1\n',
            'infra/net.yaml': 'net: 1\n',
            'assets/big.bin': randomBytes(2_000_000),
          },
        },
      ],
    });
    const before = http.requests.length;
    await createRepo('sparse', {
      url: http.url('mono.git'),
      ref: { branch: 'main' },
      sparseCheckout: ['./deploy', 'infra'],
    });
    const o = await waitReady('sparse', 'True');
    const served = http.requests
      .slice(before)
      .filter((r) => r.path.startsWith('/mono.git'))
      .reduce((n, r) => n + r.bytes, 0);
    assert.ok(
      served < 1_000_000,
      `${served} bytes served: the 2 MB blob outside the sparse set was downloaded`,
    );
    assert.deepEqual((await names(o)).sort(), ['deploy/', 'deploy/app.yaml', 'infra/', 'infra/net.yaml']);
    assert.deepEqual(o.status?.observedSparseCheckout, ['./deploy', 'infra']);

    await createRepo('sparse-missing', {
      url: http.url('mono.git'),
      ref: { branch: 'main' },
      sparseCheckout: ['nope'],
    });
    const missing = ready(await waitReady('sparse-missing', 'False'))!;
    assert.match(missing.message, /sparse checkout dir 'nope' does not exist in repository/);
    await client.delete(objectPath(GitRepositoryType, ns, 'sparse-missing'));
  });

  test('spec.proxySecretRef: Git over HTTPS goes through the CONNECT proxy with its credentials; SSH is refused', async () => {
    const proxy = await startProxy({ username: 'px', password: 'px-secret-123' });
    const tls = await startGitHttpServer({ root: gitRoot, tls: true });
    try {
      await client.post(collectionPath(CoreTypes.secret, ns), {
        metadata: { name: 'proxy', namespace: ns },
        data: { address: b64(proxy.url), username: b64('px'), password: b64('px-secret-123') },
      });
      await client.post(collectionPath(CoreTypes.secret, ns), {
        metadata: { name: 'tls-ca', namespace: ns },
        data: { 'ca.crt': b64(tls.caCert!) },
      });
      await createRepo('proxied', {
        url: tls.url('app.git'),
        ref: { branch: 'main' },
        secretRef: { name: 'tls-ca' },
        proxySecretRef: { name: 'proxy' },
      });
      const o = await waitReady('proxied', 'True');
      assert.equal(o.status!.artifact!.revision, `main@sha1:${await repo.rev('main')}`);
      assert.ok(proxy.connects.includes(`127.0.0.1:${tls.port}`), `tunnels: ${proxy.connects.join(',')}`);
      assert.equal(proxy.refused, 0);

      await createRepo('proxied-ssh', {
        url: ssh.url('app.git'),
        ref: { branch: 'main' },
        secretRef: { name: 'ssh-good' },
        proxySecretRef: { name: 'proxy' },
      });
      const refused = await waitReady('proxied-ssh', 'False');
      assert.equal(ready(refused)!.reason, 'UnsupportedConfiguration');
      assert.match(ready(refused)!.message, /spec\.proxySecretRef/);
      assert.equal(refused.status?.conditions?.find((c) => c.type === 'Stalled')?.status, 'True');
    } finally {
      await client.delete(objectPath(GitRepositoryType, ns, 'proxied')).catch(() => undefined);
      await Promise.all([proxy.stop(), tls.stop()]);
    }
  });
});
