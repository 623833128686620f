// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Build processes: a build in a build process gives what the same build gives in-thread (manifests, reads,
// digest); a build over its time or memory limit fails with the limit in its message, and the
// next build gets a fresh process; a build waiting for a process is not charged for the wait; the
// controller's environment does not reach a build.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import type { Kustomization } from '../../src/api/kustomization.js';
import { BuildError } from '../../src/kustomization/build.js';
import { BuildPool } from '../../src/kustomization/buildpool.js';
import { buildDecryptingRecorded } from '../../src/kustomization/decrypt.js';
import { slowKustomization, substitutionBomb } from '../helpers/hostile.js';

const scratch = mkdtempSync(join(tmpdir(), 'mooring-buildpool-'));
const pools: BuildPool[] = [];
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
  rmSync(scratch, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, rel)), { recursive: true });
    writeFileSync(join(scratch, rel), content);
  }
}

function pool(opts: ConstructorParameters<typeof BuildPool>[0]): BuildPool {
  const p = new BuildPool(opts);
  pools.push(p);
  return p;
}

const ks = (path: string, postBuild?: Kustomization['spec']['postBuild']) =>
  ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'app', namespace: 'default' },
    spec: { path, ...(postBuild ? { postBuild } : {}) },
  }) as unknown as Kustomization;

write({
  'quick/kustomization.yaml': 'resources:\n- cm.yaml\nnamePrefix: p-\n',
  'quick/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: ${V}\n',
  ...slowKustomization('slow', 1_000, 5_000),
  ...substitutionBomb('bomb', 'BIG', 400),
});
const big = 'x'.repeat(512 * 1024);

async function rejectsWith(p: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof BuildError, `a BuildError, got ${String(err)}`);
    assert.equal(err.reason, 'BuildFailed');
    assert.match(err.message, message);
    return true;
  });
}

test('a build in a build process gives the same manifests, reads and digest as in-thread', async () => {
  const job = { root: scratch, ks: ks('./quick', { substitute: { V: 'v1' } }), vars: { V: 'v1' } };
  const onThread = await pool({ workers: 1 }).build(job);
  const inThread = await buildDecryptingRecorded(job);
  assert.deepEqual(onThread.manifests, inThread.manifests);
  assert.equal(onThread.manifests[0]?.metadata.name, 'p-cm');
  assert.deepEqual([...onThread.reads], [...inThread.reads]);
  assert.ok(onThread.reads.size > 0, 'the reads are recorded');
  assert.equal(onThread.digest, inThread.digest);
});

test('a build failure keeps its reason and message', async () => {
  const job = { root: scratch, ks: ks('./missing'), vars: {} };
  await assert.rejects(pool({ workers: 1 }).build(job), (err: unknown) => {
    assert.ok(err instanceof BuildError);
    assert.equal(err.reason, 'ArtifactFailed');
    assert.match(err.message, /kustomization path not found/);
    return true;
  });
});

test('a build over its time limit fails with the limit; the next build gets a fresh process', async () => {
  const p = pool({ workers: 1, timeoutMs: 2_000 });
  await rejectsWith(p.build({ root: scratch, ks: ks('./slow') }), /^build exceeded 2s$/);
  const next = await p.build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } });
  assert.equal(next.manifests.length, 1);
});

test('a build waiting for a process is not charged for the wait', async () => {
  const p = pool({ workers: 1, timeoutMs: 3_000 });
  const slow = p.build({ root: scratch, ks: ks('./slow') });
  const queued = p.build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } });
  assert.deepEqual(p.load, { running: 1, waiting: 1, processes: 1 });
  await rejectsWith(slow, /^build exceeded 3s$/);
  assert.equal((await queued).manifests.length, 1, 'the queued build waited ≥ 3 s and still ran');
});

test('a substitution over the memory limit fails with the limit; the pool goes on', async () => {
  const p = pool({ workers: 1, memoryMb: 64, timeoutMs: 60_000 });
  const bomb = { root: scratch, ks: ks('./bomb', { substitute: { BIG: big } }), vars: { BIG: big } };
  await rejectsWith(p.build(bomb), /^build exceeded its memory limit \(64 MiB\)$/);
  const next = await p.build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } });
  assert.equal(next.manifests.length, 1);
});

test('a cancelled build waiting for a process is dropped', async () => {
  const p = pool({ workers: 1, timeoutMs: 2_000 });
  const slow = p.build({ root: scratch, ks: ks('./slow') });
  const abort = new AbortController();
  const queued = p.build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } }, abort.signal);
  abort.abort();
  await rejectsWith(queued, /cancelled/);
  assert.deepEqual(p.load, { running: 1, waiting: 0, processes: 1 });
  await rejectsWith(slow, /exceeded/);
});

test('workers: 0 builds in-thread', async () => {
  const r = await pool({ workers: 0 }).build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } });
  assert.equal(r.manifests.length, 1);
});
