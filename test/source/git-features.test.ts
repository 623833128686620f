// The optional GitRepository features at the backend level, against real servers on 127.0.0.1:
// an HTTP(S) proxy (CONNECT / forward), sparse checkout (and what system git does not download),
// and submodules over HTTP and SSH with the parent's credentials.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IsomorphicGitBackend } from '../../src/source/git/isomorphic.js';
import { SystemGitBackend, sparsePatterns } from '../../src/source/git/system.js';
import type { GitAuth, GitBackend, GitOptions } from '../../src/source/git/types.js';
import { sparseDirectories } from '../../src/source/reconciler.js';
import {
  type GitHttpServer,
  git,
  makeRepo,
  type SshGitServer,
  startGitHttpServer,
  startProxy,
  startSshGitServer,
  type TestProxy,
  tempDir,
} from '../helpers/gitserver.js';

const PROXY_PASSWORD = 'proxy-pass-very-secret';
let root: string;
let anon: GitHttpServer;
let tls: GitHttpServer;
let basic: GitHttpServer;
let ssh: SshGitServer;
let proxy: TestProxy;
let bigBlob: string;
const scratch: string[] = [];
const dir = () => {
  const d = tempDir('mooring-feat-');
  scratch.push(d);
  return join(d, 'x');
};

before(async () => {
  root = tempDir('mooring-feat-repos-');
  await makeRepo(join(root, 'mono.git'), {
    commits: [
      {
        files: {
          'README.md': 'root file\n',
          'apps/a/app.yaml': 'a: 1\n',
          'apps/b/app.yaml': 'b: 1\n',
          'infra/net.yaml': 'net: 1\n',
          'assets/big.bin': randomBytes(3_000_000), // incompressible: its download shows in the byte count
        },
      },
    ],
  });
  bigBlob = await git(['--git-dir', join(root, 'mono.git'), 'rev-parse', 'main:assets/big.bin']);
  const sub = await makeRepo(join(root, 'sub.git'), { commits: [{ files: { 'lib.yaml': 'lib: 1\n' } }] });
  const work = tempDir('mooring-feat-parent-');
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
  await git(['-C', work, 'commit', '-q', '-m', 'with a submodule']);
  await git(['clone', '-q', '--bare', work, join(root, 'parent.git')]);
  rmSync(work, { recursive: true, force: true });
  [anon, tls, basic, ssh, proxy] = await Promise.all([
    startGitHttpServer({ root }),
    startGitHttpServer({ root, tls: true }),
    startGitHttpServer({ root, auth: { type: 'basic', username: 'alice', password: 'sub-secret-pass' } }),
    startSshGitServer({ root }),
    startProxy({ username: 'px', password: PROXY_PASSWORD }),
  ]);
});

after(async () => {
  await Promise.all([anon, tls, basic, ssh, proxy].map((s) => s?.stop()));
  for (const d of [root, ...scratch]) if (d) rmSync(d, { recursive: true, force: true });
});

const backends: GitBackend[] = [new SystemGitBackend(), new IsomorphicGitBackend()];
const opts = (extra: Partial<GitOptions> = {}): GitOptions => ({ timeoutMs: 60_000, ...extra });
const proxyUrl = (password = PROXY_PASSWORD) =>
  `http://px:${encodeURIComponent(password)}@127.0.0.1:${proxy.port}`;
const names = async (backend: GitBackend, url: string, o: GitOptions) => {
  const { tree } = await backend.fetch(url, { branch: 'main' }, dir(), o);
  return (await tree.entries()).map((e) => e.path);
};

describe('sparse checkout directories', () => {
  it('normalizes like Flux (leading ./ trimmed) and refuses paths outside the repository', () => {
    assert.deepEqual(sparseDirectories(['./apps/a', 'infra/']), ['apps/a', 'infra']);
    for (const bad of ['../x', '/abs', '.', './', 'a/../b', ''])
      assert.throws(() => sparseDirectories([bad]));
    assert.equal(sparsePatterns(['apps/a', 'we*rd']), '/apps/a/\n/we\\*rd/\n');
  });
});

for (const backend of backends) {
  describe(`${backend.name} backend: proxy, sparse checkout, submodules`, () => {
    it('reaches an https:// remote through the proxy with its credentials (CONNECT)', async () => {
      const before = proxy.connects.length;
      const o = opts({ proxyUrl: proxyUrl(), auth: { caCert: tls.caCert! } });
      const res = await backend.resolve(tls.url('mono.git'), { branch: 'main' }, o);
      assert.ok(res?.revision.startsWith('main@sha1:'));
      assert.ok(proxy.connects.slice(before).includes(`127.0.0.1:${tls.port}`), proxy.connects.join(','));
    });

    it('sends http:// remotes through the proxy too', async () => {
      const through = proxy.connects.length + proxy.forwarded.length;
      const o = opts({ proxyUrl: proxyUrl() });
      assert.ok((await names(backend, anon.url('mono.git'), o)).includes('apps/a/app.yaml'));
      assert.ok(
        proxy.connects.length + proxy.forwarded.length > through,
        'no request went through the proxy',
      );
    });

    it('fails with a wrong proxy password and does not show it', async () => {
      const wrong = 'wrong-proxy-password-123';
      const refused = proxy.refused;
      await assert.rejects(
        backend.resolve(
          tls.url('mono.git'),
          { branch: 'main' },
          opts({ proxyUrl: proxyUrl(wrong), auth: { caCert: tls.caCert! } }),
        ),
        (err: Error) => !err.message.includes(wrong),
      );
      assert.ok(proxy.refused > refused);
    });

    it('sparse checkout: the tree holds only the listed directories', async () => {
      const listed = await names(
        backend,
        anon.url('mono.git'),
        opts({ sparseCheckout: ['apps/a', 'infra'] }),
      );
      assert.deepEqual(listed.sort(), ['apps', 'apps/a', 'apps/a/app.yaml', 'infra', 'infra/net.yaml']);
    });

    if (backend.name === 'git') {
      it('sparse checkout downloads no blob outside the listed directories (partial clone)', async () => {
        const d = dir();
        const before = anon.requests.length;
        await backend.fetch(anon.url('mono.git'), { branch: 'main' }, d, opts({ sparseCheckout: ['apps'] }));
        const served = anon.requests.slice(before).reduce((n, r) => n + r.bytes, 0);
        assert.ok(served < 1_000_000, `served ${served} bytes: the 3 MB blob was downloaded`);
        // --missing=print lists what the partial clone left out, without fetching it.
        const objects = await git([
          '--git-dir',
          join(d, '.git'),
          'rev-list',
          '--objects',
          '--missing=print',
          'HEAD',
        ]);
        assert.ok(
          objects.split('\n').includes(`?${bigBlob}`),
          'the untouched blob is not in the object store',
        );
      });

      for (const transport of ['http', 'ssh'] as const) {
        it(`checks out submodules over ${transport} with the parent's credentials`, async () => {
          const url = transport === 'http' ? basic.url('parent.git') : ssh.url('parent.git');
          const auth: GitAuth =
            transport === 'http'
              ? { username: 'alice', password: 'sub-secret-pass' }
              : { username: ssh.user, sshIdentity: ssh.clientKey, knownHosts: ssh.knownHosts };
          const listed = await names(backend, url, opts({ auth, recurseSubmodules: true }));
          assert.ok(listed.includes('vendor/sub/lib.yaml'), listed.join(','));
          assert.ok(!listed.some((p) => p.endsWith('.git')), 'no Git data in the tree');
          const without = await names(backend, url, opts({ auth }));
          assert.ok(without.includes('vendor/sub') && !without.includes('vendor/sub/lib.yaml'));
        });
      }
    } else {
      it('refuses submodules (the reconciler stalls before this)', async () => {
        await assert.rejects(
          backend.fetch(anon.url('parent.git'), { branch: 'main' }, dir(), opts({ recurseSubmodules: true })),
          /cannot check out submodules/,
        );
      });
    }
  });
}
