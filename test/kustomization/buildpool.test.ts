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
import { BuildPool, buildStackFlags } from '../../src/kustomization/buildpool.js';
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
  'deep/kustomization.yaml': 'resources:\n- deep.yaml\n',
  'deep/deep.yaml': nestedMaps(990),
  'deeper/kustomization.yaml': 'resources:\n- deep.yaml\n',
  'deeper/deep.yaml': nestedMaps(2_500),
});

/** A ConfigMap whose data nests `depth` maps deep. */
function nestedMaps(depth: number): string {
  let y = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n';
  for (let i = 0; i < depth; i++) y += `${'  '.repeat(i + 1)}k${i}:\n`;
  return `${y}${'  '.repeat(depth + 1)}v: "1"\n`;
}
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

test('warm starts one idle process ahead of a build, which then uses it; at most one', async () => {
  const p = pool({ workers: 2 });
  p.warm();
  p.warm();
  assert.deepEqual(p.load, { running: 0, waiting: 0, processes: 1 });
  const [pid] = p.pids;
  const built = await p.build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } });
  assert.equal(built.manifests.length, 1);
  assert.deepEqual(p.pids, [pid], 'the build ran in the warmed process');
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

test('a document nesting 990 levels builds in a build process (its stack is 4 MB)', async () => {
  const r = await pool({ workers: 1 }).build({ root: scratch, ks: ks('./deep') });
  assert.equal(r.manifests[0]?.metadata.name, 'deep');
});

test('a document nesting 2,500 levels fails with the limit, not a crash of the controller', async () => {
  const p = pool({ workers: 1 });
  await rejectsWith(
    p.build({ root: scratch, ks: ks('./deeper') }),
    /^ConfigMap\/deep nests more than 1,000 levels/,
  );
  assert.equal((await p.build({ root: scratch, ks: ks('./deep') })).manifests.length, 1, 'the pool goes on');
});

test('the build stack is raised only when the OS stack has room for it', () => {
  const limits = (soft: string) =>
    `Limit                     Soft Limit           Hard Limit           Units\nMax stack size            ${soft}              unlimited            bytes\n`;
  assert.deepEqual(buildStackFlags(limits('8388608')), ['--stack-size=4000']);
  assert.deepEqual(buildStackFlags(limits('unlimited')), ['--stack-size=4000']);
  assert.deepEqual(buildStackFlags(limits('4194304')), [], 'a 4 MB thread stack: keep V8 under 1 MB');
  assert.deepEqual(buildStackFlags(''), [], 'no /proc: the default');
});

test('workers: 0 builds in-thread', async () => {
  const r = await pool({ workers: 0 }).build({ root: scratch, ks: ks('./quick'), vars: { V: 'v' } });
  assert.equal(r.manifests.length, 1);
});
