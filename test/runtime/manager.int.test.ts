// The operator runtime against a real kube-apiserver, with a small test reconciler on a test CRD.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { ContentType, KubeClient } from '../../src/kube/client.js';
import { CoreTypes, collectionPath, objectPath } from '../../src/kube/resource.js';
import type { Controller, ReconcileRequest } from '../../src/runtime/controller.js';
import { addFinalizer, removeFinalizer } from '../../src/runtime/finalizers.js';
import { createLogger } from '../../src/runtime/logger.js';
import { Manager, type ManagerOptions } from '../../src/runtime/manager.js';
import { patchStatus } from '../../src/runtime/status.js';
import { restartApiserver, startCluster, stopCluster } from '../cluster/cluster.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { createWidget, installWidgetCrd, type Widget, WidgetType } from '../helpers/widgets.js';

const logger = createLogger({ silent: !process.env.TEST_LOGS, level: 'debug' });

function managerOpts(
  kubeconfigPath: string,
  namespace: string,
  extra: Partial<ManagerOptions> = {},
): ManagerOptions {
  const kc = kubeConfigFor({ kubeconfig: kubeconfigPath } as never);
  return { kubeConfig: kc, logger, namespace, processMetrics: false, ...extra };
}

async function metricValue(port: number, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const got = Object.fromEntries(
      inside.split(',').map((kv) => kv.split('=').map((s) => s.replace(/"/g, '')) as [string, string]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

describe('runtime on a shared cluster', () => {
  let client: KubeClient;
  let ns: string;
  let kubeconfig: string;
  const managers: Manager[] = [];

  before(async () => {
    const state = await useCluster();
    kubeconfig = state.kubeconfig;
    const kc = kubeConfigFor(state);
    client = new KubeClient(kc);
    await installWidgetCrd(client);
    ns = await testNamespace(kc, 'rt');
  });
  after(async () => {
    await Promise.all(managers.map((m) => m.stop()));
    client.close();
  });

  test('objects are reconciled concurrently, never two at once for one key, and no update is lost', async () => {
    const running = new Set<string>();
    const overlaps: string[] = [];
    const seenGeneration = new Map<string, number>();
    let maxParallel = 0;
    let successes = 0;
    const mgr = new Manager(managerOpts(kubeconfig, ns, { concurrency: 4, metricsAddr: '127.0.0.1:0' }));
    managers.push(mgr);
    const informer = mgr.informerFor<Widget>(WidgetType, { primary: true });
    mgr.addController(WidgetType, {
      name: 'widgets',
      reconcile: async (req: ReconcileRequest) => {
        if (!req.key.includes('/c-')) return {};
        if (running.has(req.key)) overlaps.push(req.key);
        running.add(req.key);
        maxParallel = Math.max(maxParallel, running.size);
        const obj = informer.get(req.key);
        await delay(100); // simulated work, so that updates arrive while the key is in progress
        if (obj) seenGeneration.set(req.key, obj.metadata.generation ?? 0);
        running.delete(req.key);
        successes++;
        return {};
      },
    });
    await mgr.start();

    const names = Array.from({ length: 10 }, (_, i) => `c-${i}`);
    await Promise.all(names.map((n) => createWidget(client, ns, n)));
    for (let size = 2; size <= 4; size++) {
      await Promise.all(
        names.map((n) =>
          client.patch(objectPath(WidgetType, ns, n), { spec: { size } }, ContentType.mergePatch),
        ),
      );
      // Each round reaches the cache before the next, so updates arrive while keys are in progress.
      await eventually(`the informer holds generation ${size}`, async () =>
        names.every((n) => informer.get(`${ns}/${n}`)?.metadata.generation === size),
      );
    }
    await eventually(
      'every widget reconciled at its last generation',
      async () => names.every((n) => seenGeneration.get(`${ns}/${n}`) === 4),
      30_000,
    );
    assert.deepEqual(overlaps, [], 'a key was reconciled by two workers at once');
    // The server sets managedFields on every write; the cache holds objects without them.
    const live = await client.get<{ metadata: { managedFields?: unknown[] } }>(
      objectPath(WidgetType, ns, 'c-0'),
    );
    assert.ok(live.metadata.managedFields?.length, 'the server reports managedFields');
    for (const n of names) assert.equal(informer.get(`${ns}/${n}`)?.metadata.managedFields, undefined);
    assert.ok(maxParallel >= 2, `expected parallel reconciles, saw at most ${maxParallel}`);
    assert.ok(maxParallel <= 4, `concurrency limit exceeded: ${maxParallel}`);

    // /metrics exposes exactly the reconciles that happened.
    await eventually('reconciles settle', async () => running.size === 0 && mgr.metricsPort !== undefined);
    const counted = await metricValue(mgr.metricsPort!, 'controller_runtime_reconcile_total', {
      controller: 'widgets',
      result: 'success',
    });
    assert.ok(successes >= names.length);
    // Other widgets in the namespace (none here) would also count; ours are all of them.
    assert.equal(counted, successes);
    assert.equal(
      await metricValue(mgr.metricsPort!, 'controller_runtime_max_concurrent_reconciles', {
        controller: 'widgets',
      }),
      4,
    );
    await mgr.stop();
  });

  test('a failing reconcile is retried with growing delays, then succeeds', async () => {
    const attempts: number[] = [];
    const mgr = new Manager(managerOpts(kubeconfig, ns, { metricsAddr: '127.0.0.1:0' }));
    managers.push(mgr);
    const flaky = mgr.addController(WidgetType, {
      name: 'flaky',
      backoffBaseMs: 100,
      reconcile: async (req) => {
        if (!req.key.endsWith('/flaky')) return {};
        attempts.push(Date.now());
        if (attempts.length <= 4) throw new Error('transient failure');
        return {};
      },
    });
    await mgr.start();
    await createWidget(client, ns, 'flaky');
    await eventually('five attempts', async () => attempts.length >= 5, 20_000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    for (let i = 0; i < gaps.length; i++) {
      assert.ok(
        gaps[i]! >= 100 * 2 ** i * 0.9,
        `retry ${i + 1} came after ${gaps[i]} ms, expected ≥ ${100 * 2 ** i}`,
      );
    }
    // Only lower bounds: a loaded machine may run any retry late, so comparing one gap with
    // another fails spuriously (CI saw 241, 201, 401, 800 ms for 100, 200, 400, 800).
    const key = `${ns}/flaky`;
    await eventually(
      'the successful pass finished',
      async () => !flaky.queue.isProcessing(key) && !flaky.queue.isQueued(key),
    );
    assert.equal(flaky.queue.isScheduled(key), false, 'no retry pending after success');
    assert.equal(attempts.length, 5, 'no retries after success');
    assert.equal(
      await metricValue(mgr.metricsPort!, 'controller_runtime_reconcile_errors_total', {
        controller: 'flaky',
      }),
      4,
    );
    await mgr.stop();
  });

  test('status, finalizers and events reach the apiserver', async () => {
    const mgr = new Manager(managerOpts(kubeconfig, ns));
    managers.push(mgr);
    const informer = mgr.informerFor<Widget>(WidgetType, { primary: true });
    mgr.addController(WidgetType, {
      name: 'status',
      reconcile: async (req) => {
        if (!req.key.endsWith('/statusful')) return {};
        const obj = informer.get(req.key);
        if (!obj) return {};
        if (obj.metadata.deletionTimestamp) {
          await removeFinalizer(mgr.client, WidgetType, obj, 'finalizers.fluxcd.io');
          return {};
        }
        await addFinalizer(mgr.client, WidgetType, obj, 'finalizers.fluxcd.io');
        await patchStatus(mgr.client, WidgetType, req.namespace, req.name, {
          observedGeneration: obj.metadata.generation,
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'Succeeded',
              message: 'all good',
              observedGeneration: obj.metadata.generation,
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        });
        await mgr.events.record(obj, 'Normal', 'Succeeded', 'reconciled the widget', {
          'test.mooring.dev/revision': 'main@sha1:abc',
        });
        return {};
      },
    });
    await mgr.start();
    await createWidget(client, ns, 'statusful');
    const got = await eventually('status written', async () => {
      const w = await client.get<Widget>(objectPath(WidgetType, ns, 'statusful'));
      return (w.status?.conditions as unknown[] | undefined)?.length ? w : undefined;
    });
    assert.deepEqual(got.metadata.finalizers, ['finalizers.fluxcd.io']);
    assert.equal(got.status?.observedGeneration, 1);
    const events = await eventually('event recorded', async () => {
      const list = await client.get<{
        items: { reason: string; message: string; involvedObject: { name: string } }[];
      }>(collectionPath(CoreTypes.event, ns));
      const mine = list.items.filter((e) => e.involvedObject.name === 'statusful');
      return mine.length ? mine : undefined;
    });
    assert.equal(events[0]!.reason, 'Succeeded');
    assert.equal(events[0]!.message, 'reconciled the widget');

    await client.delete(objectPath(WidgetType, ns, 'statusful'));
    await eventually('finalizer removed and object gone', async () => {
      return (await client.getOptional(objectPath(WidgetType, ns, 'statusful'))) === undefined;
    });
    await mgr.stop();
  });

  test('with leader election exactly one manager reconciles; the other takes over when it stops', async () => {
    const reconciledBy: Array<{ who: string; key: string }> = [];
    const leaseDurationMs = 4_000;
    const controllers = new Map<Manager, Controller<Widget>>();
    const make = (who: string) => {
      const mgr = new Manager(
        managerOpts(kubeconfig, ns, {
          leaderElection: {
            namespace: ns,
            name: 'widgets-leader',
            identity: who,
            leaseDurationMs,
            renewDeadlineMs: 3_000,
            retryPeriodMs: 250,
          },
        }),
      );
      const controller = mgr.addController<Widget>(WidgetType, {
        name: `le-${who}`,
        reconcile: async (req) => {
          if (req.key.includes('/le-')) reconciledBy.push({ who, key: req.key });
          return {};
        },
      });
      controllers.set(mgr, controller);
      managers.push(mgr);
      return mgr;
    };
    const a = make('a');
    const b = make('b');
    await Promise.all([a.start(), b.start()]);
    const leader = await eventually('a leader', async () => (a.isLeader ? a : b.isLeader ? b : undefined));
    const follower = leader === a ? b : a;
    const leaderName = leader === a ? 'a' : 'b';
    assert.equal(follower.isLeader, false);

    await Promise.all(['le-1', 'le-2', 'le-3'].map((n) => createWidget(client, ns, n)));
    await eventually('three reconciled', async () => new Set(reconciledBy.map((r) => r.key)).size === 3);
    // The follower watches too: it holds the same keys, waiting for leadership, none in progress.
    const held = controllers.get(follower)!.queue;
    const keys = ['le-1', 'le-2', 'le-3'].map((n) => `${ns}/${n}`);
    await eventually('the follower holds the keys', async () => keys.every((k) => held.isQueued(k)));
    assert.ok(
      keys.every((k) => !held.isProcessing(k)),
      'the follower works on nothing',
    );
    assert.deepEqual(
      [...new Set(reconciledBy.map((r) => r.who))],
      [leaderName],
      'only the leader reconciles',
    );

    const stoppedAt = Date.now();
    await leader.stop();
    await eventually('the follower takes over', async () => follower.isLeader, leaseDurationMs + 2_000);
    const takeover = Date.now() - stoppedAt;
    assert.ok(takeover <= leaseDurationMs, `takeover took ${takeover} ms, lease is ${leaseDurationMs} ms`);

    const followerName = leaderName === 'a' ? 'b' : 'a';
    await createWidget(client, ns, 'le-4');
    await eventually('new leader reconciles', async () =>
      reconciledBy.some((r) => r.who === followerName && r.key.endsWith('/le-4')),
    );
    assert.ok(!reconciledBy.some((r) => r.who === leaderName && r.key.endsWith('/le-4')));
    await follower.stop();
  });
});

describe('runtime across an apiserver restart (private cluster)', () => {
  test('the informer recovers after the apiserver restarts and no update is lost', async () => {
    const state = await startCluster({ controllerManager: false, log: () => undefined });
    after(() => stopCluster(state));
    const kc = kubeConfigFor(state);
    const client = new KubeClient(kc);
    after(() => client.close());
    await installWidgetCrd(client);
    const ns = 'restart';
    await client.post(collectionPath(CoreTypes.namespace), { metadata: { name: ns } });

    const seen = new Map<string, number>();
    const mgr = new Manager({ kubeConfig: kc, logger, namespace: ns, processMetrics: false });
    const informer = mgr.informerFor<Widget>(WidgetType, { primary: true });
    mgr.addController(WidgetType, {
      name: 'restart',
      reconcile: async (req) => {
        const obj = informer.get(req.key);
        if (obj) seen.set(req.name, obj.metadata.generation ?? 0);
        return {};
      },
    });
    await mgr.start();
    await createWidget(client, ns, 'before');
    await eventually('reconciled before the restart', async () => seen.get('before') === 1);

    await restartApiserver(state);
    // Written right after the restart, typically while the informer is still backing off:
    // only the re-list can deliver these.
    await client.patch(objectPath(WidgetType, ns, 'before'), { spec: { size: 9 } }, ContentType.mergePatch);
    await createWidget(client, ns, 'after');
    await eventually(
      'update and create after the restart are reconciled',
      async () => {
        return seen.get('before') === 2 && seen.get('after') === 1;
      },
      60_000,
    );
    await mgr.stop();
  });
});
