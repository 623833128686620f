// Webhook tokens, kept in memory per opted-in GitRepository so that a request never waits on the
// API server: a POST costs no API call, and "no such object", "not opted in" and "opted in, wrong
// signature" do the same work. Tokens are read with a GET when an object opts in (or changes its
// Secret name), again every `refreshMs`, and at most once per `retryAfterMs` after a request
// failed to verify (a rotated token is picked up on the first delivery it fails). Reading with
// GETs, not a watch, keeps the controller's RBAC on Secrets to `get`.
import type { GitRepository } from '../api/gitrepository.js';
import type { KubeClient } from '../kube/client.js';
import { CoreTypes, objectKey, objectPath } from '../kube/resource.js';
import type { Informer } from '../runtime/informer.js';
import { errorMessage, type Logger } from '../runtime/logger.js';

export const WEBHOOK_SECRET_ANNOTATION = 'mooring.dev/webhook-secret';
export const WEBHOOK_TOKEN_KEY = 'token';

export interface TokenCacheOptions {
  /** How often every cached token is read again (default 2 minutes). */
  refreshMs?: number;
  /** After a failed verification, the earliest re-read of that object's token (default 10 s). */
  retryAfterMs?: number;
}

interface Entry {
  secret: string;
  token: string | undefined;
  fetchedAt: number;
  /** A GET in flight, so that events and failures do not pile up requests. */
  loading: Promise<void> | undefined;
}

export class WebhookTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshMs: number;
  private readonly retryAfterMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly client: KubeClient,
    private readonly sources: Informer<GitRepository>,
    private readonly log: Logger,
    opts: TokenCacheOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 120_000;
    this.retryAfterMs = opts.retryAfterMs ?? 10_000;
    sources.on((event, repo) => {
      if (this.running) this.track(event === 'deleted' ? undefined : repo, objectKey(repo));
    });
  }

  /** Reads the tokens of every opted-in object (the informer has synced), then keeps them fresh. */
  async start(): Promise<void> {
    this.running = true;
    for (const repo of this.sources.list()) this.track(repo, objectKey(repo));
    await Promise.all([...this.entries.values()].map((e) => e.loading));
    this.timer = setInterval(() => this.refreshAll(), this.refreshMs);
    this.timer.unref();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.entries.clear();
  }

  /** The token of an opted-in object, from memory; undefined when unknown, not opted in or unreadable. */
  token(key: string): string | undefined {
    const entry = this.entries.get(key);
    const repo = this.sources.get(key);
    if (!entry || !repo || secretNameOf(repo) !== entry.secret) return undefined;
    return entry.token;
  }

  /** A request for this object did not verify: re-read its token soon (it may have been rotated). */
  verificationFailed(key: string): void {
    const entry = this.entries.get(key);
    if (entry && !entry.loading && Date.now() - entry.fetchedAt >= this.retryAfterMs) this.load(key, entry);
  }

  private track(repo: GitRepository | undefined, key: string): void {
    const secret = repo ? secretNameOf(repo) : undefined;
    const entry = this.entries.get(key);
    if (!secret) {
      this.entries.delete(key);
      return;
    }
    if (entry?.secret === secret) return;
    const fresh: Entry = { secret, token: undefined, fetchedAt: 0, loading: undefined };
    this.entries.set(key, fresh);
    this.load(key, fresh);
  }

  private refreshAll(): void {
    for (const [key, entry] of this.entries) if (!entry.loading) this.load(key, entry);
  }

  private load(key: string, entry: Entry): void {
    const [namespace] = key.split('/') as [string];
    entry.loading = this.read(namespace, entry.secret)
      .then((token) => {
        entry.token = token;
      })
      .catch((err) => {
        // Keep the last token: a transient API error must not lock webhooks out.
        this.log.error('cannot read the webhook Secret', {
          namespace,
          secret: entry.secret,
          error: errorMessage(err),
        });
      })
      .finally(() => {
        entry.fetchedAt = Date.now();
        entry.loading = undefined;
      });
  }

  private async read(namespace: string, secret: string): Promise<string | undefined> {
    const s = await this.client.getOptional<{ data?: Record<string, string> }>(
      objectPath(CoreTypes.secret, namespace, secret),
    );
    const raw = s?.data?.[WEBHOOK_TOKEN_KEY];
    const token = raw ? Buffer.from(raw, 'base64').toString('utf8').trim() : '';
    return token || undefined;
  }
}

function secretNameOf(repo: GitRepository): string | undefined {
  return repo.metadata.annotations?.[WEBHOOK_SECRET_ANNOTATION] || undefined;
}
