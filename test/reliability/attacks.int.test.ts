// Attacks on the build sandbox, the artifact path and the transport: kustomize resources, patches
// and symlinks reaching outside the artifact, spec.path escaping the root, a tampered or truncated
// artifact in storage, the artifact server asked for files outside storage or for a listing, and an
// HTTPS server whose certificate is not trusted. Each is refused with a clear Ready=False and
// nothing is applied; no file from outside the artifact is read into a message.
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Condition } from '../../src/api/meta.js';
import { ContentType } from '../../src/kube/client.js';
import { eventually } from '../helpers/cluster.js';
import { git, type Repo, startGitHttpServer, tempDir } from '../helpers/gitserver.js';
import { configMapYaml, kustomizationEnv, readyOf } from '../kustomization/harness.js';

const env = await kustomizationEnv({ prefix: 'rel-atk' });
const GR_API = '/apis/source.toolkit.fluxcd.io/v1';
// Text only /etc/passwd holds: if it shows up in a status, the sandbox leaked.
const PASSWD_MARK = /root:x?:0:0|\/bin\/(ba)?sh/;

interface GitRepositoryLive {
  metadata: { generation?: number };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    artifact?: { path: string; url: string; digest: string; revision: string };
  };
}

/** Commits symlinks (mode 120000) onto main, as a repository author could. */
async function commitSymlinks(repo: Repo, links: Record<string, string>): Promise<void> {
  const work = tempDir('mooring-symlink-');
  const env2 = { GIT_INDEX_FILE: join(work, 'index') };
  const g = (args: string[], input?: string) =>
    input === undefined
      ? git(['--git-dir', repo.dir, ...args], { env: env2 })
      : new Promise<string>((resolve, reject) => {
          // hash-object reads stdin; git() has no stdin, so write the target to a file.
          const f = join(work, 'target');
          writeFileSync(f, input);
          git(['--git-dir', repo.dir, 'hash-object', '-w', f], { env: env2 }).then(resolve, reject);
        });
  const parent = await repo.rev('main');
  await g(['read-tree', parent]);
  for (const [path, target] of Object.entries(links)) {
    const blob = await g([], target);
    await g(['update-index', '--add', '--cacheinfo', `120000,${blob},${path}`]);
  }
  const tree = await g(['write-tree']);
  const commit = await g(['commit-tree', tree, '-p', parent, '-m', 'symlinks']);
  await g(['update-ref', 'refs/heads/main', commit]);
}

async function gitRepository(name: string): Promise<GitRepositoryLive | undefined> {
  return (await env.get(`${GR_API}/namespaces/${env.ns}/gitrepositories/${name}`)) as
    | GitRepositoryLive
    | undefined;
}

describe('kustomize and spec.path confined to the artifact', { concurrency: 3 }, async () => {
  const good = configMapYaml('sandbox-good', { ok: 'yes' });
  const files = {
    'res/kustomization.yaml': 'resources:\n  - good.yaml\n  - ../../../../../../../../etc/passwd\n',
    'res/good.yaml': good,
    'patch/kustomization.yaml':
      'resources:\n  - good.yaml\npatches:\n  - path: ../../../../../../../../etc/passwd\n',
    'patch/good.yaml': good,
    'abs/kustomization.yaml': 'resources:\n  - good.yaml\n  - /etc/passwd\n',
    'abs/good.yaml': good,
    'link/kustomization.yaml': 'resources:\n  - good.yaml\n  - passwd.yaml\n',
    'link/good.yaml': good,
    'app/good.yaml': good,
  };
  const src = await env.source('sandbox', files);
  await commitSymlinks(src.repo, { 'link/passwd.yaml': '/etc/passwd', 'etc-dir': '/etc', 'up-dir': '../..' });
  const linked = await src.push({}, 'nothing');
  await src.waitArtifact(linked);

  const cases: Array<{ name: string; path: string; reason: string; message: RegExp }> = [
    { name: 'res-dotdot', path: './res', reason: 'BuildFailed', message: /passwd/ },
    { name: 'patch-dotdot', path: './patch', reason: 'BuildFailed', message: /passwd/ },
    { name: 'res-absolute', path: './abs', reason: 'BuildFailed', message: /passwd/ },
    { name: 'res-symlink', path: './link', reason: 'BuildFailed', message: /passwd\.yaml/ },
    { name: 'path-dotdot', path: '../..', reason: 'ArtifactFailed', message: /\.\.\/\.\./ },
    { name: 'path-etc', path: '../../../../../../etc', reason: 'ArtifactFailed', message: /etc/ },
    { name: 'path-symlink-dir', path: './etc-dir', reason: 'ArtifactFailed', message: /etc-dir/ },
    { name: 'path-symlink-up', path: './up-dir', reason: 'ArtifactFailed', message: /up-dir/ },
  ];
  for (const c of cases) {
    test(`${c.name}: ${c.reason}, nothing read from outside, nothing applied`, {
      timeout: 120_000,
    }, async (t) => {
      await env.applyKustomization(c.name, {
        sourceRef: { kind: 'GitRepository', name: 'sandbox' },
        path: c.path,
        targetNamespace: env.ns,
      });
      const ks = await env.waitFailed(c.name, c.reason, { timeoutMs: 100_000 });
      const ready = readyOf(ks)!;
      t.diagnostic(ready.message.slice(0, 300));
      assert.match(ready.message, c.message);
      assert.doesNotMatch(JSON.stringify(ks.status), PASSWD_MARK, 'no content of /etc/passwd in the status');
      assert.equal(ks.status?.lastAppliedRevision, undefined);
      assert.equal(ks.status?.inventory?.entries?.length ?? 0, 0);
    });
  }
  test('none of them applied the valid object next to the escape', async () => {
    assert.equal(await env.configMap('sandbox-good'), undefined);
    assert.doesNotMatch(env.controller!.logs(), PASSWD_MARK, 'no content of /etc/passwd in the log');
  });
});

describe('tampered artifacts in storage', () => {
  const storagePath = (): string => {
    const args = env.controller!.process.spawnargs;
    const i = args.indexOf('--storage-path');
    return args[i + 1]!;
  };

  for (const how of ['flipped', 'truncated'] as const) {
    test(`a ${how} artifact is refused by its digest, nothing applied`, { timeout: 120_000 }, async (t) => {
      const name = `tamper-${how}`;
      const src = await env.source(name, { 'app/cm.yaml': configMapYaml(`${name}-cm`, { a: '1' }) });
      await src.waitArtifact(src.revision);
      // No source pass may rewrite the file after it is tampered with: suspend the source first.
      await env.client.patch(
        `${GR_API}/namespaces/${env.ns}/gitrepositories/${name}`,
        { spec: { suspend: true } },
        ContentType.mergePatch,
      );
      await eventually('the suspension is observed', async () => {
        const g = await gitRepository(name);
        return g?.metadata.generation !== undefined && g.status?.observedGeneration === g.metadata.generation;
      });
      const artifact = (await gitRepository(name))!.status!.artifact!;
      const file = join(storagePath(), artifact.path);
      const bytes = readFileSync(file);
      if (how === 'flipped') {
        // Same length, one byte of the compressed payload changed.
        const at = Math.floor(bytes.length / 2);
        bytes[at] = (bytes[at] ?? 0) ^ 0xff;
        writeFileSync(file, bytes);
      } else {
        truncateSync(file, Math.floor(bytes.length / 2));
      }
      await env.applyKustomization(name, {
        sourceRef: { kind: 'GitRepository', name },
        path: './app',
        targetNamespace: env.ns,
      });
      const ks = await env.waitFailed(name, 'ArtifactFailed', { timeoutMs: 100_000 });
      const message = readyOf(ks)!.message;
      t.diagnostic(message.slice(0, 300));
      assert.match(message, /digest|size|truncated|unexpected end/i);
      assert.equal(await env.configMap(`${name}-cm`), undefined, 'nothing applied');
      assert.equal(ks.status?.lastAppliedRevision, undefined);
    });
  }
});

describe('the artifact server', () => {
  const raw = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: env.controller!.storagePort, path, method: 'GET' },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  test('serves nothing outside storage and lists nothing', { timeout: 30_000 }, async () => {
    // The root is the readiness probe (as Flux's source-controller): "ok", nothing else.
    assert.equal((await raw('/')).body, 'ok\n');
    for (const path of [
      '/gitrepository/',
      `/gitrepository/${env.ns}/`,
      '/../../../../etc/passwd',
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/gitrepository/..%2f..%2f..%2f..%2f..%2fetc/passwd',
      '//etc/passwd',
    ]) {
      const r = await raw(path);
      assert.notEqual(r.status, 200, `${path} answered 200`);
      assert.doesNotMatch(r.body, PASSWD_MARK, `${path} leaked /etc/passwd`);
      assert.doesNotMatch(r.body, /\.tar\.gz/, `${path} listed artifacts`);
    }
  });
});

describe('HTTPS trust', () => {
  test('a certificate from an unknown CA is refused; with the CA in the Secret it works', {
    timeout: 120_000,
  }, async (t) => {
    const root = tempDir('mooring-rel-tls-');
    const { makeRepo } = await import('../helpers/gitserver.js');
    await makeRepo(join(root, 'app.git'), {
      commits: [{ files: { 'app/cm.yaml': configMapYaml('tls-cm', { a: '1' }) } }],
    });
    const server = await startGitHttpServer({ root, tls: true });
    try {
      await env.kubectl(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'source.toolkit.fluxcd.io/v1',
          kind: 'GitRepository',
          metadata: { name: 'tls' },
          spec: { interval: '10m', timeout: '20s', url: server.url('app.git'), ref: { branch: 'main' } },
        }),
      );
      const failed = await eventually(
        'GitRepository tls refused',
        async () => {
          const r = readyOf(await gitRepository('tls'));
          return r?.status === 'False' ? r : undefined;
        },
        90_000,
      );
      t.diagnostic(`${failed.reason}: ${failed.message}`);
      assert.match(failed.message, /certificate|self[- ]signed|issuer|verify/i);
      assert.equal((await gitRepository('tls'))?.status?.artifact, undefined, 'no artifact');

      await env.kubectl(['create', 'secret', 'generic', 'tls-ca', `--from-literal=ca.crt=${server.caCert}`]);
      await env.kubectl([
        'patch',
        'gitrepository',
        'tls',
        '--type=merge',
        '-p',
        '{"spec":{"secretRef":{"name":"tls-ca"}}}',
      ]);
      await eventually(
        'GitRepository tls Ready with the CA',
        async () => readyOf(await gitRepository('tls'))?.status === 'True',
        90_000,
      );
    } finally {
      await server.stop();
    }
  });
});
