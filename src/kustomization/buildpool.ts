// Kustomize builds and post-build substitution run in a pool of build processes, off the
// controller's event loop: a large or hostile build in one tenant's repository then cannot hold up
// lease renewal, the webhook receiver, the artifact server or other tenants' reconciles. Each
// build has a wall time limit and a heap limit; a build that exceeds either fails its own
// Kustomization and its process is killed (the next build gets a fresh one).
//
// Processes, not worker threads: a worker thread's `resourceLimits` are best effort — one large
// allocation (a 200 MB substituted string, measured) aborts the whole controller instead of the
// worker (nodejs/node#47224). A process's heap limit takes down only that process.
//
// The time limit starts when a build reaches a process, not when it is queued: builds wait here
// for a free process, so a build queued behind slow ones is not charged for their time.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BuildError, type BuiltManifests } from './build.js';
import type { BuildOutcome } from './buildworker.js';
import { buildDecryptingRecorded, type DecryptingBuildJob, DecryptionError } from './decrypt.js';

export interface BuildPoolOptions {
  /** Build processes (default: the number of CPUs). 0 builds on the calling thread, without limits. */
  workers?: number;
  /** Wall time one build may take (default 60 s). */
  timeoutMs?: number;
  /** V8 heap (old generation) of one build process, in MiB (default 256). */
  memoryMb?: number;
  /** An idle build process exits after this long (default 60 s). */
  idleMs?: number;
}

export const DEFAULT_BUILD_TIMEOUT_MS = 60_000;
export const DEFAULT_BUILD_MEMORY_MB = 256;

export function defaultBuildWorkers(): number {
  return availableParallelism();
}

const workerScript = fileURLToPath(new URL('./buildworker.js', import.meta.url));

/** Node flags of the controller a build process keeps (V8 tuning), not its heap cap or debugger. */
function inheritedFlags(): string[] {
  return process.execArgv.filter((a) => !/^--(max-old-space-size|stack-size|inspect|debug)/.test(a));
}

/**
 * A 4 MB JavaScript stack for build processes, when the OS gives the process's main thread room
 * for it (V8's default is under 1 MB). The YAML reader and the kustomize engine recurse once or
 * twice per nesting level, about 1.1 KB a level before the code is optimised: with the default,
 * a 900-level document (which kubectl kustomize reads) overflows; with 4 MB, 3,000 levels read.
 * Deeper still is refused as invalid YAML naming the file. V8's limit must stay below the
 * thread's real stack, or an overflow is a segfault instead of an error: hence the rlimit check.
 */
export const BUILD_STACK_KB = 4000;

export function buildStackFlags(limits = readProcLimits()): string[] {
  const soft = /^Max stack size\s+(\S+)/m.exec(limits)?.[1];
  if (soft === undefined) return [];
  const roomKb = soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft) / 1024;
  return roomKb >= 2 * BUILD_STACK_KB ? [`--stack-size=${BUILD_STACK_KB}`] : [];
}

function readProcLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

interface Running {
  resolve(outcome: BuildOutcome): void;
  reject(err: BuildError): void;
  /** Why we killed it, when we did. */
  killedFor?: 'timeout' | 'cancel' | 'close';
}

class BuildProcess {
  readonly child: ChildProcess;
  private stderr = '';
  private running: Running | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  exited = false;
  /** Handed to a build (from `take` until the build is over). */
  taken = false;
  private ready = false;
  private readonly onReady: Array<() => void> = [];

  constructor(
    private readonly pool: BuildPool,
    private readonly idleMs: number,
  ) {
    this.child = fork(workerScript, [], {
      execArgv: [...inheritedFlags(), ...buildStackFlags(), `--max-old-space-size=${pool.memoryMb}`],
      // Nothing of the controller's environment (it may hold credentials): a build needs none.
      env: { MOORING_BUILD_PROCESS: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4096);
    });
    this.child.on('message', (outcome: BuildOutcome | { ready: true }) => {
      if ('ready' in outcome) {
        this.ready = true;
        for (const f of this.onReady.splice(0)) f();
        return;
      }
      const r = this.running;
      this.running = undefined;
      r?.resolve(outcome);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      clearTimeout(this.idleTimer);
      this.pool.forget(this);
      const r = this.running;
      this.running = undefined;
      if (r) r.reject(this.failure(r, code, signal));
    });
    // Spawn failures arrive as 'error' and then 'exit'.
    this.child.on('error', () => undefined);
  }

  run(job: DecryptingBuildJob, running: Running): void {
    clearTimeout(this.idleTimer);
    this.running = running;
    this.child.send(job);
  }

  /** Calls `f` once the process has loaded the build modules (at once if it has). */
  whenReady(f: () => void): void {
    if (this.ready) f();
    else this.onReady.push(f);
  }

  kill(why: NonNullable<Running['killedFor']>): void {
    if (this.running) this.running.killedFor = why;
    this.child.kill('SIGKILL');
  }

  idle(): void {
    this.idleTimer = setTimeout(() => this.child.kill('SIGKILL'), this.idleMs);
    this.idleTimer.unref();
  }

  private failure(r: Running, code: number | null, signal: NodeJS.Signals | null): BuildError {
    const fail = (message: string) => new BuildError('BuildFailed', message);
    if (r.killedFor === 'timeout') return fail(`build exceeded ${this.pool.timeoutMs / 1000}s`);
    if (r.killedFor === 'cancel') return fail('build cancelled');
    if (r.killedFor === 'close') return fail('the controller is shutting down');
    if (/heap out of memory|Allocation failed/.test(this.stderr)) {
      return fail(`build exceeded its memory limit (${this.pool.memoryMb} MiB)`);
    }
    // Not the build's text: stderr may hold anything the build touched.
    return fail(`the build process exited unexpectedly (${signal ?? `exit code ${code}`})`);
  }
}

export class BuildPool {
  readonly workers: number;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  private readonly idleMs: number;
  private readonly processes = new Set<BuildProcess>();
  private readonly waiting: Array<(p: BuildProcess | undefined) => void> = [];
  private closed = false;

  constructor(opts: BuildPoolOptions = {}) {
    this.workers = opts.workers ?? defaultBuildWorkers();
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_BUILD_TIMEOUT_MS;
    this.memoryMb = opts.memoryMb ?? DEFAULT_BUILD_MEMORY_MB;
    this.idleMs = opts.idleMs ?? 60_000;
  }

  /** Builds `job`; every failure (the limits included) is a BuildError, or a DecryptionError. */
  async build(job: DecryptingBuildJob, signal?: AbortSignal): Promise<BuiltManifests> {
    if (this.workers === 0) return buildDecryptingRecorded(job);
    const proc = await this.take(signal);
    const outcome = await new Promise<BuildOutcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      // A fresh process first loads node and the build modules (slow on a busy machine): the
      // build's own time starts after that.
      proc.whenReady(() => {
        timer = setTimeout(() => proc.kill('timeout'), this.timeoutMs);
      });
      const cancel = () => proc.kill('cancel');
      signal?.addEventListener('abort', cancel, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
      };
      proc.run(job, {
        resolve: (o) => {
          done();
          resolve(o);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
    this.give(proc);
    if (!outcome.ok) {
      if (outcome.reason === 'DecryptionFailed')
        throw new DecryptionError(outcome.message, outcome.stalled === true);
      throw new BuildError(outcome.reason, outcome.message);
    }
    return outcome.built;
  }

  /**
   * Starts a build process ahead of a build that is coming (none is alive after an idle minute),
   * so that loading node and the build modules overlaps the artifact's download.
   */
  warm(): void {
    if (this.workers === 0 || this.closed || this.processes.size > 0) return;
    this.spawn().idle();
  }

  /** Builds running now, waiting for a process, and live processes. */
  get load(): { running: number; waiting: number; processes: number } {
    const running = [...this.processes].filter((p) => p.taken).length;
    return { running, waiting: this.waiting.length, processes: this.processes.size };
  }

  /** Process ids of the live build processes (for measurements). */
  get pids(): number[] {
    return [...this.processes].flatMap((p) => (p.child.pid ? [p.child.pid] : []));
  }

  /** Kills every build process; running and waiting builds fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(undefined);
    const exits = [...this.processes].map(
      (p) => new Promise<void>((r) => (p.exited ? r() : p.child.once('exit', () => r()))),
    );
    for (const p of this.processes) p.kill('close');
    await Promise.all(exits);
  }

  /** @internal Called by a process that exited. */
  forget(p: BuildProcess): void {
    this.processes.delete(p);
    // A slot is free: the next waiting build gets a fresh process.
    if (this.waiting.length && !this.closed) this.waiting.shift()!(this.spawn());
  }

  private take(signal: AbortSignal | undefined): Promise<BuildProcess> {
    if (this.closed) return Promise.reject(new BuildError('BuildFailed', 'the controller is shutting down'));
    const idle = [...this.processes].find((p) => !p.taken && !p.exited);
    if (idle) return Promise.resolve(this.claim(idle));
    if (this.processes.size < this.workers) return Promise.resolve(this.claim(this.spawn()));
    return new Promise((resolve, reject) => {
      const cancel = () => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new BuildError('BuildFailed', 'build cancelled'));
      };
      const take = (p: BuildProcess | undefined) => {
        signal?.removeEventListener('abort', cancel);
        if (p) resolve(this.claim(p));
        else reject(new BuildError('BuildFailed', 'the controller is shutting down'));
      };
      signal?.addEventListener('abort', cancel, { once: true });
      this.waiting.push(take);
    });
  }

  private claim(p: BuildProcess): BuildProcess {
    p.taken = true;
    return p;
  }

  /** A build is over and its process lives on: to the next waiting build, or idle. */
  private give(p: BuildProcess): void {
    p.taken = false;
    const next = this.waiting.shift();
    if (next) next(p);
    else p.idle();
  }

  private spawn(): BuildProcess {
    const p = new BuildProcess(this, this.idleMs);
    this.processes.add(p);
    return p;
  }
}
