// Requesting a reconcile and waiting for its outcome, as `flux reconcile` does (flux-api.md §2.9):
// a fresh token in `reconcile.fluxcd.io/requestedAt`, then poll until the controller reports it in
// `status.lastHandledReconcileAt` with Ready True (done), or Ready False / Stalled (failed).
// Shared by `sync` and `resume`.
import { setTimeout } from 'node:timers/promises';
import { getCondition } from '../api/conditions.js';
import { type Condition, RECONCILE_REQUESTED_AT_ANNOTATION } from '../api/meta.js';
import { ContentType } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import { objectPath } from '../kube/resource.js';
import { CliError } from './command.js';
import { describeObject, type KindInfo, requestToken, type Session } from './common.js';

/** The fields of a GitRepository or Kustomization that sync, suspend and get read. */
export interface FluxObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    generation?: number;
    creationTimestamp?: string;
    annotations?: Record<string, string>;
    managedFields?: unknown[];
  };
  spec?: {
    suspend?: boolean;
    sourceRef?: { kind: string; name: string; namespace?: string };
  };
  status?: {
    observedGeneration?: number;
    conditions?: Condition[];
    lastHandledReconcileAt?: string;
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    artifact?: { revision?: string };
  };
}

export interface Target {
  kind: KindInfo;
  namespace: string;
  name: string;
}

const describe = (t: Target) => describeObject(t.kind, t.namespace, t.name);

export async function getObject(s: Session, t: Target): Promise<FluxObject> {
  try {
    return await s.client.get<FluxObject>(objectPath(t.kind.type, t.namespace, t.name));
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`${describe(t)} not found`);
    throw err;
  }
}

/** Merge-patches the object (404 → "not found"). */
export async function mergePatch(s: Session, t: Target, patch: unknown): Promise<FluxObject> {
  try {
    return await s.client.patch<FluxObject>(
      objectPath(t.kind.type, t.namespace, t.name),
      patch,
      ContentType.mergePatch,
    );
  } catch (err) {
    if (isNotFound(err)) throw new CliError(`${describe(t)} not found`);
    throw err;
  }
}

/** The annotation part of a reconcile request; callers may merge more into the same patch. */
export function requestPatch(token: string): { metadata: { annotations: Record<string, string> } } {
  return { metadata: { annotations: { [RECONCILE_REQUESTED_AT_ANNOTATION]: token } } };
}

/** Shows what the command waits for: a spinner on a terminal, a line per change otherwise. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private text = '';
  private frame = 0;
  private static readonly frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** A step that happened: `► text` on its own line. */
  step(text: string): void {
    this.clear();
    this.out.write(`► ${text}\n`);
    if (this.timer) this.render();
  }

  /** What we are waiting for now; repeated texts are not printed again. */
  waiting(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.tty) {
      this.out.write(`◎ ${text}\n`);
      return;
    }
    if (!this.timer) {
      this.timer = setInterval(() => {
        this.frame = (this.frame + 1) % Progress.frames.length;
        this.render();
      }, 100);
      this.timer.unref();
    }
    this.render();
  }

  private render(): void {
    const width = (this.out.columns ?? 80) - 3;
    const text = this.text.length > width ? `${this.text.slice(0, width - 1)}…` : this.text;
    this.out.write(`\r\x1b[2K${Progress.frames[this.frame]} ${text}`);
  }

  private clear(): void {
    if (this.timer) this.out.write('\r\x1b[2K');
  }

  stop(): void {
    this.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.text = '';
  }
}

export function ensureNotSuspended(t: Target, obj: FluxObject): void {
  if (obj.spec?.suspend) {
    throw new CliError(
      `${describe(t)} is suspended; resume it with 'mooring resume ${t.kind.word} ${t.name} -n ${t.namespace}'`,
    );
  }
}

/** The revision line printed once a reconcile succeeded. */
export function revisionLine(t: Target, obj: FluxObject): string {
  if (t.kind.kind === 'GitRepository')
    return `✔ fetched revision ${obj.status?.artifact?.revision ?? '(none)'}`;
  return `✔ applied revision ${obj.status?.lastAppliedRevision ?? '(none)'}`;
}

/** The failure message of a handled reconcile, undefined while it is still in progress or once it succeeded. */
export function failure(obj: FluxObject): string | undefined {
  const stalled = getCondition(obj, 'Stalled');
  if (stalled?.status === 'True') return `${stalled.reason}: ${stalled.message}`;
  const ready = getCondition(obj, 'Ready');
  if (ready?.status === 'False') return ready.message || ready.reason;
  return undefined;
}

export function succeeded(obj: FluxObject): boolean {
  const ready = getCondition(obj, 'Ready');
  const gen = obj.metadata.generation;
  const observed = obj.status?.observedGeneration;
  return ready?.status === 'True' && (gen === undefined || observed === undefined || observed >= gen);
}

export interface WaitOptions {
  token: string;
  /** Epoch ms after which we give up. */
  deadline: number;
  timeoutText: string;
  progress: Progress;
  pollMs?: number;
}

/** Polls until the controller handled `token`; answers the object when Ready, throws when it failed. */
export async function waitForReconcile(s: Session, t: Target, opts: WaitOptions): Promise<FluxObject> {
  const what = `${t.kind.kind} reconciliation`;
  opts.progress.waiting(`waiting for ${what}`);
  for (;;) {
    const obj = await getObject(s, t);
    if (obj.status?.lastHandledReconcileAt === opts.token) {
      const failed = failure(obj);
      if (failed !== undefined) {
        opts.progress.stop();
        throw new CliError(`${describe(t)} reconciliation failed: ${failed}`);
      }
      if (succeeded(obj)) {
        opts.progress.stop();
        return obj;
      }
    }
    const reconciling = getCondition(obj, 'Reconciling');
    opts.progress.waiting(
      reconciling?.status === 'True' && reconciling.message
        ? `waiting for ${what}: ${reconciling.message}`
        : `waiting for ${what}`,
    );
    const left = opts.deadline - Date.now();
    if (left <= 0) {
      opts.progress.stop();
      throw new CliError(
        `timed out waiting for ${describe(t)} to be reconciled after ${opts.timeoutText}` +
          (obj.status?.lastHandledReconcileAt === opts.token
            ? ''
            : ' (the request was not handled: is the controller running and watching this namespace?)'),
      );
    }
    await setTimeout(Math.min(opts.pollMs ?? 1000, left));
  }
}

/** Annotates the object with a fresh token and waits for the outcome; prints progress. */
export async function syncObject(
  s: Session,
  t: Target,
  opts: { deadline: number; timeoutText: string; progress: Progress; extraPatch?: Record<string, unknown> },
): Promise<FluxObject> {
  const token = requestToken();
  opts.progress.step(`annotating ${t.kind.kind} ${t.name} in ${t.namespace} namespace`);
  await mergePatch(s, t, { ...requestPatch(token), ...opts.extraPatch });
  return waitForReconcile(s, t, { ...opts, token });
}
