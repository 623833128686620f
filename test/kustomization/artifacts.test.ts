// The extracted-artifact cache keeps unused trees for reuse within two bounds — a number of trees
// and a byte budget — so the scratch volume's sizeLimit holds (docs/security.md). Trees in use are
// never dropped; everything goes on close().
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ArtifactCache } from '../../src/kustomization/artifacts.js';
import { eventually } from '../helpers/wait.js';

const scratch = mkdtempSync(join(tmpdir(), 'mooring-artifact-cache-test-'));
const archives = new Map<string, Buffer>();
const server = createServer((req, res) => {
  const body = archives.get(req.url ?? '');
  if (body) res.writeHead(200, { 'content-length': body.length }).end(body);
  else res.writeHead(404).end();
});
let base = '';
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/** An artifact holding one file of `bytes` bytes; returns its URL and digest. */
function artifact(name: string, bytes: number): { url: string; digest: string } {
  const src = join(scratch, `src-${name}`);
  mkdirSync(src);
  writeFileSync(join(src, 'data.bin'), Buffer.alloc(bytes, name));
  const file = join(scratch, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', src, '.']);
  const body = readFileSync(file);
  archives.set(`/${name}.tar.gz`, body);
  return {
    url: `${base}/${name}.tar.gz`,
    digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
  };
}

const MiB = 1024 * 1024;
const options = { timeoutMs: 10_000, retries: 0 };

test('unused trees are kept within the byte budget, least recently used dropped first', async () => {
  const parent = join(scratch, 'bytes');
  const cache = new ArtifactCache(options, 16, parent, 2.5 * MiB);
  const [a, b, c] = [artifact('a', MiB), artifact('b', MiB), artifact('c', MiB)];
  for (const x of [a, b]) (await cache.acquire(x.url, x.digest)).release();
  assert.deepEqual(cache.usage(), { trees: 2, bytes: 2 * MiB });
  const inUse = await cache.acquire(c.url, c.digest);
  assert.equal(cache.usage().trees, 3, 'a tree in use does not count against the idle budget');
  inUse.release();
  assert.deepEqual(cache.usage(), { trees: 2, bytes: 2 * MiB }, 'a (least recently used) dropped');
  assert.ok(cache.has(b.digest) && cache.has(c.digest) && !cache.has(a.digest));
  const [root] = readdirSync(parent);
  await eventually('the dropped tree removed', async () => !existsSync(join(parent, root!, '0')), 5_000);
  cache.close();
  assert.deepEqual(readdirSync(parent), [], 'close() removes every tree');
});

test('unused trees are kept up to the count, whatever their size', async () => {
  const cache = new ArtifactCache(options, 2, join(scratch, 'count'));
  const xs = [artifact('d', 1024), artifact('e', 1024), artifact('f', 1024)];
  for (const x of xs) (await cache.acquire(x.url, x.digest)).release();
  assert.equal(cache.usage().trees, 2);
  assert.ok(!cache.has(xs[0]!.digest));
  cache.close();
});
