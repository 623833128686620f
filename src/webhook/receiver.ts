// Push webhook receiver on --webhook-addr: `POST /hook/<namespace>/<name>` for a GitRepository that
// opted in with the annotation `mooring.dev/webhook-secret: <Secret name>` (key `token`). A valid
// signature sets `reconcile.fluxcd.io/requestedAt`, the same trigger `flux reconcile` uses.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GitRepository } from '../api/gitrepository.js';
import { GitRepositoryType } from '../api/gitrepository.js';
import { RECONCILE_REQUESTED_AT_ANNOTATION } from '../api/meta.js';
import { ContentType, type KubeClient } from '../kube/client.js';
import { objectPath } from '../kube/resource.js';
import { type Listening, listen } from '../runtime/http.js';
import type { Informer } from '../runtime/informer.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import type { LeaderRunnable } from '../runtime/manager.js';
import { pushedRef, refMatches, verifySignature } from './signature.js';
import { type TokenCacheOptions, WebhookTokens } from './tokens.js';

export { WEBHOOK_SECRET_ANNOTATION, WEBHOOK_TOKEN_KEY } from './tokens.js';

export interface ReceiverOptions extends TokenCacheOptions {
  maxBodyBytes?: number;
  /** Minimum time between two triggers of the same object; extra events are coalesced. */
  minIntervalMs?: number;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) throw new BodyTooLarge();
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export class WebhookReceiver implements LeaderRunnable {
  readonly name = 'webhook-receiver';
  private listening: Listening | undefined;
  private readonly lastTrigger = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly maxBody: number;
  private readonly minInterval: number;
  private readonly tokens: WebhookTokens;
  /** Verified against when an object has no token, so that every request does the same work. */
  private readonly decoyToken = randomBytes(32).toString('hex');

  constructor(
    private readonly client: KubeClient,
    private readonly sources: Informer<GitRepository>,
    private readonly addr: string,
    private readonly log: Logger,
    opts: ReceiverOptions = {},
  ) {
    this.maxBody = opts.maxBodyBytes ?? 1024 * 1024;
    this.minInterval = opts.minIntervalMs ?? 1000;
    this.tokens = new WebhookTokens(client, sources, log, opts);
  }

  get port(): number | undefined {
    return this.listening?.port;
  }

  async start(): Promise<void> {
    await this.tokens.start();
    this.listening = await listen(this.addr, (req, res) => this.handle(req, res));
    this.log.info('webhook receiver started', { port: this.listening.port });
  }

  async stop(): Promise<void> {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    this.tokens.stop();
    await this.listening?.close();
  }

  private reply(res: ServerResponse, status: number, message: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^\/hook\/([a-z0-9.-]+)\/([a-z0-9.-]+)$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (!match) return this.reply(res, 404, 'not found');
    if (req.method !== 'POST') return this.reply(res, 405, 'method not allowed');
    const [, namespace, name] = match as unknown as [string, string, string];
    let body: Buffer;
    try {
      body = await readBody(req, this.maxBody);
    } catch (err) {
      if (err instanceof BodyTooLarge)
        return this.reply(res, 413, `payload larger than ${this.maxBody} bytes`);
      throw err;
    }
    // "No such object", "not opted in" and "bad signature": the same work (two map lookups and
    // one verification, against a decoy token when there is none), no API call, the same answer.
    const key = `${namespace}/${name}`;
    const repo = this.sources.get(key);
    const token = this.tokens.token(key);
    const provider = verifySignature(req.headers, body, token ?? this.decoyToken);
    if (!repo || !token || !provider) {
      this.tokens.verificationFailed(key);
      this.log.info('webhook rejected', { namespace, name, reason: 'missing or invalid signature' });
      return this.reply(res, 401, 'unauthorized');
    }
    const event = req.headers['x-github-event'] ?? req.headers['x-gitlab-event'];
    if (event === 'ping') return this.reply(res, 200, 'pong');
    const ref = pushedRef(body);
    if (!refMatches(ref, repo.spec.ref)) return this.reply(res, 200, `ignored: ${ref} is not tracked`);

    const wait = (this.lastTrigger.get(key) ?? 0) + this.minInterval - Date.now();
    if (wait > 0) {
      // Rate limit per object: a burst of pushes becomes one more sync at the end of the window,
      // never a lost one.
      if (!this.pending.has(key)) {
        const timer = setTimeout(() => {
          this.pending.delete(key);
          void this.requestSync(namespace, name, provider, ref);
        }, wait);
        this.pending.set(key, timer);
      }
      return this.reply(res, 202, 'sync scheduled (rate limited)');
    }
    const ok = await this.requestSync(namespace, name, provider, ref);
    return ok ? this.reply(res, 202, 'sync requested') : this.reply(res, 500, 'could not request a sync');
  }

  private async requestSync(
    namespace: string,
    name: string,
    provider: string,
    ref: string | undefined,
  ): Promise<boolean> {
    const key = `${namespace}/${name}`;
    const now = Date.now();
    const requestedAt = new Date(now).toISOString();
    this.lastTrigger.set(key, now);
    try {
      await this.client.patch(
        objectPath(GitRepositoryType, namespace, name),
        { metadata: { annotations: { [RECONCILE_REQUESTED_AT_ANNOTATION]: requestedAt } } },
        ContentType.mergePatch,
      );
      this.log.info('webhook requested a sync', { namespace, name, provider, ref, requestedAt });
      return true;
    } catch (err) {
      this.lastTrigger.delete(key);
      this.log.error('webhook could not request a sync', { namespace, name, error: errorMessage(err) });
      return false;
    }
  }
}
