// Sync now (optionally with the source), suspend and resume from the page, with the user's own
// rights: the same patches as `mooring sync|suspend|resume` (reconcile.fluxcd.io/requestedAt, as
// `flux reconcile`). The first write happens before the request is answered, so a refusal (RBAC,
// not found, suspended) comes back at once with the API's words; the wait for the controller's
// answer is reported as progress messages.
import { randomUUID } from 'node:crypto';
import { CliError } from '../cli/command.js';
import { GitRepositoryKind, KustomizationKind, requestToken, type Session } from '../cli/common.js';
import {
  ensureNotSuspended,
  type FluxObject,
  failure,
  getObject,
  mergePatch,
  requestPatch,
  revisionLine,
  succeeded,
  type Target,
} from '../cli/reconcile.js';
import type { KubeClient } from '../kube/client.js';
import { ApiError, TransportError } from '../kube/errors.js';
import type { ActionProgress, ActionRequest } from './api.js';
import type { UiStore } from './store.js';

/** A refused action: the HTTP status to answer and the message to show verbatim. */
export class ActionError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseActionRequest(body: unknown): ActionRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const fail = (m: string) => new ActionError(400, m);
  if (b.action !== 'sync' && b.action !== 'suspend' && b.action !== 'resume')
    throw fail('action must be sync, suspend or resume');
  if (b.kind !== 'Kustomization' && b.kind !== 'GitRepository')
    throw fail('kind must be Kustomization or GitRepository');
  if (typeof b.namespace !== 'string' || !NAME.test(b.namespace)) throw fail('namespace is not a valid name');
  if (typeof b.name !== 'string' || !NAME.test(b.name)) throw fail('name is not a valid name');
  if (b.withSource !== undefined && typeof b.withSource !== 'boolean')
    throw fail('withSource must be a boolean');
  if (b.withSource && (b.action !== 'sync' || b.kind !== 'Kustomization'))
    throw fail('withSource applies to syncing a Kustomization only');
  return {
    action: b.action,
    kind: b.kind,
    namespace: b.namespace,
    name: b.name,
    ...(b.withSource ? { withSource: true } : {}),
  };
}

function refusal(err: unknown): ActionError {
  if (err instanceof ActionError) return err;
  if (err instanceof ApiError)
    return new ActionError(err.code >= 400 && err.code < 600 ? err.code : 502, err.message);
  if (err instanceof CliError)
    return new ActionError(err.message.endsWith('not found') ? 404 : 409, err.message);
  if (err instanceof TransportError)
    return new ActionError(502, `cannot reach the Kubernetes API: ${err.message}`);
  return new ActionError(500, err instanceof Error ? err.message : String(err));
}

const TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 2_000;

export class Actions {
  private readonly session: Session;

  constructor(
    private readonly store: UiStore,
    client: KubeClient,
    private readonly report: (p: ActionProgress) => void,
  ) {
    this.session = { kubeConfig: client.kubeConfig, client, namespace: '', close: () => undefined };
  }

  /** Does the first write and answers the action's id; the rest goes to `report`. */
  async start(req: ActionRequest): Promise<ActionProgress> {
    const id = randomUUID();
    const target: Target = {
      kind: req.kind === 'Kustomization' ? KustomizationKind : GitRepositoryKind,
      namespace: req.namespace,
      name: req.name,
    };
    const describe = `${req.kind} '${req.namespace}/${req.name}'`;
    try {
      if (req.action === 'suspend') {
        await mergePatch(this.session, target, { spec: { suspend: true } });
        return { id, state: 'succeeded', message: `${describe} suspended` };
      }
      const token = requestToken();
      if (req.action === 'resume') {
        await mergePatch(this.session, target, { ...requestPatch(token), spec: { suspend: false } });
        this.follow(id, [{ target, token }], `${describe} resumed`);
        return { id, state: 'running', message: `${describe} resumed; waiting for the reconcile` };
      }
      const obj = await getObject(this.session, target);
      ensureNotSuspended(target, obj);
      if (req.withSource) {
        const ref = obj.spec?.sourceRef;
        if (ref?.kind !== 'GitRepository')
          throw new ActionError(409, `${describe} has no GitRepository source to sync`);
        const source: Target = {
          kind: GitRepositoryKind,
          namespace: ref.namespace || req.namespace,
          name: ref.name,
        };
        ensureNotSuspended(source, await getObject(this.session, source));
        await mergePatch(this.session, source, requestPatch(token));
        this.follow(id, [{ target: source, token }, { target }], `${describe} synced`);
        return {
          id,
          state: 'running',
          message: `waiting for GitRepository '${source.namespace}/${source.name}'`,
        };
      }
      await mergePatch(this.session, target, requestPatch(token));
      this.follow(id, [{ target, token }], `${describe} synced`);
      return { id, state: 'running', message: `waiting for ${describe}` };
    } catch (err) {
      throw refusal(err);
    }
  }

  /** Waits for each step in turn; a step without a token is requested when its turn comes. */
  private follow(id: string, steps: Array<{ target: Target; token?: string }>, done: string): void {
    void (async () => {
      const lines: string[] = [];
      try {
        for (const step of steps) {
          let token = step.token;
          if (!token) {
            token = requestToken();
            await mergePatch(this.session, step.target, requestPatch(token));
          }
          const obj = await this.waitFor(id, step.target, token);
          lines.push(revisionLine(step.target, obj).replace(/^✔ /, ''));
        }
        this.report({ id, state: 'succeeded', message: `${done}: ${lines.join('; ')}` });
      } catch (err) {
        this.report({ id, state: 'failed', message: refusal(err).message });
      }
    })();
  }

  private async current(t: Target): Promise<FluxObject> {
    const cached = this.store.get(t.kind.kind as 'Kustomization' | 'GitRepository', t.namespace, t.name);
    if (cached) return cached as unknown as FluxObject;
    return getObject(this.session, t);
  }

  private waitFor(id: string, t: Target, token: string): Promise<FluxObject> {
    const what = `${t.kind.kind} '${t.namespace}/${t.name}'`;
    return new Promise((resolve, reject) => {
      let lastMessage = '';
      let busy = false;
      const finish = (fn: () => void) => {
        clearInterval(poll);
        clearTimeout(timeout);
        off();
        fn();
      };
      const check = async () => {
        if (busy) return;
        busy = true;
        try {
          const obj = await this.current(t);
          if (obj.status?.lastHandledReconcileAt === token) {
            const failed = failure(obj);
            if (failed !== undefined)
              return finish(() => reject(new ActionError(500, `${what} reconciliation failed: ${failed}`)));
            if (succeeded(obj)) return finish(() => resolve(obj));
          }
          const reconciling = obj.status?.conditions?.find((c) => c.type === 'Reconciling');
          const message =
            reconciling?.status === 'True' && reconciling.message
              ? `${what}: ${reconciling.message}`
              : `waiting for ${what}`;
          if (message !== lastMessage) {
            lastMessage = message;
            this.report({ id, state: 'running', message });
          }
        } catch (err) {
          finish(() => reject(err));
        } finally {
          busy = false;
        }
      };
      const off = this.store.onChange((_kind, obj) => {
        if (obj.metadata.name === t.name && obj.metadata.namespace === t.namespace) void check();
      });
      const poll = setInterval(() => void check(), POLL_MS);
      const timeout = setTimeout(
        () =>
          finish(() =>
            reject(
              new ActionError(
                504,
                `timed out waiting for ${what} to be reconciled (is the controller running and watching this namespace?)`,
              ),
            ),
          ),
        TIMEOUT_MS,
      );
      void check();
    });
  }
}
