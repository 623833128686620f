// Both Git backends against real servers on 127.0.0.1 (git http-backend and OpenSSH sshd):
// every ref kind, revision strings, resolve() without a fetch, auth and host-key failures,
// unreachable and stalled servers, CA certificates, and secret-free error messages.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { archiveDirectory, archiveTree } from '../../src/source/archive.js';
import { IsomorphicGitBackend } from '../../src/source/git/isomorphic.js';
import { SystemGitBackend } from '../../src/source/git/system.js';
import {
  type GitAuth,
  type GitBackend,
  GitError,
  type GitErrorReason,
  type RefSpec,
} from '../../src/source/git/types.js';
import { loadIgnoreFilter } from '../../src/source/ignore.js';
import { startAll } from '../helpers/fixtures.js';
import {
  commitFiles,
  freePort,
  type GitHttpServer,
  type GitTestServer,
  git,
  makeRepo,
  type Repo,
  type SshGitServer,
  startGitHttpServer,
  startSshGitServer,
  startStallServer,
  tempDir,
} from '../helpers/gitserver.js';

const PASSWORD = 'pa55-w0rd-very-secret';
const TOKEN = 'tok-3f9a7c1e-very-secret';

interface Fixture {
  root: string;
  repo: Repo;
  noSha: Repo;
  anon: GitHttpServer;
  basic: GitHttpServer;
  bearer: GitHttpServer;
  tls: GitHttpServer;
  mtls: GitHttpServer;
  ssh: SshGitServer;
  stall: GitTestServer;
  commits: { first: string; second: string; dev: string; pr: string; v2: string };
}

let fx: Fixture;
const scratchDirs: string[] = [];

/** A fresh temporary directory, removed when the file's tests end. */
function scratch(): string {
  const dir = tempDir('mooring-git-co-');
  scratchDirs.push(dir);
  return dir;
}

before(async () => {
  const root = tempDir('mooring-git-test-');
  // History on the default branch 'trunk' (HEAD; 'master' lags on the first commit):
  //   first ─ second (trunk, v0.9.0 light, v1.0.0 annotated, v1.1.0-rc.1) ─ dev-only commit on 'dev'
  //   a PR ref on its own commit, v2.0.0 on a later trunk commit.
  const repo = await makeRepo(join(root, 'repo.git'), {
    defaultBranch: 'trunk',
    commits: [
      {
        files: { 'README.md': '# first\n', 'deploy/app.yaml': 'kind: ConfigMap\n' },
        message: 'first commit',
      },
      {
        files: { 'deploy/app.yaml': 'kind: ConfigMap\nversion: 2\n' },
        message: 'second commit\n\nwith a body',
      },
    ],
    tags: [
      { name: 'v0.9.0' },
      { name: 'v1.0.0', annotated: true, message: 'release 1.0.0' },
      { name: 'v1.1.0-rc.1' },
    ],
  });
  const first = await repo.rev('trunk~1');
  const second = await repo.rev('trunk');
  const dev = await commitFiles(repo, { 'dev.txt': 'dev\n' }, 'dev work', { branch: 'dev', from: 'trunk' });
  const pr = await commitFiles(repo, { 'pr.txt': 'pr\n' }, 'pull request', {
    branch: 'pr-source',
    from: first,
  });
  // 'master' stays on the first commit while HEAD points to 'trunk': no ref means master, as Flux.
  await makeRepo(repo.dir, {
    defaultBranch: 'trunk',
    refs: { 'refs/pull/1/head': pr },
    branches: { master: first },
  });
  const v2 = await commitFiles(repo, { 'v2.txt': 'two\n' }, 'version two', {
    branch: 'release-2',
    from: 'trunk',
  });
  await makeRepo(repo.dir, { defaultBranch: 'trunk', tags: [{ name: 'v2.0.0', at: v2 }] });
  const noSha = await makeRepo(join(root, 'nosha.git'), {
    defaultBranch: 'main',
    allowAnySha1InWant: false,
    commits: [{ files: { 'a.txt': '1' } }, { files: { 'a.txt': '2' } }, { files: { 'a.txt': '3' } }],
  });
  await makeRepo(join(root, 'empty.git'), { defaultBranch: 'main' });
  const [anon, basic, bearer, tls, mtls, ssh, stall] = await startAll([
    startGitHttpServer({ root }),
    startGitHttpServer({ root, auth: { type: 'basic', username: 'alice', password: PASSWORD } }),
    startGitHttpServer({ root, auth: { type: 'bearer', token: TOKEN } }),
    startGitHttpServer({ root, tls: true }),
    startGitHttpServer({ root, tls: true, requireClientCert: true }),
    startSshGitServer({ root }),
    startStallServer(),
  ]);
  fx = {
    root,
    repo,
    noSha,
    anon,
    basic,
    bearer,
    tls,
    mtls,
    ssh,
    stall,
    commits: { first, second, dev, pr, v2 },
  };
});

after(async () => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
  if (!fx) return;
  await Promise.all([fx.anon, fx.basic, fx.bearer, fx.tls, fx.mtls, fx.ssh, fx.stall].map((s) => s.stop()));
  rmSync(fx.root, { recursive: true, force: true });
});

/** Independent tests of one suite run this many at a time: their waits (handshakes, timeouts) overlap. */
const SIDE_BY_SIDE = 4;

const backends: Array<() => GitBackend> = [() => new SystemGitBackend(), () => new IsomorphicGitBackend()];

interface Transport {
  name: 'http' | 'ssh';
  url(repo: string): string;
  auth(): GitAuth | undefined;
}

const transports: Transport[] = [
  { name: 'http', url: (r) => fx.anon.url(r), auth: () => undefined },
  {
    name: 'ssh',
    url: (r) => fx.ssh.url(r),
    auth: () => ({ username: fx.ssh.user, sshIdentity: fx.ssh.clientKey, knownHosts: fx.ssh.knownHosts }),
  },
];

async function expectGitError(
  p: Promise<unknown>,
  reason: GitErrorReason,
  secrets: string[] = [],
): Promise<GitError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GitError, `expected GitError, got ${String(err)}`);
    assert.equal(err.reason, reason, `reason for: ${err.message}`);
    for (const s of secrets) assert.ok(!err.message.includes(s), `message leaks a secret: ${err.message}`);
    return err;
  }
  assert.fail(`expected ${reason}`);
}

for (const makeBackend of backends) {
  const backend = makeBackend();
  for (const t of transports) {
    describe(`${backend.name} backend over ${t.name}`, () => {
      const opts = () => ({ auth: t.auth(), timeoutMs: 30_000 });
      const checkout = async (ref: RefSpec, repo = 'repo.git') => {
        const dir = join(scratch(), 'src');
        const res = await backend.checkout(t.url(repo), ref, dir, opts());
        return { res, dir };
      };

      // Checkouts with their own scratch directories and nothing that changes the repository run
      // side by side; the test below counts the server's requests, so it runs alone.
      describe('refs, revisions and failing servers', { concurrency: SIDE_BY_SIDE }, () => {
        it('checks out master, not the remote HEAD, when no ref is set (as Flux)', async () => {
          const { res, dir } = await checkout({});
          assert.equal(res.revision, `master@sha1:${fx.commits.first}`);
          assert.equal(res.ref, 'master');
          assert.equal(res.message, 'first commit');
          assert.equal(readFileSync(join(dir, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\n');
          assert.equal((await backend.resolve(t.url('repo.git'), {}, opts()))?.revision, res.revision);
        });

        it('checks out the remote default branch when it is named', async () => {
          const { res, dir } = await checkout({ branch: 'trunk' });
          assert.equal(res.revision, `trunk@sha1:${fx.commits.second}`);
          assert.equal(res.message, 'second commit');
          assert.equal(readFileSync(join(dir, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\nversion: 2\n');
          assert.ok(!existsSync(join(dir, 'dev.txt')));
        });

        it('refuses a tag named as a branch', async () => {
          await expectGitError(checkout({ branch: 'v1.0.0' }), 'RefNotFound');
        });

        it('checks out a branch', async () => {
          const { res, dir } = await checkout({ branch: 'dev' });
          assert.equal(res.revision, `dev@sha1:${fx.commits.dev}`);
          assert.equal(res.message, 'dev work');
          assert.ok(existsSync(join(dir, 'dev.txt')));
          assert.equal(res.tag, undefined);
        });

        it('checks out a lightweight tag', async () => {
          const { res } = await checkout({ tag: 'v0.9.0', branch: 'dev' });
          assert.equal(res.revision, `v0.9.0@sha1:${fx.commits.second}`);
          assert.deepEqual(res.tag, { name: 'v0.9.0', annotated: false });
        });

        it('checks out an annotated tag at its peeled commit', async () => {
          const { res } = await checkout({ tag: 'v1.0.0' });
          assert.equal(res.revision, `v1.0.0@sha1:${fx.commits.second}`);
          assert.equal(res.commit, fx.commits.second);
          assert.equal(res.tag?.annotated, true);
        });

        it('picks the highest tag matching a semver range, prereleases only when asked', async () => {
          assert.equal(
            (await checkout({ semver: '>=0.1.0 <2.0.0', tag: 'v0.9.0' })).res.revision,
            `v1.0.0@sha1:${fx.commits.second}`,
          );
          assert.equal(
            (await checkout({ semver: '>=1.1.0-0 <2.0.0' })).res.revision,
            `v1.1.0-rc.1@sha1:${fx.commits.second}`,
          );
          const { res, dir } = await checkout({ semver: '*' });
          assert.equal(res.revision, `v2.0.0@sha1:${fx.commits.v2}`);
          assert.ok(existsSync(join(dir, 'v2.txt')));
          await expectGitError(checkout({ semver: '>=5.0.0' }), 'RefNotFound');
        });

        it('checks out an arbitrary ref name with the full ref in the revision', async () => {
          const { res, dir } = await checkout({ name: 'refs/pull/1/head', branch: 'dev' });
          assert.equal(res.revision, `refs/pull/1/head@sha1:${fx.commits.pr}`);
          assert.ok(existsSync(join(dir, 'pr.txt')));
          const tagByName = (await checkout({ name: 'refs/tags/v1.0.0' })).res;
          assert.equal(tagByName.revision, `refs/tags/v1.0.0@sha1:${fx.commits.second}`);
          assert.equal(tagByName.tag?.annotated, true);
        });

        it('checks out a commit, bare or with its branch, ahead of every other ref', async () => {
          const bare = await checkout({ commit: fx.commits.first, tag: 'v1.0.0', name: 'refs/pull/1/head' });
          assert.equal(bare.res.revision, `sha1:${fx.commits.first}`);
          assert.equal(bare.res.ref, '');
          assert.equal(readFileSync(join(bare.dir, 'deploy/app.yaml'), 'utf8'), 'kind: ConfigMap\n');
          const withBranch = await checkout({ commit: fx.commits.first, branch: 'trunk' });
          assert.equal(withBranch.res.revision, `trunk@sha1:${fx.commits.first}`);
          assert.equal(withBranch.res.message, 'first commit');
        });

        it('finds a commit through branch history when the server refuses SHA wants', async () => {
          const target = await fx.noSha.rev('main~1');
          const { res, dir } = await checkout({ commit: target, branch: 'main' }, 'nosha.git');
          assert.equal(res.revision, `main@sha1:${target}`);
          assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), '2');
          await expectGitError(
            checkout({ commit: 'c'.repeat(40), branch: 'main' }, 'nosha.git'),
            'RefNotFound',
          );
        });

        it('reports an empty repository as RefNotFound', async () => {
          await expectGitError(checkout({}, 'empty.git'), 'RefNotFound');
          await expectGitError(backend.resolve(t.url('empty.git'), {}, opts()), 'RefNotFound');
          await expectGitError(checkout({ branch: 'main' }, 'empty.git'), 'RefNotFound');
        });

        it('reports missing refs as RefNotFound', async () => {
          await expectGitError(checkout({ branch: 'nope' }), 'RefNotFound');
          await expectGitError(checkout({ tag: 'v9.9.9' }), 'RefNotFound');
          await expectGitError(checkout({ name: 'refs/pull/99/head' }), 'RefNotFound');
          await expectGitError(backend.resolve(t.url('repo.git'), { branch: 'nope' }, opts()), 'RefNotFound');
        });

        it('refuses a stalled server after the timeout', async () => {
          const url =
            t.name === 'http'
              ? fx.stall.url('repo.git')
              : `ssh://${fx.ssh.user}@127.0.0.1:${fx.stall.port}/repo.git`;
          const started = Date.now();
          const err = await expectGitError(
            backend.checkout(url, {}, join(scratch(), 'x'), { auth: t.auth(), timeoutMs: 1500 }),
            'Timeout',
          );
          assert.match(err.message, /timed out after 1\.5s|timed out after 1500ms/);
          assert.ok(Date.now() - started < 10_000);
        });

        it('reports an unreachable host', async () => {
          const port = await freePort();
          const url =
            t.name === 'http' ? `http://127.0.0.1:${port}/repo.git` : `ssh://git@127.0.0.1:${port}/repo.git`;
          await expectGitError(backend.resolve(url, {}, opts()), 'Unreachable');
        });

        it('stops when the caller aborts', async () => {
          const ac = new AbortController();
          const url =
            t.name === 'http' ? fx.stall.url('repo.git') : `ssh://git@127.0.0.1:${fx.stall.port}/repo.git`;
          setTimeout(() => ac.abort(), 300);
          const err = await expectGitError(
            backend.resolve(url, {}, { auth: t.auth(), timeoutMs: 60_000, signal: ac.signal }),
            'Timeout',
          );
          assert.match(err.message, /cancelled/);
        });
      });

      it('resolves refs without fetching and sees new commits', async () => {
        const resolve = (ref: RefSpec) => backend.resolve(t.url('repo.git'), ref, opts());
        const before = fx.anon.requests.length;
        assert.equal((await resolve({ branch: 'trunk' }))?.revision, `trunk@sha1:${fx.commits.second}`);
        assert.equal((await resolve({ branch: 'dev' }))?.revision, `dev@sha1:${fx.commits.dev}`);
        assert.equal((await resolve({ tag: 'v1.0.0' }))?.revision, `v1.0.0@sha1:${fx.commits.second}`);
        assert.equal((await resolve({ semver: '<2' }))?.revision, `v1.0.0@sha1:${fx.commits.second}`);
        assert.equal(
          (await resolve({ name: 'refs/pull/1/head' }))?.revision,
          `refs/pull/1/head@sha1:${fx.commits.pr}`,
        );
        assert.equal(await resolve({ commit: fx.commits.first }), undefined);
        if (t.name === 'http') {
          const kinds = fx.anon.requests.slice(before).map((r) => r.kind);
          assert.ok(kinds.length > 0);
          assert.ok(!kinds.includes('fetch'), `resolve fetched a pack: ${kinds.join(',')}`);
        }
        const next = await commitFiles(fx.repo, { 'later.txt': `${t.name}-${backend.name}\n` }, 'later', {
          branch: 'moving',
          from: 'trunk',
        });
        assert.equal((await resolve({ branch: 'moving' }))?.revision, `moving@sha1:${next}`);
        assert.equal((await checkout({ branch: 'moving' })).res.commit, next);
      });
    });
  }

  describe(`${backend.name} backend: HTTP authentication and TLS`, { concurrency: SIDE_BY_SIDE }, () => {
    const run = (url: string, auth?: GitAuth) =>
      backend.resolve(url, { branch: 'trunk' }, { timeoutMs: 30_000, ...(auth ? { auth } : {}) });

    it('authenticates with basic auth and rejects a wrong password without leaking it', async () => {
      assert.ok(await run(fx.basic.url('repo.git'), { username: 'alice', password: PASSWORD }));
      const wrong = `${PASSWORD}-wrong`;
      const err = await expectGitError(
        run(fx.basic.url('repo.git'), { username: 'alice', password: wrong }),
        'AuthenticationFailed',
        [wrong],
      );
      assert.match(err.message, /rejected the credentials/);
      await expectGitError(
        backend.checkout(fx.basic.url('repo.git'), { branch: 'trunk' }, join(scratch(), 'x'), {
          timeoutMs: 30_000,
          auth: { username: 'alice', password: wrong },
        }),
        'AuthenticationFailed',
        [wrong],
      );
      const none = await expectGitError(run(fx.basic.url('repo.git')), 'AuthenticationFailed');
      assert.match(none.message, /requires credentials/);
    });

    it('uses URL userinfo as a fallback but never shows it', async () => {
      const url = fx.basic.url('repo.git').replace('http://', `http://alice:${PASSWORD}@`);
      assert.ok(await run(url));
      const bad = fx.basic.url('repo.git').replace('http://', 'http://alice:userinfo-secret@');
      await expectGitError(run(bad), 'AuthenticationFailed', ['userinfo-secret']);
    });

    it('authenticates with a bearer token and rejects a wrong one without leaking it', async () => {
      assert.ok(await run(fx.bearer.url('repo.git'), { bearerToken: TOKEN }));
      const wrong = `${TOKEN}-x`;
      await expectGitError(run(fx.bearer.url('repo.git'), { bearerToken: wrong }), 'AuthenticationFailed', [
        wrong,
      ]);
    });

    it('trusts a server certificate only through ca.crt', async () => {
      await expectGitError(run(fx.tls.url('repo.git')), 'HostKeyMismatch');
      const { res } = await (async () => {
        const dir = join(scratch(), 'x');
        return {
          res: await backend.checkout(fx.tls.url('repo.git'), { tag: 'v1.0.0' }, dir, {
            timeoutMs: 30_000,
            auth: { caCert: fx.tls.caCert! },
          }),
        };
      })();
      assert.equal(res.revision, `v1.0.0@sha1:${fx.commits.second}`);
    });

    it('presents a client certificate from tls.crt/tls.key', async () => {
      const auth = { caCert: fx.mtls.caCert!, tlsCert: fx.mtls.clientCert!, tlsKey: fx.mtls.clientKey! };
      assert.equal((await run(fx.mtls.url('repo.git'), auth))?.revision, `trunk@sha1:${fx.commits.second}`);
      await expectGitError(run(fx.mtls.url('repo.git'), { caCert: fx.mtls.caCert! }), 'AuthenticationFailed');
    });
  });

  describe(`${backend.name} backend: SSH authentication and host keys`, { concurrency: SIDE_BY_SIDE }, () => {
    const url = () => fx.ssh.url('repo.git');
    const base = (): GitAuth => ({
      username: fx.ssh.user,
      sshIdentity: fx.ssh.clientKey,
      knownHosts: fx.ssh.knownHosts,
    });
    const run = (auth: GitAuth | undefined) =>
      backend.resolve(url(), { branch: 'trunk' }, { timeoutMs: 30_000, ...(auth ? { auth } : {}) });

    it('accepts hashed known_hosts entries and encrypted keys with their password', async () => {
      assert.ok(await run({ ...base(), knownHosts: fx.ssh.knownHostsHashed }));
      const enc = {
        ...base(),
        sshIdentity: fx.ssh.encryptedClientKey,
        sshPassphrase: fx.ssh.clientKeyPassphrase,
      };
      const dir = join(scratch(), 'x');
      const res = await backend.checkout(url(), { branch: 'dev' }, dir, { timeoutMs: 30_000, auth: enc });
      assert.equal(res.revision, `dev@sha1:${fx.commits.dev}`);
    });

    it('rejects a key the server does not accept, without leaking it', async () => {
      const err = await expectGitError(
        run({ ...base(), sshIdentity: fx.ssh.wrongKey }),
        'AuthenticationFailed',
        [fx.ssh.wrongKey.split('\n')[1]!],
      );
      assert.match(err.message, /rejected the SSH key/);
    });

    it('rejects a wrong key password', async () => {
      await expectGitError(
        run({ ...base(), sshIdentity: fx.ssh.encryptedClientKey, sshPassphrase: 'not the passphrase' }),
        'AuthenticationFailed',
        ['not the passphrase'],
      );
    });

    it('refuses a mismatched host key', async () => {
      const err = await expectGitError(
        run({ ...base(), knownHosts: fx.ssh.wrongKnownHosts }),
        'HostKeyMismatch',
      );
      assert.match(err.message, /does not match/);
    });

    it('refuses a host missing from known_hosts (no trust on first use)', async () => {
      const other = fx.ssh.knownHosts.replace(`[127.0.0.1]:${fx.ssh.port}`, '[127.0.0.1]:1');
      const err = await expectGitError(run({ ...base(), knownHosts: other }), 'HostKeyMismatch');
      assert.match(err.message, /not in 'known_hosts'/);
      await expectGitError(run(undefined), 'AuthenticationFailed');
    });
  });
}

describe('fetched trees (what the reconciler archives)', () => {
  // Names whose order differs between a plain sort and Git's tree order ('a' vs 'a-b' vs 'a.b'),
  // an executable, a symlink, a submodule, nested .sourceignore files, a file read in chunks,
  // an empty file, spaces and non-ASCII names.
  let url: string;
  before(async () => {
    const work = tempDir('mooring-git-tree-');
    scratchDirs.push(work);
    const files: Record<string, string | Buffer> = {
      'a/b.yaml': 'kind: A\n',
      'a-b/c.yaml': 'kind: B\n',
      'a.b': 'dot\n',
      'deploy/app one.yaml': 'kind: C\n',
      'deploy/ünïcode.yaml': 'kind: D\n',
      'deploy/empty.yaml': '',
      'deploy/.sourceignore': '*.tmp\n',
      'deploy/scratch.tmp': 'ignored\n',
      'deploy/nested/deep/x.tmp': 'ignored too\n',
      'deploy/nested/deep/keep.yaml': 'kept\n',
      '.sourceignore': '/docs/\n',
      'docs/readme.md': 'ignored dir\n',
      'run.sh': '#!/bin/sh\necho hi\n',
      'big/blob.bin': Buffer.alloc(1_500_000, 7),
    };
    const g = (args: string[]) => git(args, { cwd: work });
    await g(['init', '-q', '--initial-branch=main', '.']);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(work, path)), { recursive: true });
      writeFileSync(join(work, path), content);
    }
    chmodSync(join(work, 'run.sh'), 0o755);
    symlinkSync('/etc/passwd', join(work, 'escape'));
    await g(['add', '-A']);
    await g(['update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},vendor/sub`]);
    await g(['commit', '-q', '-m', 'tree']);
    const bare = join(fx.root, 'tree.git');
    await git(['clone', '-q', '--bare', work, bare]);
    url = fx.anon.url('tree.git');
  });

  it('both backends give the same entries and archive bytes as an archive of the checkout', async () => {
    const digests = new Set<string>();
    for (const makeBackend of backends) {
      const backend = makeBackend();
      const fetched = await backend.fetch(url, { branch: 'main' }, join(scratch(), 'f'), {
        timeoutMs: 30_000,
      });
      const checkoutDir = join(scratch(), 'c');
      await backend.checkout(url, { branch: 'main' }, checkoutDir, { timeoutMs: 30_000 });
      const out = scratch();
      const fromFetch = await archiveTree(
        fetched.tree,
        join(out, 'fetch.tar.gz'),
        await loadIgnoreFilter(fetched.tree, undefined),
      );
      const fromDisk = await archiveDirectory(
        checkoutDir,
        join(out, 'disk.tar.gz'),
        await loadIgnoreFilter(checkoutDir, undefined),
      );
      assert.equal(fromFetch.digest, fromDisk.digest, `${backend.name}: fetched tree = checkout`);
      digests.add(fromFetch.digest);
      const listing = execFileSync('tar', ['-tvzf', join(out, 'fetch.tar.gz')]).toString();
      const names = listing
        .trim()
        .split('\n')
        .map((l) => l.split(/ +/).slice(5).join(' '));
      assert.deepEqual(names, [
        '.sourceignore',
        'a/',
        'a/b.yaml',
        'a-b/',
        'a-b/c.yaml',
        'a.b',
        'big/',
        'big/blob.bin',
        'deploy/',
        'deploy/.sourceignore',
        'deploy/app one.yaml',
        'deploy/empty.yaml',
        'deploy/nested/',
        'deploy/nested/deep/',
        'deploy/nested/deep/keep.yaml',
        'deploy/ünïcode.yaml',
        'run.sh',
        'vendor/',
        'vendor/sub/',
      ]);
      assert.match(listing, /^-rwx------ 0\/0 +18 .* run\.sh$/m);
      const blob = execFileSync('tar', ['-xzOf', join(out, 'fetch.tar.gz'), 'big/blob.bin'], {
        maxBuffer: 4 * 1024 * 1024,
      });
      assert.ok(blob.equals(Buffer.alloc(1_500_000, 7)), 'large file intact');
    }
    assert.equal(digests.size, 1, 'one revision, one artifact, whichever backend fetched it');
  });
});
