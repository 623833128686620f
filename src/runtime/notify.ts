// Forwards events to Flux's notification-controller (`--events-addr`) in the fluxcd/pkg
// runtime/events format, so Alerts, Providers and Git commit statuses keep working. Delivery never
// blocks a reconcile: events go into a bounded queue drained by one sender that posts with a
// timeout and retries like Flux's retryable client (connection errors and 5xx; 429 means
// "duplicate" and is not retried).
import { hostname } from 'node:os';
import { setTimeout as wait } from 'node:timers/promises';
import { errorMessage, type Logger } from './logger.js';

/** corev1.ObjectReference as Flux fills it (reference.GetReference). */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
}

/** fluxcd/pkg apis/event Event. */
export interface FluxEvent {
  involvedObject: InvolvedObject;
  severity: 'info' | 'error';
  timestamp: string;
  message: string;
  reason: string;
  metadata?: Record<string, string>;
  reportingController: string;
  reportingInstance?: string;
}

export interface EventForwarderOptions {
  /** The notification-controller endpoint, e.g. http://notification-controller.flux-system.svc.cluster.local./ */
  url: string;
  reportingController: string;
  logger: Logger;
  reportingInstance?: string;
  /** Events waiting beyond this are dropped, oldest first (default 1000). */
  queueSize?: number;
  /** Per attempt (Flux: 5s). */
  timeoutMs?: number;
  /** Retries after the first attempt (retryablehttp default: 4). */
  retryMax?: number;
  retryWaitMinMs?: number;
  retryWaitMaxMs?: number;
}

/** Flux's maximum event message length (the CRD's MaxLength on Event.message). */
const MAX_MESSAGE = 39_000;

/** Parses `--events-addr`; throws a one-line error for anything but an absolute http(s) URL. */
export function parseEventsAddr(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(
      '--events-addr: not an absolute URL (e.g. http://notification-controller.flux-system.svc.cluster.local./)',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`--events-addr: only http and https URLs are supported, got "${url.protocol}"`);
  return url;
}

/** The URL for logs: no user info (a token in the URL is a credential). */
function redacted(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

export class EventForwarder {
  private readonly queue: FluxEvent[] = [];
  private readonly url: URL;
  private readonly instance: string;
  private sending: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  private dropped = 0;
  /** Events delivered (2xx or 429) and given up on; for tests and metrics. */
  delivered = 0;
  failed = 0;

  constructor(private readonly opts: EventForwarderOptions) {
    this.url = parseEventsAddr(opts.url);
    this.instance = opts.reportingInstance ?? hostname();
  }

  /** Queues an event; returns at once. Drops the oldest event when the queue is full. */
  send(event: Omit<FluxEvent, 'reportingController' | 'reportingInstance'>): void {
    if (this.closed) return;
    const full: FluxEvent = {
      ...event,
      message:
        event.message.length > MAX_MESSAGE ? `${event.message.slice(0, MAX_MESSAGE - 3)}...` : event.message,
      reportingController: this.opts.reportingController,
      reportingInstance: this.instance,
    };
    if (this.queue.length >= (this.opts.queueSize ?? 1000)) {
      this.queue.shift();
      if (this.dropped++ === 0)
        this.opts.logger.error('event queue full: dropping the oldest events', { url: redacted(this.url) });
    }
    this.queue.push(full);
    this.sending ??= this.drain().finally(() => {
      this.sending = undefined;
    });
  }

  /** Waits up to `deadlineMs` for queued events, then abandons the rest. */
  async close(deadlineMs = 5_000): Promise<void> {
    this.closed = true;
    if (this.sending) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.sending,
        new Promise<void>((r) => {
          timer = setTimeout(r, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.sending;
  }

  private async drain(): Promise<void> {
    for (let event = this.queue.shift(); event; event = this.queue.shift()) {
      if (this.abort.signal.aborted) return;
      await this.deliver(event);
      if (this.dropped > 0 && this.queue.length === 0) {
        this.opts.logger.error('events dropped while the event receiver was slow', { dropped: this.dropped });
        this.dropped = 0;
      }
    }
  }

  private async deliver(event: FluxEvent): Promise<void> {
    const body = JSON.stringify(event);
    const retryMax = this.opts.retryMax ?? 4;
    let lastError = '';
    for (let attempt = 0; attempt <= retryMax; attempt++) {
      if (attempt > 0) {
        const wait = Math.min(
          (this.opts.retryWaitMinMs ?? 1_000) * 2 ** (attempt - 1),
          this.opts.retryWaitMaxMs ?? 30_000,
        );
        if (!(await this.sleep(wait))) return;
      }
      try {
        const res = await fetch(this.url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 5_000)]),
        });
        await res.body?.cancel().catch(() => undefined);
        if ((res.status >= 200 && res.status < 300) || res.status === 429) {
          this.delivered++;
          return;
        }
        lastError = `HTTP ${res.status}`;
        if (res.status < 500 || res.status === 501) break;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        lastError = errorMessage(err);
      }
    }
    this.failed++;
    this.opts.logger.error('unable to record event', {
      url: redacted(this.url),
      reason: event.reason,
      name: event.involvedObject.name,
      namespace: event.involvedObject.namespace,
      error: lastError,
    });
  }

  /** Resolves false when aborted. */
  private async sleep(ms: number): Promise<boolean> {
    try {
      await wait(ms, undefined, { signal: this.abort.signal });
      return true;
    } catch {
      return false;
    }
  }
}
