// The event forwarder against a real HTTP server on loopback: it never makes the caller wait,
// keeps a bounded queue, gives up on a receiver that hangs after its timeout, retries 5xx but not
// 4xx or 429 (notification-controller's "duplicate").
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Logger } from '../../src/runtime/logger.js';
import { EventForwarder, type FluxEvent, parseEventsAddr } from '../../src/runtime/notify.js';
import { eventually } from '../helpers/wait.js';

const quiet: Logger = { error() {}, info() {}, debug() {}, child: () => quiet };

async function receiver(handle: (body: FluxEvent, res: ServerResponse, req: IncomingMessage) => void) {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => handle(JSON.parse(body) as FluxEvent, res, req));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const event = (n: number): Omit<FluxEvent, 'reportingController' | 'reportingInstance'> => ({
  involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: `cm-${n}`, namespace: 'default' },
  severity: 'info',
  timestamp: '2026-01-01T00:00:00Z',
  message: `event ${n}`,
  reason: 'Test',
});

test('send returns at once while the receiver hangs; the hung post times out and the queue keeps the newest', {
  timeout: 10_000,
}, async () => {
  const seen: string[] = [];
  const hung: ServerResponse[] = [];
  const rx = await receiver((e, res) => {
    seen.push(e.message);
    if (seen.length === 1) hung.push(res);
    else res.writeHead(202).end();
  });
  const fwd = new EventForwarder({
    url: rx.url,
    reportingController: 'mooring',
    reportingInstance: 'pod-1',
    logger: quiet,
    queueSize: 3,
    timeoutMs: 300,
    retryMax: 0,
  });
  for (let i = 0; i < 10; i++) fwd.send(event(i));
  // Event 0 is in flight (hanging); 1..6 were dropped, oldest first; 7, 8, 9 wait.
  await eventually('the queue drained', async () => fwd.failed === 1 && fwd.delivered === 3, 5_000);
  assert.deepEqual(seen, ['event 0', 'event 7', 'event 8', 'event 9']);
  for (const res of hung) res.destroy();
  await fwd.close();
  await rx.close();
});

test('5xx is retried with backoff, 4xx and 429 are not; payload carries reportingController and instance', async () => {
  const bodies: FluxEvent[] = [];
  const answers = [503, 500, 202, 400, 429];
  const rx = await receiver((e, res, req) => {
    assert.equal(req.headers['content-type'], 'application/json');
    bodies.push(e);
    res.writeHead(answers.shift() ?? 202).end();
  });
  const fwd = new EventForwarder({
    url: rx.url,
    reportingController: 'mooring',
    reportingInstance: 'pod-1',
    logger: quiet,
    retryWaitMinMs: 10,
  });
  fwd.send(event(1));
  fwd.send(event(2));
  fwd.send(event(3));
  await eventually('all handled', async () => fwd.delivered + fwd.failed === 3, 5_000);
  assert.deepEqual(
    bodies.map((b) => b.message),
    ['event 1', 'event 1', 'event 1', 'event 2', 'event 3'],
  );
  assert.equal(fwd.delivered, 2, 'event 1 after two 5xx, event 3 on 429');
  assert.equal(fwd.failed, 1, 'event 2 refused with 400');
  assert.equal(bodies[0]?.reportingController, 'mooring');
  assert.equal(bodies[0]?.reportingInstance, 'pod-1');
  await fwd.close();
  await rx.close();
});

test('close abandons the retries against a dead receiver (its schedule would take 15 s)', {
  timeout: 5_000,
}, async () => {
  let posts = 0;
  const rx = await receiver((_e, res) => {
    posts++;
    res.writeHead(503).end();
  });
  const fwd = new EventForwarder({ url: rx.url, reportingController: 'mooring', logger: quiet });
  fwd.send(event(1));
  await eventually('the first attempt', async () => posts === 1);
  await fwd.close(100);
  fwd.send(event(2));
  assert.equal(fwd.delivered, 0);
  assert.equal(posts, 1, 'no retry after close, nothing sent after close');
  await rx.close();
});

test('--events-addr must be an absolute http(s) URL; the error does not echo it', () => {
  assert.equal(parseEventsAddr('http://nc.flux-system.svc/').host, 'nc.flux-system.svc');
  assert.throws(
    () => parseEventsAddr('nc:80 token=abc'),
    (err: Error) => !err.message.includes('token'),
  );
  assert.throws(() => parseEventsAddr('ftp://x/'), /only http and https/);
});
