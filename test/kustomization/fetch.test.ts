import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  ArtifactFetchError,
  type FetchArtifactOptions,
  fetchArtifact,
} from '../../src/kustomization/fetch.js';

// ---------------------------------------------------------------------------------------------
// A tiny tar writer, so tests can craft the archives a hostile server would send.

interface TarEntry {
  name: string;
  type?: string; // '0' file, '5' dir, '2' symlink, '1' hard link, '3' char device, 'x' pax, 'L' GNU long name
  data?: string | Buffer;
  linkname?: string;
  mode?: number;
  /** Size written in the header when it must lie about the data. */
  size?: number;
  prefix?: string;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(e.name, 0, 100, 'utf8');
  h.write(octal(e.mode ?? 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1');
  h.write(' '.repeat(8), 148, 'latin1');
  h.write(e.type ?? '0', 156, 'latin1');
  h.write(e.linkname ?? '', 157, 100, 'utf8');
  h.write('ustar\0' + '00', 257, 'latin1');
  if (e.prefix) h.write(e.prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

function tar(entries: TarEntry[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    parts.push(tarHeader(e, e.size ?? data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (`${len}${body}`.length !== len) len = `${len}${body}`.length;
  return `${len}${body}`;
}

const tgz = (entries: TarEntry[]) => gzipSync(tar(entries));
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

// ---------------------------------------------------------------------------------------------
// A local artifact server whose behaviour each test scripts per request.

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;
let server: Server;
let base: string;
const routes = new Map<string, { handler: Handler; hits: number }>();
const scratch = mkdtempSync(join(tmpdir(), 'mooring-fetch-test-'));
let n = 0;

before(async () => {
  server = createServer((req, res) => {
    const route = routes.get(req.url ?? '');
    if (!route) {
      res.writeHead(404).end('not found');
      return;
    }
    route.handler(req, res, route.hits++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

/** Serves `handler` at a fresh path; returns its URL and a hit counter. */
function serve(handler: Handler): { url: string; hits: () => number } {
  const path = `/gitrepository/flux-system/app/${n++}.tar.gz`;
  routes.set(path, { handler, hits: 0 });
  return { url: `${base}${path}`, hits: () => routes.get(path)!.hits };
}
const body =
  (b: Buffer): Handler =>
  (_req, res) =>
    res.writeHead(200, { 'content-length': b.length }).end(b);

function freshDir(): string {
  const d = join(scratch, `dest-${n++}`);
  mkdirSync(d);
  return d;
}
const fast: FetchArtifactOptions = { timeoutMs: 10_000, retries: 3, retryWaitMinMs: 5, retryWaitMaxMs: 20 };

function isFetchError(reason: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ArtifactFetchError, `expected an ArtifactFetchError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

/** Fetches a crafted archive (with its right digest) into a fresh dir. */
async function fetchCrafted(archive: Buffer, opts: Partial<FetchArtifactOptions> = {}) {
  const { url } = serve(body(archive));
  const dest = freshDir();
  const run = () => fetchArtifact(url, sha256(archive), dest, { ...fast, ...opts });
  return { dest, run };
}

function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory() ? `${r}/` : e.isSymbolicLink() ? `${r}@` : r);
      if (e.isDirectory()) walk(join(d, e.name), r);
    }
  };
  walk(dir, '');
  return out.sort();
}

// ---------------------------------------------------------------------------------------------

describe('download', () => {
  test('extracts a real tar.gz and verifies its digest', async () => {
    const src = join(scratch, `src-${n++}`);
    mkdirSync(join(src, 'deploy/base'), { recursive: true });
    writeFileSync(join(src, 'deploy/base/app.yaml'), 'kind: Deployment\n');
    writeFileSync(join(src, 'kustomization.yaml'), 'resources: [deploy/base/app.yaml]\n');
    writeFileSync(join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const archive = execFileSync('tar', ['-czf', '-', '-C', src, '.']);
    const { dest, run } = await fetchCrafted(archive);
    const summary = await run();
    assert.deepEqual(listTree(dest), [
      'deploy/',
      'deploy/base/',
      'deploy/base/app.yaml',
      'kustomization.yaml',
      'run.sh',
    ]);
    assert.equal(readFileSync(join(dest, 'deploy/base/app.yaml'), 'utf8'), 'kind: Deployment\n');
    assert.equal(statSync(join(dest, 'run.sh')).mode & 0o777, 0o755);
    assert.equal(statSync(join(dest, 'kustomization.yaml')).mode & 0o777, 0o644);
    assert.equal(summary.files, 3);
    assert.equal(summary.bytes, 16 + 35 + 10);
  });

  test('accepts a bare hex digest as sha256 and sha512 digests; creates a missing destDir', async () => {
    const archive = tgz([{ name: 'a.yaml', data: 'a: 1\n' }]);
    const { url } = serve(body(archive));
    const dest = join(freshDir(), 'not', 'yet');
    await fetchArtifact(url, sha256(archive).slice('sha256:'.length), dest, fast);
    assert.equal(readFileSync(join(dest, 'a.yaml'), 'utf8'), 'a: 1\n');
    const sha512 = `sha512:${createHash('sha512').update(archive).digest('hex')}`;
    await fetchArtifact(url, sha512, freshDir(), fast);
  });

  test('a digest mismatch extracts nothing', async () => {
    const archive = tgz([{ name: 'a.yaml', data: 'a: 1\n' }]);
    const { url } = serve(body(archive));
    const dest = freshDir();
    const wrong = sha256(Buffer.from('something else'));
    await assert.rejects(
      fetchArtifact(url, wrong, dest, fast),
      isFetchError('DigestMismatch', /doesn't match/),
    );
    assert.deepEqual(readdirSync(dest), []);
    await assert.rejects(
      fetchArtifact(url, 'md5:abc', dest, fast),
      isFetchError('DigestMismatch', /failed to parse digest/),
    );
    await assert.rejects(fetchArtifact(url, '', dest, fast), isFetchError('DigestMismatch', /empty digest/));
  });

  test('a body that breaks off is retried, and fails after the last retry', async () => {
    const archive = tgz([{ name: 'a.yaml', data: 'x'.repeat(100_000) }]);
    const truncated: Handler = (_req, res) => {
      res.writeHead(200, { 'content-length': archive.length });
      res.write(archive.subarray(0, archive.length >> 1), () => res.destroy());
    };
    const always = serve(truncated);
    const dest = freshDir();
    await assert.rejects(
      fetchArtifact(always.url, sha256(archive), dest, { ...fast, retries: 2 }),
      isFetchError('DownloadFailed', /after 3 attempts: the response body was cut off/),
    );
    assert.equal(always.hits(), 3);
    assert.deepEqual(readdirSync(dest), []);

    const once = serve((req, res, hit) =>
      hit === 0 ? truncated(req, res, hit) : body(archive)(req, res, hit),
    );
    await fetchArtifact(once.url, sha256(archive), freshDir(), fast);
    assert.equal(once.hits(), 2);
  });

  test('a body cut short without a length is caught by the digest', async () => {
    const archive = tgz([{ name: 'a.yaml', data: 'a: 1\n' }]);
    const { url } = serve((_req, res) => res.writeHead(200).end(archive.subarray(0, 20)));
    await assert.rejects(
      fetchArtifact(url, sha256(archive), freshDir(), fast),
      isFetchError('DigestMismatch'),
    );
  });

  test('404 is ArtifactNotFound at once, without retries', async () => {
    const s = serve((_req, res) => res.writeHead(404).end('gone'));
    await assert.rejects(
      fetchArtifact(s.url, sha256(Buffer.alloc(1)), freshDir(), { ...fast, retryWaitMinMs: 60_000 }),
      isFetchError('ArtifactNotFound', /artifact not found at .*status: 404/),
    );
    assert.equal(s.hits(), 1);
  });

  test('transient 500s and 503s are retried with backoff until success', async () => {
    const archive = tgz([{ name: 'a.yaml', data: 'a: 1\n' }]);
    const times: number[] = [];
    const s = serve((req, res, hit) => {
      times.push(Date.now());
      if (hit < 2) res.writeHead(hit === 0 ? 500 : 503).end('busy');
      else body(archive)(req, res, hit);
    });
    const dest = freshDir();
    await fetchArtifact(s.url, sha256(archive), dest, { ...fast, retryWaitMinMs: 40, retryWaitMaxMs: 1000 });
    assert.equal(s.hits(), 3);
    assert.ok(times[1]! - times[0]! >= 35, 'first backoff waits the minimum');
    assert.ok(times[2]! - times[1]! >= 75, 'second backoff doubles');
    assert.ok(existsSync(join(dest, 'a.yaml')));
  });

  test('retries are bounded and the error carries the last status', async () => {
    const s = serve((_req, res) => res.writeHead(502).end());
    await assert.rejects(
      fetchArtifact(s.url, sha256(Buffer.alloc(1)), freshDir(), { ...fast, retries: 2 }),
      isFetchError('DownloadFailed', /after 3 attempts: status: 502/),
    );
    assert.equal(s.hits(), 3);
  });

  test('other 4xx statuses and 501 are not retried', async () => {
    for (const status of [403, 501]) {
      const s = serve((_req, res) => res.writeHead(status).end());
      await assert.rejects(
        fetchArtifact(s.url, sha256(Buffer.alloc(1)), freshDir(), fast),
        isFetchError('DownloadFailed', new RegExp(`status: ${status}`)),
      );
      assert.equal(s.hits(), 1);
    }
  });

  test('connection refused is retried, then DownloadFailed', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    await assert.rejects(
      fetchArtifact(`http://127.0.0.1:${port}/a.tar.gz`, sha256(Buffer.alloc(1)), freshDir(), {
        ...fast,
        retries: 1,
      }),
      isFetchError('DownloadFailed', /after 2 attempts: fetch failed \(ECONNREFUSED\)/),
    );
  });

  test('the timeout bounds the whole fetch; an abort signal cancels it', async () => {
    const hang = serve((_req, res) => res.writeHead(200, { 'content-length': 10 }).write('x'));
    const started = Date.now();
    await assert.rejects(
      fetchArtifact(hang.url, sha256(Buffer.alloc(1)), freshDir(), { ...fast, timeoutMs: 300 }),
      isFetchError('DownloadFailed', /timed out after 300ms/),
    );
    assert.ok(Date.now() - started < 5_000);
    const busy = serve((_req, res) => res.writeHead(503).end());
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('shutting down')), 100);
    await assert.rejects(
      fetchArtifact(busy.url, sha256(Buffer.alloc(1)), freshDir(), {
        ...fast,
        retryWaitMinMs: 10_000,
        retryWaitMaxMs: 10_000,
        signal: ac.signal,
      }),
      isFetchError('DownloadFailed', /aborted: shutting down/),
    );
  });

  test('hostOverride replaces host and port, as SOURCE_CONTROLLER_LOCALHOST does', async () => {
    const archive = tgz([{ name: 'a.yaml', data: 'a: 1\n' }]);
    const { url } = serve(body(archive));
    const u = new URL(url);
    const inCluster = `http://source-controller.flux-system.svc.cluster.local.${u.pathname}`;
    const dest = freshDir();
    await fetchArtifact(inCluster, sha256(archive), dest, { ...fast, hostOverride: u.host });
    assert.ok(existsSync(join(dest, 'a.yaml')));
  });

  test('a download over maxDownloadBytes is ArtifactTooLarge, by header or by counting', async () => {
    const archive = tgz([
      { name: 'a.yaml', data: Buffer.from(createHash('sha512').update('x').digest('hex').repeat(40)) },
    ]);
    const declared = serve(body(archive));
    await assert.rejects(
      fetchArtifact(declared.url, sha256(archive), freshDir(), { ...fast, maxDownloadBytes: 100 }),
      isFetchError('ArtifactTooLarge', /exceeds the maximum of 100 bytes/),
    );
    const chunked = serve((_req, res) => res.writeHead(200).end(archive));
    await assert.rejects(
      fetchArtifact(chunked.url, sha256(archive), freshDir(), { ...fast, maxDownloadBytes: 100 }),
      isFetchError('ArtifactTooLarge'),
    );
    assert.equal(chunked.hits(), 1);
  });
});

describe('safe extraction', () => {
  test('long names from pax and GNU headers and ustar prefixes are extracted', async () => {
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}/file.yaml`;
    const gnu = `${'g'.repeat(120)}.yaml`;
    const archive = tgz([
      { name: 'PaxHeader', type: 'x', data: paxRecord('path', deep) },
      { name: 'truncated-name', data: 'pax\n' },
      { name: '././@LongLink', type: 'L', data: `${gnu}\0` },
      { name: gnu.slice(0, 99), data: 'gnu\n' },
      { name: 'x.yaml', prefix: 'pre/fix', data: 'ustar\n' },
    ]);
    const { dest, run } = await fetchCrafted(archive);
    await run();
    assert.equal(readFileSync(join(dest, deep), 'utf8'), 'pax\n');
    assert.equal(readFileSync(join(dest, gnu), 'utf8'), 'gnu\n');
    assert.equal(readFileSync(join(dest, 'pre/fix/x.yaml'), 'utf8'), 'ustar\n');
    assert.ok(!existsSync(join(dest, 'truncated-name')));
  });

  const outsideName = () => `outside-${n++}`;

  for (const name of ['../escape.yaml', 'a/../../escape.yaml', 'a/b/../../../escape.yaml', '..']) {
    test(`'..' entries are refused: ${name}`, async () => {
      const { dest, run } = await fetchCrafted(
        tgz([
          { name: 'ok.yaml', data: 'ok' },
          { name, data: 'pwned' },
        ]),
      );
      await assert.rejects(run(), isFetchError('UnsafeArchive', /refused: the path contains '\.\.'/));
      assert.ok(!existsSync(join(dest, '..', 'escape.yaml')));
      assert.ok(!existsSync(join(scratch, 'escape.yaml')));
    });
  }

  test("a pax path with '..' is refused even when the ustar name is harmless", async () => {
    const { run } = await fetchCrafted(
      tgz([
        { name: 'PaxHeader', type: 'x', data: paxRecord('path', '../../pax-escape.yaml') },
        { name: 'harmless.yaml', data: 'pwned' },
      ]),
    );
    await assert.rejects(run(), isFetchError('UnsafeArchive', /"\.\.\/\.\.\/pax-escape\.yaml" refused/));
    assert.ok(!existsSync(join(scratch, 'pax-escape.yaml')));
  });

  test('absolute paths are refused', async () => {
    const target = join(scratch, outsideName());
    const { run } = await fetchCrafted(tgz([{ name: target, data: 'pwned' }]));
    await assert.rejects(run(), isFetchError('UnsafeArchive', /refused: absolute path/));
    assert.ok(!existsSync(target));
  });

  test('backslashes and NUL in names are refused', async () => {
    const { run } = await fetchCrafted(tgz([{ name: '..\\evil.yaml', data: 'x' }]));
    await assert.rejects(run(), isFetchError('UnsafeArchive', /backslash/));
  });

  test('symlink entries are skipped; a file "through" one lands in a real directory inside destDir', async () => {
    const outside = join(scratch, outsideName());
    mkdirSync(outside);
    const archive = tgz([
      { name: 'link', type: '2', linkname: outside },
      { name: 'rel', type: '2', linkname: '../..' },
      { name: 'link/pwned.yaml', data: 'pwned' },
      { name: 'rel/pwned2.yaml', data: 'pwned' },
    ]);
    const { dest, run } = await fetchCrafted(archive);
    const summary = await run();
    assert.deepEqual(summary.skipped, ['link', 'rel']);
    assert.deepEqual(readdirSync(outside), []);
    assert.ok(!lstatSync(join(dest, 'link')).isSymbolicLink());
    assert.deepEqual(listTree(dest), ['link/', 'link/pwned.yaml', 'rel/', 'rel/pwned2.yaml']);
  });

  test('a symlink already in destDir is never followed, as a directory or as a file', async () => {
    const outside = join(scratch, outsideName());
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim.yaml'), 'original');
    const viaDir = await fetchCrafted(tgz([{ name: 'evil/pwned.yaml', data: 'pwned' }]));
    symlinkSync(outside, join(viaDir.dest, 'evil'));
    await assert.rejects(viaDir.run(), isFetchError('UnsafeArchive', /goes through a symlink at "evil"/));
    const viaFile = await fetchCrafted(tgz([{ name: 'victim.yaml', data: 'pwned' }]));
    symlinkSync(join(outside, 'victim.yaml'), join(viaFile.dest, 'victim.yaml'));
    await assert.rejects(viaFile.run(), isFetchError('UnsafeArchive', /destination is a symlink/));
    assert.deepEqual(readdirSync(outside), ['victim.yaml']);
    assert.equal(readFileSync(join(outside, 'victim.yaml'), 'utf8'), 'original');
  });

  test('hard links, devices and FIFOs are refused', async () => {
    for (const [type, message] of [
      ['1', /hard links are not allowed/],
      ['3', /device files are not allowed/],
      ['4', /device files are not allowed/],
      ['6', /FIFOs are not allowed/],
      ['S', /unsupported tar entry type "S"/],
    ] as const) {
      const { run } = await fetchCrafted(tgz([{ name: 'odd', type, linkname: '/etc/passwd' }]));
      await assert.rejects(run(), isFetchError('UnsafeArchive', message), type);
    }
  });

  test('a file where a directory is needed, and the reverse, are refused', async () => {
    const a = await fetchCrafted(
      tgz([
        { name: 'a', data: 'file' },
        { name: 'a/b.yaml', data: 'x' },
      ]),
    );
    await assert.rejects(a.run(), isFetchError('UnsafeArchive', /"a" exists and is not a directory/));
    const b = await fetchCrafted(
      tgz([
        { name: 'd', type: '5' },
        { name: 'd', data: 'x' },
      ]),
    );
    await assert.rejects(b.run(), isFetchError('UnsafeArchive', /a directory of the same name/));
  });

  test('a single file over maxFileBytes is ArtifactTooLarge naming the entry, before writing it', async () => {
    const { dest, run } = await fetchCrafted(
      tgz([
        { name: 'small.yaml', data: 'ok' },
        { name: 'big.bin', data: 'x'.repeat(2048) },
      ]),
      {
        maxFileBytes: 1024,
      },
    );
    await assert.rejects(
      run(),
      isFetchError('ArtifactTooLarge', /"big\.bin" is 2048 bytes, over the maximum file size of 1024/),
    );
    assert.ok(!existsSync(join(dest, 'big.bin')));
  });

  test('the total size cap stops a gzip bomb by its headers', async () => {
    // 64 MiB of zeros compress to ~64 KiB; the declared sizes trip the cap before anything is written.
    const zeros = Buffer.alloc(16 * 1024 * 1024);
    const archive = tgz([0, 1, 2, 3].map((i) => ({ name: `zeros-${i}.bin`, data: zeros })));
    assert.ok(archive.length < 1024 * 1024);
    const { dest, run } = await fetchCrafted(archive, {
      maxBytes: 40 * 1024 * 1024,
      maxDownloadBytes: 1024 * 1024,
    });
    await assert.rejects(
      run(),
      isFetchError('ArtifactTooLarge', /"zeros-2\.bin" takes the extracted size over the maximum/),
    );
    assert.ok(!existsSync(join(dest, 'zeros-2.bin')));
  });

  test('more entries than maxEntries is ArtifactTooLarge', async () => {
    const entries = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}.yaml`, data: 'x' }));
    const { run } = await fetchCrafted(tgz(entries), { maxEntries: 10 });
    await assert.rejects(run(), isFetchError('ArtifactTooLarge', /more than 10 entries \(at "f10\.yaml"\)/));
    const ok = await fetchCrafted(tgz(entries.slice(0, 10)), { maxEntries: 10 });
    assert.equal((await ok.run()).files, 10);
  });

  test('malformed archives are refused: not gzip, bad checksum, truncated data, endless extended headers', async () => {
    const notGzip = await fetchCrafted(tar([{ name: 'a.yaml', data: 'x' }]));
    await assert.rejects(notGzip.run(), isFetchError('UnsafeArchive', /not a gzip-compressed tar/));

    const raw = tar([{ name: 'a.yaml', data: 'x' }]);
    raw[0] = 'b'.charCodeAt(0);
    const badSum = await fetchCrafted(gzipSync(raw));
    await assert.rejects(badSum.run(), isFetchError('UnsafeArchive', /checksum mismatch/));

    const lying = await fetchCrafted(
      gzipSync(tar([{ name: 'a.yaml', data: 'short', size: 4096 }], { end: false })),
    );
    await assert.rejects(
      lying.run(),
      isFetchError('UnsafeArchive', /unexpected end of archive in entry "a\.yaml"/),
    );

    const pax = Array.from({ length: 20 }, () => ({
      name: 'PaxHeader',
      type: 'x',
      data: paxRecord('comment', 'x'),
    }));
    const endless = await fetchCrafted(tgz(pax));
    await assert.rejects(
      endless.run(),
      isFetchError('UnsafeArchive', /too many consecutive extended headers/),
    );
  });

  test('an archive without the end-of-archive blocks still extracts (as Go’s tar reader)', async () => {
    const { dest, run } = await fetchCrafted(gzipSync(tar([{ name: 'a.yaml', data: 'a' }], { end: false })));
    await run();
    assert.equal(readFileSync(join(dest, 'a.yaml'), 'utf8'), 'a');
  });
});
