import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jitter, KeyedBackoff } from '../../src/runtime/backoff.js';
import { WorkQueue } from '../../src/runtime/queue.js';

test('adds of a waiting key are deduplicated', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
});

test('a key added while it is processed is handed out again only after done()', async () => {
  const q = new WorkQueue();
  q.add('a');
  const first = await q.get();
  assert.equal(first, 'a');
  q.add('a');
  assert.equal(q.length, 0, 'not queued while in progress');
  let second: string | undefined;
  const waiting = q.get().then((k) => {
    second = k;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(second, undefined, 'no second worker gets the key in progress');
  q.done('a');
  await waiting;
  assert.equal(second, 'a');
});

test('addAfter keeps the earliest deadline and fires once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const q = new WorkQueue();
  q.addAfter('a', 10_000);
  q.addAfter('a', 20);
  q.addAfter('a', 5_000);
  t.mock.timers.tick(19);
  assert.equal(q.length, 0, 'not before the earliest deadline');
  assert.ok(q.isScheduled('a'));
  t.mock.timers.tick(1);
  assert.equal(q.length, 1, 'queued at the earliest deadline');
  assert.equal(q.isScheduled('a'), false, 'no later add left pending');
  assert.equal(await q.get(), 'a');
  q.done('a');
  t.mock.timers.tick(20_000);
  assert.equal(q.length, 0, 'the later deadlines did not add it again');
  q.shutdown();
});

test('failures back off exponentially per key from 750 ms to 15 min, and forget resets', () => {
  const b = new KeyedBackoff();
  const delays = Array.from({ length: 12 }, () => b.next('k'));
  assert.deepEqual(delays.slice(0, 4), [750, 1500, 3000, 6000]);
  assert.equal(delays[11], 15 * 60_000);
  assert.equal(b.next('other'), 750, 'keys back off independently');
  b.forget('k');
  assert.equal(b.next('k'), 750);
});

test('jitter stays within ±5 %', () => {
  assert.equal(
    jitter(1000, 0.05, () => 0),
    950,
  );
  assert.equal(
    jitter(1000, 0.05, () => 1),
    1050,
  );
  for (let i = 0; i < 100; i++) {
    const v = jitter(60_000);
    assert.ok(v >= 57_000 && v <= 63_000);
  }
});

test('shutdown releases blocked workers; drain waits for keys in progress', async () => {
  const q = new WorkQueue();
  q.add('busy');
  assert.equal(await q.get(), 'busy');
  const idle = q.get();
  let drained = false;
  const drain = q.shutdownWithDrain(5_000).then((ok) => {
    drained = ok;
  });
  assert.equal(await idle, undefined);
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'still draining while busy is in progress');
  q.add('late');
  q.done('busy');
  await drain;
  assert.equal(drained, true);
  assert.equal(await q.get(), undefined, 'adds after shutdown are refused');
});

test('drain gives up at its deadline', async () => {
  const q = new WorkQueue();
  q.add('stuck');
  await q.get();
  assert.equal(await q.shutdownWithDrain(50), false);
});

test('reschedule replaces a pending add: an obsolete short retry never fires', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const q = new WorkQueue();
  q.addAfter('a', 2_000); // a retry asked for by a failed pass
  q.reschedule('a', 600_000); // the pass that followed succeeded: next one at its interval
  t.mock.timers.tick(2_000);
  assert.equal(q.length, 0, 'the 2 s retry was cancelled');
  t.mock.timers.tick(598_000);
  assert.equal(q.length, 1, 'the interval pass is queued');
  q.reschedule('b', 1_000);
  q.reschedule('b', undefined);
  t.mock.timers.tick(5_000);
  assert.equal(q.length, 1, 'no next pass asked for: nothing pending for b');
  q.shutdown();
});

test('a key handed out before its delayed add fires is not added again by it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const q = new WorkQueue();
  q.addAfter('a', 2_000); // a retry of a failed pass
  q.add('a'); // a watch event starts the pass earlier
  assert.equal(await q.get(), 'a');
  t.mock.timers.tick(2_000);
  q.done('a');
  assert.equal(q.length, 0, 'the retry was satisfied by the pass that ran');
  q.shutdown();
});

test('work in progress: the sum of the seconds held so far and the longest, for the metrics', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  const t0 = Date.now();
  assert.equal(await q.get(), 'a');
  assert.deepEqual(
    q.inProgress(t0 - 1_000_000),
    { unfinishedSeconds: 0, longestSeconds: 0 },
    'clamped below',
  );
  assert.equal(await q.get(), 'b');
  const later = q.inProgress(Date.now() + 10_000);
  assert.ok(later.longestSeconds >= 10 && later.longestSeconds < 11, `longest ${later.longestSeconds}`);
  assert.ok(
    later.unfinishedSeconds >= 20 && later.unfinishedSeconds < 22,
    `unfinished ${later.unfinishedSeconds}`,
  );
  q.done('a');
  q.done('b');
  assert.deepEqual(
    q.inProgress(Date.now() + 10_000),
    { unfinishedSeconds: 0, longestSeconds: 0 },
    'done: nothing',
  );
});

test('depth is reported from the start, also when every key goes straight to an idle worker', async () => {
  const depths: number[] = [];
  const q = new WorkQueue({
    observer: { depth: (n) => depths.push(n), added() {}, retried() {}, waited() {}, worked() {} },
  });
  assert.deepEqual(depths, [0]);
  const got = q.get();
  q.add('a');
  assert.equal(await got, 'a');
  q.done('a');
});
