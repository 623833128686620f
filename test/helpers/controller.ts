// Runs the real `mooring controller` (dist/cli/main.js) as a child process for end-to-end tests,
// confined to one namespace — or, for cross-namespace tests, to all namespaces but only objects
// carrying a label selector — so test files running in parallel do not see each other's objects.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './gitserver.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const mooringBin = join(repoRoot, 'dist', 'cli', 'main.js');

export interface RunningController {
  process: ChildProcess;
  storagePort: number;
  webhookPort: number;
  /** Set when `metricsPort` was passed; otherwise metrics listen on a random port. */
  metricsPort?: number;
  logs: () => string;
  stop(): Promise<void>;
}

/** The controller flags for leader election in `namespace` with short timings (in ms), for tests. */
export function leaderElectionArgs(
  namespace: string,
  t: { leaseMs: number; renewDeadlineMs: number; retryPeriodMs: number },
): string[] {
  return [
    '--enable-leader-election',
    '--leader-election-namespace',
    namespace,
    '--leader-election-lease-duration',
    `${t.leaseMs}ms`,
    '--leader-election-renew-deadline',
    `${t.renewDeadlineMs}ms`,
    '--leader-election-retry-period',
    `${t.retryPeriodMs}ms`,
  ];
}

export async function startController(opts: {
  kubeconfig: string;
  /** The one namespace to watch; omit to watch all namespaces (then `labelSelector` is required). */
  namespace?: string;
  /** --watch-label-selector: only GitRepositories and Kustomizations carrying these labels. */
  labelSelector?: string;
  args?: string[];
  /** Serve /metrics on 127.0.0.1:<metricsPort> (default: a random port nobody is told about). */
  metricsPort?: number;
  /** Variables added to (or replacing) the test's environment for the controller process. */
  env?: Record<string, string>;
}): Promise<RunningController> {
  if (!existsSync(mooringBin)) throw new Error(`${mooringBin} missing: run 'make build' first`);
  if (opts.namespace === undefined && !opts.labelSelector)
    throw new Error('startController: watching all namespaces needs a labelSelector (tests run in parallel)');
  // freePort's port may be taken by another test before the controller binds it: then try new ones.
  for (let attempt = 1; ; attempt++) {
    const started = await spawnController(opts);
    const early = await started.earlyExit;
    if (early === undefined) return started.controller;
    await started.controller.stop();
    if (!/EADDRINUSE/.test(early) || attempt === 3) throw new Error(early);
  }
}

const START_WAIT_MS = 30_000;

async function spawnController(opts: Parameters<typeof startController>[0]): Promise<{
  controller: RunningController;
  /** Why the controller exited before it logged "controller started", or undefined if it did not. */
  earlyExit: Promise<string | undefined>;
}> {
  const storagePort = await freePort();
  const webhookPort = await freePort();
  const storage = mkdtempSync(join(tmpdir(), 'mooring-ctl-storage-'));
  const child = spawn(
    process.execPath,
    [
      // Profiling hook for benchmarks, e.g. MOORING_CONTROLLER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
      ...(process.env.MOORING_CONTROLLER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      mooringBin,
      'controller',
      '--kubeconfig',
      opts.kubeconfig,
      ...(opts.namespace !== undefined ? ['--namespace', opts.namespace] : []),
      ...(opts.labelSelector ? ['--watch-label-selector', opts.labelSelector] : []),
      '--storage-path',
      storage,
      '--storage-addr',
      `127.0.0.1:${storagePort}`,
      '--storage-adv-addr',
      `127.0.0.1:${storagePort}`,
      '--metrics-addr',
      `127.0.0.1:${opts.metricsPort ?? 0}`,
      '--health-addr',
      '127.0.0.1:0',
      '--webhook-addr',
      `127.0.0.1:${webhookPort}`,
      '--requeue-dependency',
      '2s',
      '--log-level',
      'debug',
      ...(opts.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  // Waiting for the start line turns a controller that dies at once (a port taken, a bad flag)
  // into this test's error with its log, instead of a minute of waiting for a status. A controller
  // that is merely slow to start (an apiserver the test has stopped) is not waited for longer.
  const earlyExit = new Promise<string | undefined>((resolveExit) => {
    const settle = (why: string | undefined) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      resolveExit(why);
    };
    const timer = setTimeout(() => settle(undefined), START_WAIT_MS);
    const onData = () => {
      if (output.includes('"controller started"')) settle(undefined);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code, signal) => {
      if (output.includes('"controller started"')) return settle(undefined);
      const last = output.trim().split('\n').slice(-15).join('\n');
      settle(`the controller exited (${signal ?? `code ${code}`}) before it started:\n${last}`);
    });
  });
  const controller: RunningController = {
    process: child,
    storagePort,
    webhookPort,
    metricsPort: opts.metricsPort,
    logs: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      rmSync(storage, { recursive: true, force: true });
      if (process.env.TEST_LOGS) process.stderr.write(output);
    },
  };
  return { controller, earlyExit };
}
