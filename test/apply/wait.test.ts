// waitForSet's evaluation with an in-memory context: when it succeeds, fails early or times out,
// what it says about each object, and which objects it polls again. Health of real workloads
// on the apiserver is in health.int.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitForSet } from '../../src/apply/wait.js';
import type { Manifest, ObjectRef } from '../../src/kube/dynamic.js';
import { NoKindMatchError } from '../../src/kube/errors.js';
import { type FakeContext, fakeContext, putLive } from './fakecontext.js';

type Condition = { type: string; status: string; message?: string };

const widget = (name: string, ...conditions: Condition[]): Manifest => ({
  apiVersion: 'example.com/v1',
  kind: 'Widget',
  metadata: { name, namespace: 'apps', generation: 1 },
  status: { conditions },
});
const ready: Condition = { type: 'Ready', status: 'True', message: 'all good' };
const notReady: Condition = { type: 'Ready', status: 'False', message: 'warming up' };
const stalled: Condition = { type: 'Stalled', status: 'True', message: 'bad config' };

const refOf = (name: string): ObjectRef => ({
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  namespace: 'apps',
  name,
});
const gets = (ctx: FakeContext): string[] => ctx.calls.filter((c) => c.startsWith('get '));

// timeoutMs 0: one poll, then the verdict (the next poll would be past the deadline).
const once = { timeoutMs: 0, intervalMs: 1 };
// Polls again at once until the test's objects settle; the timeout only bounds a broken test.
const untilSettled = { timeoutMs: 30_000, intervalMs: 0 };

test('all objects Current on the first poll: ok, each object read once', async () => {
  const ctx = fakeContext({});
  putLive(ctx, widget('a', ready));
  putLive(ctx, widget('b'));
  const result = await waitForSet(ctx, [refOf('a'), refOf('b')], once);
  assert.equal(result.ok, true);
  assert.deepEqual(
    result.objects.map((o) => [o.subject, o.status, o.message]),
    [
      ['Widget/apps/a', 'Current', 'all good'],
      ['Widget/apps/b', 'Current', 'Resource is current'],
    ],
  );
  assert.deepEqual(gets(ctx), ['get Widget/apps/a', 'get Widget/apps/b']);
});

test('only objects not yet Current are polled again, until all are', async () => {
  const ctx = fakeContext({});
  putLive(ctx, widget('a', ready));
  putLive(ctx, widget('b', notReady));
  ctx.beforeGet = (subject, previous) => {
    if (subject === 'Widget/apps/b' && previous === 2) putLive(ctx, widget('b', ready));
  };
  const result = await waitForSet(ctx, [refOf('a'), refOf('b')], untilSettled);
  assert.equal(result.ok, true);
  assert.deepEqual(gets(ctx), [
    'get Widget/apps/a',
    'get Widget/apps/b',
    'get Widget/apps/b',
    'get Widget/apps/b',
  ]);
  assert.deepEqual(
    result.objects.map((o) => o.status),
    ['Current', 'Current'],
  );
});

test('a Failed object ends the wait at once (fail-fast), naming it with its status and message', async () => {
  const ctx = fakeContext({});
  putLive(ctx, widget('a', notReady));
  putLive(ctx, widget('b', stalled));
  const result = await waitForSet(ctx, [refOf('a'), refOf('b')], untilSettled);
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.reason, 'HealthCheckFailed');
  assert.equal(
    result.message,
    "failed early due to stalled resources: [Widget/apps/b status: 'Failed': bad config]",
  );
  assert.deepEqual(
    result.objects.map((o) => [o.subject, o.status]),
    [
      ['Widget/apps/a', 'InProgress'],
      ['Widget/apps/b', 'Failed'],
    ],
  );
  assert.equal(gets(ctx).length, 2, 'no second poll');
});

test('without fail-fast a Failed object is waited for; at the deadline it makes the reason HealthCheckFailed', async () => {
  const ctx = fakeContext({});
  putLive(ctx, widget('a', ready));
  putLive(ctx, widget('b', stalled));
  putLive(ctx, widget('c', notReady));
  const result = await waitForSet(ctx, [refOf('a'), refOf('b'), refOf('c')], { ...once, failFast: false });
  assert.ok(!result.ok);
  assert.equal(result.reason, 'HealthCheckFailed');
  assert.equal(
    result.message,
    "timeout waiting for: [Widget/apps/b status: 'Failed': bad config, Widget/apps/c status: 'InProgress': warming up]",
  );
});

test('objects still in progress at the deadline: Timeout, listing only those not ready', async () => {
  const ctx = fakeContext({});
  putLive(ctx, widget('a', ready));
  putLive(ctx, widget('b', notReady));
  const result = await waitForSet(ctx, [refOf('a'), refOf('b')], once);
  assert.ok(!result.ok);
  assert.equal(result.reason, 'Timeout');
  assert.equal(result.message, "timeout waiting for: [Widget/apps/b status: 'InProgress': warming up]");
  assert.equal(result.objects.length, 2);
});

test('a missing object, or one whose kind is not served, is NotFound rather than an error', async () => {
  const ctx = fakeContext({});
  ctx.failures.set('get Gadget/apps/g', new NoKindMatchError('example.com', 'v1', 'Gadget'));
  const gadget: ObjectRef = { ...refOf('g'), kind: 'Gadget' };
  const result = await waitForSet(ctx, [refOf('missing'), gadget], once);
  assert.ok(!result.ok);
  assert.equal(result.reason, 'Timeout');
  assert.deepEqual(
    result.objects.map((o) => [o.subject, o.status, o.message]),
    [
      ['Widget/apps/missing', 'NotFound', 'object not found'],
      ['Gadget/apps/g', 'NotFound', 'no matches for kind "Gadget" in version "example.com/v1"'],
    ],
  );
});

test('any other read error is not a health verdict: it propagates', async () => {
  const ctx = fakeContext({});
  ctx.failures.set('get Widget/apps/a', new Error('connection reset'));
  await assert.rejects(waitForSet(ctx, [refOf('a')], once), /connection reset/);
});

test('custom health (statusOf) decides for live objects; kstatus still decides for objects being deleted', async () => {
  const ctx = fakeContext({});
  putLive(ctx, widget('custom', notReady));
  putLive(ctx, widget('fallback', notReady));
  putLive(ctx, {
    ...widget('deleting', ready),
    metadata: { name: 'deleting', namespace: 'apps', deletionTimestamp: '2026-01-01T00:00:00Z' },
  });
  const seen: string[] = [];
  const result = await waitForSet(ctx, [refOf('custom'), refOf('fallback'), refOf('deleting')], {
    ...once,
    statusOf: (obj) => {
      seen.push(obj.metadata.name);
      return obj.metadata.name === 'fallback' ? undefined : { status: 'Current', message: 'custom says yes' };
    },
  });
  assert.deepEqual(seen, ['custom', 'fallback']);
  assert.deepEqual(
    result.objects.map((o) => [o.subject, o.status, o.message]),
    [
      ['Widget/apps/custom', 'Current', 'custom says yes'],
      ['Widget/apps/fallback', 'InProgress', 'warming up'],
      ['Widget/apps/deleting', 'Terminating', 'object scheduled for deletion'],
    ],
  );
});
