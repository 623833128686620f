// A hostile artifact end to end: an artifact server (compromised, or a man in the middle with a
// matching digest in the source's status) serves tarballs whose entries climb out with `..`, use
// absolute paths, or plant symlinks. The real controller downloads them for a Kustomization: the
// archive is refused (or the symlink ignored), nothing is written outside the extraction
// directory, nothing outside is read, and nothing is applied. The entry-level rules themselves are
// unit-tested in test/kustomization/fetch.test.ts.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { configMapYaml, kustomizationEnv, readyOf } from '../kustomization/harness.js';

const env = await kustomizationEnv({ prefix: 'rel-tar' });

interface Entry {
  name: string;
  body?: string;
  /** '0' file (default), '2' symlink, '5' directory. */
  type?: '0' | '2' | '5';
  link?: string;
  /** Size written into the header (default: the body's); the body is not padded to it. */
  declaredSize?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** A minimal ustar writer: exactly the bytes we want, no sanitising. */
function tarGz(entries: Entry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write(octal(e.type === '5' ? 0o755 : 0o644, 8), 100);
    h.write(octal(0, 8), 108);
    h.write(octal(0, 8), 116);
    h.write(octal(e.declaredSize ?? ((e.type ?? '0') === '0' ? body.length : 0), 12), 124);
    h.write(octal(1_700_000_000, 12), 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100, 'utf8');
    h.write('ustar\u000000', 257, 'latin1');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    blocks.push(h);
    if ((e.type ?? '0') === '0' && body.length) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

// The hostile artifact server.
const served = new Map<string, Buffer>();
const server = createServer((req, res) => {
  const body = served.get(req.url ?? '');
  if (!body) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/gzip', 'Content-Length': body.length }).end(body);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
after(() => new Promise<void>((resolve) => server.close(() => resolve())));
const addr = server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;

/** A suspended GitRepository (the source controller leaves it alone) whose status points at `tar`. */
async function hostileSource(name: string, tar: Buffer): Promise<void> {
  served.set(`/${name}.tar.gz`, tar);
  await env.kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name },
      spec: {
        interval: '10m',
        suspend: true,
        url: 'https://example.invalid/repo.git',
        ref: { branch: 'main' },
      },
    }),
  );
  const revision = `main@sha1:${createHash('sha1').update(name).digest('hex')}`;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await env.kubectl([
    'patch',
    'gitrepository',
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        observedGeneration: 1,
        artifact: {
          path: `gitrepository/${env.ns}/${name}/x.tar.gz`,
          url: `http://127.0.0.1:${port}/${name}.tar.gz`,
          revision,
          digest: `sha256:${createHash('sha256').update(tar).digest('hex')}`,
          lastUpdateTime: now,
          size: tar.length,
        },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Succeeded',
            message: `stored artifact for revision '${revision}'`,
            lastTransitionTime: now,
            observedGeneration: 1,
          },
        ],
      },
    }),
  ]);
}

const good = (name: string): Entry => ({
  name: 'app/good.yaml',
  body: configMapYaml(`${name}-good`, { ok: 'yes' }),
});

describe('hostile tar entries served for a Kustomization', { concurrency: 2 }, () => {
  const outside = join(tmpdir(), `mooring-rel-tar-${randomBytes(4).toString('hex')}`);
  mkdirSync(outside);
  after(() => rmSync(outside, { recursive: true, force: true }));

  const cases: Array<{
    name: string;
    entries: (n: string) => Entry[];
    /** Served instead of a tarball of `entries`. */
    raw?: Buffer;
    reason: string;
    message: RegExp;
    planted?: string;
  }> = [
    {
      name: 'dotdot',
      entries: (n) => [good(n), { name: '../../../../../../../../tmp/planted-dotdot.yaml', body: 'x: 1\n' }],
      reason: 'ArtifactFailed',
      message: /\.\./,
      planted: '/tmp/planted-dotdot.yaml',
    },
    {
      name: 'absolute',
      entries: (n) => [good(n), { name: `${outside}/planted-absolute.yaml`, body: 'x: 1\n' }],
      reason: 'ArtifactFailed',
      message: /absolute/i,
      planted: `${outside}/planted-absolute.yaml`,
    },
    {
      // 300 MiB announced by one entry's header (a gzip bomb needs no more than that to be caught):
      // over the 256 MiB default cap, refused before anything is written.
      name: 'oversized',
      entries: (n) => [good(n), { name: 'app/huge.yaml', body: 'x: 1\n', declaredSize: 300 * 1024 * 1024 }],
      reason: 'ArtifactFailed',
      message: /huge\.yaml|too large|maximum/i,
    },
    {
      name: 'not-a-tarball',
      entries: () => [],
      raw: Buffer.from('this is not gzip at all, but its digest matches'),
      reason: 'ArtifactFailed',
      message: /gzip|archive|header|malformed/i,
    },
    {
      name: 'symlink-file',
      entries: (n) => [
        good(n),
        { name: 'app/kustomization.yaml', body: 'resources:\n  - good.yaml\n  - passwd.yaml\n' },
        { name: 'app/passwd.yaml', type: '2', link: '/etc/passwd' },
      ],
      reason: 'BuildFailed',
      message: /passwd\.yaml/,
    },
    {
      name: 'symlink-dir',
      entries: (n) => [
        good(n),
        {
          name: 'app/kustomization.yaml',
          body: 'resources:\n  - good.yaml\n  - sub/planted.yaml\n  - missing.yaml\n',
        },
        { name: 'app/sub', type: '2', link: outside },
        { name: 'app/sub/planted.yaml', body: configMapYaml('planted', { a: '1' }) },
      ],
      reason: 'BuildFailed',
      message: /missing\.yaml/,
      planted: `${outside}/planted.yaml`,
    },
  ];

  for (const c of cases) {
    test(`${c.name}: refused, nothing written or read outside, nothing applied`, {
      timeout: 120_000,
    }, async (t) => {
      const name = `tar-${c.name}`;
      await hostileSource(name, c.raw ?? tarGz(c.entries(name)));
      await env.applyKustomization(name, {
        sourceRef: { kind: 'GitRepository', name },
        path: './app',
        targetNamespace: env.ns,
      });
      const ks = await env.waitFailed(name, c.reason, { timeoutMs: 100_000 });
      const message = readyOf(ks)!.message;
      t.diagnostic(message.slice(0, 300));
      assert.match(message, c.message);
      assert.doesNotMatch(JSON.stringify(ks.status), /root:x?:0:0/, 'nothing of /etc/passwd read');
      if (c.planted) assert.equal(existsSync(c.planted), false, `${c.planted} was not written`);
      assert.equal(await env.configMap(`${name}-good`), undefined, 'nothing applied');
      assert.equal(await env.configMap('planted'), undefined);
    });
  }
});
