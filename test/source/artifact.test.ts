import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../src/runtime/logger.js';
import { archiveDirectory } from '../../src/source/archive.js';
import { loadIgnoreFilter, scopePattern } from '../../src/source/ignore.js';
import { ArtifactServer } from '../../src/source/server.js';
import { Storage } from '../../src/source/storage.js';

const scratch = mkdtempSync(join(tmpdir(), 'mooring-artifact-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
function tree(files: Record<string, string>): string {
  const dir = join(scratch, `tree-${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}
function listTar(file: string): string[] {
  return execFileSync('tar', ['-tzf', file]).toString().trim().split('\n').filter(Boolean);
}

test('the same tree gives the same digest regardless of mtimes, owners and creation order', async () => {
  const a = tree({ 'deploy/app.yaml': 'kind: A\n', 'deploy/b.yaml': 'kind: B\n', 'README.md': 'hi\n' });
  const b = tree({ 'README.md': 'hi\n', 'deploy/b.yaml': 'kind: B\n', 'deploy/app.yaml': 'kind: A\n' });
  utimesSync(join(b, 'README.md'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  const ra = await archiveDirectory(a, join(scratch, 'a.tar.gz'));
  const rb = await archiveDirectory(b, join(scratch, 'b.tar.gz'));
  assert.equal(ra.digest, rb.digest);
  assert.match(ra.digest, /^sha256:[0-9a-f]{64}$/);
  assert.equal(ra.size, readFileSync(join(scratch, 'a.tar.gz')).length);
  const c = tree({ 'deploy/app.yaml': 'kind: A2\n', 'deploy/b.yaml': 'kind: B\n', 'README.md': 'hi\n' });
  assert.notEqual(
    (await archiveDirectory(c, join(scratch, 'c.tar.gz'))).digest,
    ra.digest,
    'content change changes the digest',
  );
});

test('archives are valid tar.gz with normalised modes, no owners, no symlinks, and long paths intact', async () => {
  const longPath = `${'d'.repeat(120)}/${'e'.repeat(120)}/${'f'.repeat(90)}.yaml`;
  const dir = tree({ 'run.sh': '#!/bin/sh\n', 'x.yaml': 'a: 1\n', [longPath]: 'long: true\n' });
  chmodSync(join(dir, 'run.sh'), 0o755);
  symlinkSync('/etc/passwd', join(dir, 'escape'));
  const file = join(scratch, 'modes.tar.gz');
  await archiveDirectory(dir, file);
  const listing = execFileSync('tar', ['-tvzf', file, '--numeric-owner']).toString();
  assert.match(listing, /-rwx------ 0\/0 .* run\.sh/);
  assert.match(listing, /-rw------- 0\/0 .* x\.yaml/);
  assert.doesNotMatch(listing, /escape/, 'symlinks are dropped');
  const out = join(scratch, 'extract');
  mkdirSync(out);
  execFileSync('tar', ['-xzf', file, '-C', out]);
  assert.equal(readFileSync(join(out, longPath), 'utf8'), 'long: true\n');
});

test('default exclusions, .sourceignore files (scoped to their directory) and spec.ignore apply in order', async () => {
  const dir = tree({
    '.git/config': 'x',
    '.github/workflows/ci.yaml': 'x',
    'logo.png': 'x',
    'deploy/app.yaml': 'x',
    'deploy/secret.enc.yaml': 'x',
    'deploy/.sourceignore': '*.enc.yaml\n',
    'other/secret.enc.yaml': 'x',
    'docs/guide.md': 'x',
    'keep.png': 'x',
  });
  const filter = await loadIgnoreFilter(dir, '/docs/\n!keep.png\n');
  const file = join(scratch, 'ignored.tar.gz');
  await archiveDirectory(dir, file, filter);
  const names = listTar(file);
  assert.deepEqual(names.filter((p) => !p.endsWith('/')).sort(), [
    'deploy/.sourceignore',
    'deploy/app.yaml',
    'keep.png',
    'other/secret.enc.yaml',
  ]);
});

test('sourceignore patterns are rewritten relative to their directory', () => {
  assert.equal(scopePattern('*.enc.yaml', ''), '*.enc.yaml');
  assert.equal(scopePattern('*.enc.yaml', 'deploy'), 'deploy/**/*.enc.yaml');
  assert.equal(scopePattern('/local.yaml', 'deploy'), 'deploy/local.yaml');
  assert.equal(scopePattern('!keep/', 'a/b'), '!a/b/**/keep/');
});

test('garbage collection keeps the current artifact and the newest records, deletes expired ones', async () => {
  const storage = new Storage(join(scratch, 'gc'), 'localhost:9090');
  const src = tree({ 'a.yaml': 'a: 1\n' });
  const shas = ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40), '4'.repeat(40)];
  for (const [i, sha] of shas.entries()) {
    const s = await storage.store('GitRepository', 'ns', 'app', sha, src);
    const t = new Date(Date.now() - (shas.length - i) * 60_000);
    utimesSync(storage.localPath(s.path)!, t, t);
  }
  const current = storage.artifactPath('GitRepository', 'ns', 'app', `${shas[0]}.tar.gz`); // the oldest
  const deleted = await storage.garbageCollect('GitRepository', 'ns', 'app', current, 60 * 60_000, 2);
  assert.deepEqual(
    deleted.map((d) => d.split('/').pop()).sort(),
    [`${shas[1]}.tar.gz`, `${shas[2]}.tar.gz`],
    'records = 2: the current one and the newest other',
  );
  assert.ok(existsSync(storage.localPath(current)!), 'current artifact kept although oldest');
  const expired = await storage.garbageCollect('GitRepository', 'ns', 'app', current, 1, 10);
  assert.deepEqual(
    expired.map((d) => d.split('/').pop()),
    [`${shas[3]}.tar.gz`],
    'ttl expires all but current',
  );
  await storage.remove('GitRepository', 'ns', 'app');
  assert.equal(existsSync(join(storage.root, 'gitrepository/ns/app')), false);
});

test('the artifact server serves stored files with the digest as ETag and nothing else', async () => {
  const storage = new Storage(join(scratch, 'serve'), 'localhost:9090');
  const stored = await storage.store(
    'GitRepository',
    'ns',
    'app',
    'a'.repeat(40),
    tree({ 'a.yaml': 'a: 1\n' }),
  );
  writeFileSync(join(scratch, 'outside.txt'), 'secret');
  symlinkSync(join(scratch, 'outside.txt'), join(storage.root, 'gitrepository/ns/app/link.tar.gz'));
  const server = new ArtifactServer(storage, '127.0.0.1:0', createLogger({ silent: true }));
  await server.start();
  after(() => server.stop());
  const base = `http://127.0.0.1:${server.port}`;
  const res = await fetch(`${base}/${stored.path}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('etag'), `"${stored.digest}"`);
  assert.equal(Buffer.from(await res.arrayBuffer()).length, stored.size);
  const latest = await fetch(`${base}/gitrepository/ns/app/latest.tar.gz`, { method: 'HEAD' });
  assert.equal(latest.status, 200, 'latest.tar.gz symlink inside the root is served');
  const cached = await fetch(`${base}/${stored.path}`, {
    headers: { 'If-None-Match': `"${stored.digest}"` },
  });
  assert.equal(cached.status, 304);
  for (const path of [
    '/gitrepository/ns/app/',
    '/gitrepository/ns/app/link.tar.gz',
    '/gitrepository/%2e%2e/%2e%2e/outside.txt',
    '/../outside.txt',
  ]) {
    assert.equal((await fetch(`${base}${path}`)).status, 404, `${path} must not be served`);
  }
  assert.equal((await fetch(`${base}/${stored.path}`, { method: 'DELETE' })).status, 405);
});
