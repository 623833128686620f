// The `mooring ui` HTTP server: the page's static assets, a JSON API and Server-Sent Event streams.
// It is a local tool with the user's credentials behind it, so every request must name this
// server in its Host header (no DNS rebinding), and every write must come from the page itself
// (same Origin, JSON body: a form or a cross-site fetch from another page cannot pass).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kustomization } from '../api/kustomization.js';
import type { KubeClient } from '../kube/client.js';
import { RESTMapper } from '../kube/discovery.js';
import { errorMessage, type Logger } from '../runtime/logger.js';
import { ActionError, Actions, parseActionRequest } from './actions.js';
import type { ActionProgress, Detail, FluxKind, Overview } from './api.js';
import { buildDetail } from './detail.js';
import { DriftError, driftOf } from './drift.js';
import { InventoryWatch } from './inventory.js';
import type { FluxObject, UiStore } from './store.js';

export interface UiServerOptions {
  store: UiStore;
  client: KubeClient;
  logger: Logger;
  address: string;
  port: number;
  /** The built page (index.html, app.js, app.css); default: web/ next to this module. */
  assetsDir?: string;
  /** Replaces artifact URLs' host[:port] when computing drift. */
  artifactHost?: string;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const isLoopback = (address: string) =>
  address === '127.0.0.1' || address === '::1' || address === 'localhost' || address.startsWith('127.');

const MAX_BODY = 16 * 1024;
const HEARTBEAT_MS = 15_000;
const DETAIL_DEBOUNCE_MS = 150;

interface DetailFeed {
  kind: FluxKind;
  namespace: string;
  name: string;
  clients: Set<ServerResponse>;
  inventory?: InventoryWatch;
  timer?: NodeJS.Timeout;
  last?: string;
}

export class UiServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly feeds = new Map<string, DetailFeed>();
  private readonly assets = new Map<string, { body: Buffer; type: string }>();
  private readonly mapper: RESTMapper;
  private readonly actions: Actions;
  private readonly unsubscribe: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private allowedHosts = new Set<string>();
  url = '';

  constructor(private readonly opts: UiServerOptions) {
    this.mapper = new RESTMapper(opts.client);
    this.actions = new Actions(opts.store, opts.client, (p) => this.broadcast('action', p));
    this.loadAssets(opts.assetsDir ?? fileURLToPath(new URL('./web/', import.meta.url)));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        opts.logger.error('ui request failed', { error: errorMessage(err), path: req.url });
        if (!res.headersSent) this.json(res, 500, { error: errorMessage(err) });
        else res.end();
      });
    });
    this.unsubscribe.push(
      opts.store.onDelta((d) => this.broadcast('delta', d)),
      opts.store.onChange(() => {
        for (const feed of this.feeds.values()) this.schedule(feed);
      }),
    );
  }

  private loadAssets(dir: string): void {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const type = MIME[extname(name)];
      if (type) this.assets.set(name, { body: readFileSync(join(dir, name)), type });
    }
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.address, () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    const host = this.opts.address.includes(':') ? `[${this.opts.address}]` : this.opts.address;
    this.allowedHosts = new Set([`${host}:${port}`]);
    if (isLoopback(this.opts.address))
      for (const h of ['127.0.0.1', 'localhost', '[::1]']) this.allowedHosts.add(`${h}:${port}`);
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) s.write(': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.url = `http://${host}:${port}/`;
    return this.url;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const u of this.unsubscribe) u();
    for (const s of this.streams) s.end();
    this.streams.clear();
    await Promise.all([...this.feeds.values()].map((f) => this.closeFeed(f)));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- Request handling -----------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    const host = req.headers.host ?? '';
    if (!this.allowedHosts.has(host.toLowerCase())) {
      this.json(res, 421, { error: `unexpected Host header "${host}": open ${this.url}` });
      return;
    }
    const url = new URL(req.url ?? '/', this.url);
    const path = url.pathname;
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if (
        !origin ||
        !this.allowedHosts.has(origin.replace(/^http:\/\//, '').toLowerCase()) ||
        !origin.startsWith('http://')
      ) {
        this.json(res, 403, { error: 'cross-origin request refused' });
        return;
      }
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
        this.json(res, 415, { error: 'expected a JSON body' });
        return;
      }
      if (path === '/api/actions') return this.action(req, res);
      this.json(res, 404, { error: 'not found' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD, POST');
      this.json(res, 405, { error: 'method not allowed' });
      return;
    }
    if (path === '/' || path === '/index.html') return this.asset(res, 'index.html');
    if (path.startsWith('/assets/')) return this.asset(res, path.slice('/assets/'.length));
    if (path === '/api/overview') return this.json(res, 200, this.overview());
    if (path === '/api/stream') return this.overviewStream(req, res);
    const parts = path.split('/').slice(1).map(decodeURIComponent);
    // /api/{kustomizations|gitrepositories}/NS/NAME[/stream|/drift]
    if (parts[0] === 'api' && parts.length >= 4 && parts.length <= 5) {
      const kind: FluxKind | undefined =
        parts[1] === 'kustomizations'
          ? 'Kustomization'
          : parts[1] === 'gitrepositories'
            ? 'GitRepository'
            : undefined;
      const [namespace, name, sub] = [parts[2]!, parts[3]!, parts[4]];
      if (kind && sub === undefined) return this.detailOnce(res, kind, namespace, name);
      if (kind && sub === 'stream') return this.detailStream(req, res, kind, namespace, name);
      if (kind === 'Kustomization' && sub === 'drift') return this.drift(res, namespace, name);
    }
    this.json(res, 404, { error: 'not found' });
  }

  private asset(res: ServerResponse, name: string): void {
    const a = this.assets.get(name);
    if (!a) {
      const missing = this.assets.size === 0;
      this.json(res, missing ? 500 : 404, {
        error: missing ? "the UI's assets are not built: run 'make build'" : 'not found',
      });
      return;
    }
    res.writeHead(200, { 'Content-Type': a.type, 'Cache-Control': 'no-cache' });
    res.end(a.body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private overview(): Overview {
    return { scope: this.opts.store.namespace ?? '', rows: this.opts.store.allRows() };
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    req.socket.setNoDelay(true);
  }

  private send(res: ServerResponse, event: string, data: unknown): void {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private broadcast(event: string, data: unknown): void {
    for (const s of this.streams) this.send(s, event, data);
  }

  private overviewStream(req: IncomingMessage, res: ServerResponse): void {
    this.openStream(req, res);
    this.send(res, 'overview', this.overview());
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  // ---- Detail -------------------------------------------------------------------------------

  private async detail(
    kind: FluxKind,
    namespace: string,
    name: string,
    inventory?: InventoryWatch,
  ): Promise<Detail | undefined> {
    const store = this.opts.store;
    const obj = store.get(kind, namespace, name);
    if (!obj) return undefined;
    if (kind === 'Kustomization') {
      const entries = (obj as unknown as Kustomization).status?.inventory?.entries ?? [];
      const watch =
        inventory ??
        new InventoryWatch(this.opts.client, this.mapper, { namespace, name }, this.opts.logger, () => {});
      if (inventory) await inventory.update(entries);
      const objects = await watch.objects(entries);
      const ref = (obj as unknown as Kustomization).spec?.sourceRef;
      const sourceRow = ref ? store.row('GitRepository', ref.namespace || namespace, ref.name) : undefined;
      return buildDetail({ kind, obj, inventory: objects, events: store.events.list(), sourceRow });
    }
    const consumers = store.kustomizations
      .list()
      .filter((k) => {
        const ref = k.spec?.sourceRef;
        return (
          ref?.kind === 'GitRepository' &&
          ref.name === name &&
          (ref.namespace || k.metadata.namespace) === namespace
        );
      })
      .map((k) => ({ namespace: k.metadata.namespace ?? '', name: k.metadata.name }));
    return buildDetail({ kind, obj, inventory: [], events: store.events.list(), consumers });
  }

  private notFound(kind: FluxKind, namespace: string, name: string): string {
    const scope = this.opts.store.namespace;
    return scope && scope !== namespace
      ? `${kind} '${namespace}/${name}' is outside the namespace this UI watches (${scope}); restart it with -A or -n ${namespace}`
      : `${kind} '${namespace}/${name}' not found`;
  }

  private async detailOnce(
    res: ServerResponse,
    kind: FluxKind,
    namespace: string,
    name: string,
  ): Promise<void> {
    const d = await this.detail(kind, namespace, name);
    if (!d) this.json(res, 404, { error: this.notFound(kind, namespace, name) });
    else this.json(res, 200, d);
  }

  private detailStream(
    req: IncomingMessage,
    res: ServerResponse,
    kind: FluxKind,
    namespace: string,
    name: string,
  ): void {
    const key = `${kind}/${namespace}/${name}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      const created: DetailFeed = { kind, namespace, name, clients: new Set() };
      if (kind === 'Kustomization')
        created.inventory = new InventoryWatch(
          this.opts.client,
          this.mapper,
          { namespace, name },
          this.opts.logger,
          () => this.schedule(created),
        );
      this.feeds.set(key, created);
      feed = created;
    }
    this.openStream(req, res);
    feed.clients.add(res);
    feed.last = undefined;
    this.schedule(feed, 0);
    const f = feed;
    req.on('close', () => {
      f.clients.delete(res);
      if (f.clients.size === 0) void this.closeFeed(f);
    });
  }

  private async closeFeed(feed: DetailFeed): Promise<void> {
    clearTimeout(feed.timer);
    this.feeds.delete(`${feed.kind}/${feed.namespace}/${feed.name}`);
    for (const c of feed.clients) c.end();
    await feed.inventory?.stop();
  }

  private schedule(feed: DetailFeed, delay = DETAIL_DEBOUNCE_MS): void {
    if (feed.timer) return;
    feed.timer = setTimeout(() => {
      this.pushDetail(feed)
        .catch((err: unknown) => {
          for (const c of feed.clients) this.send(c, 'failure', { error: errorMessage(err) });
        })
        .finally(() => {
          feed.timer = undefined;
        });
    }, delay);
  }

  private async pushDetail(feed: DetailFeed): Promise<void> {
    if (!this.feeds.has(`${feed.kind}/${feed.namespace}/${feed.name}`)) return;
    const d = await this.detail(feed.kind, feed.namespace, feed.name, feed.inventory);
    const [event, data] = d
      ? ['detail', d]
      : ['failure', { error: this.notFound(feed.kind, feed.namespace, feed.name) }];
    const text = JSON.stringify(data);
    if (text === feed.last) return;
    feed.last = text;
    for (const c of feed.clients) c.write(`event: ${event}\ndata: ${text}\n\n`);
  }

  // ---- Drift and actions --------------------------------------------------------------------

  private async drift(res: ServerResponse, namespace: string, name: string): Promise<void> {
    const store = this.opts.store;
    const ks = store.get('Kustomization', namespace, name) as unknown as Kustomization | undefined;
    if (!ks) {
      this.json(res, 404, { error: this.notFound('Kustomization', namespace, name) });
      return;
    }
    const ref = ks.spec.sourceRef;
    const sourceNs = ref.namespace || namespace;
    const source =
      store.get('GitRepository', sourceNs, ref.name) ??
      (await this.opts.client.getOptional<FluxObject>(
        `/apis/source.toolkit.fluxcd.io/v1/namespaces/${encodeURIComponent(sourceNs)}/gitrepositories/${encodeURIComponent(ref.name)}`,
      ));
    try {
      const drift = await driftOf(this.opts.client, ks, source, {
        ...(this.opts.artifactHost ? { artifactHost: this.opts.artifactHost } : {}),
      });
      this.json(res, 200, drift);
    } catch (err) {
      this.json(res, err instanceof DriftError ? 409 : 502, { error: errorMessage(err) });
    }
  }

  private async action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) {
      body += chunk;
      if (body.length > MAX_BODY) {
        this.json(res, 413, { error: 'request body too large' });
        return;
      }
    }
    let progress: ActionProgress;
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new ActionError(400, 'the body is not JSON');
      }
      progress = await this.actions.start(parseActionRequest(parsed));
    } catch (err) {
      const e = err instanceof ActionError ? err : new ActionError(500, errorMessage(err));
      this.json(res, e.status, { error: e.message });
      return;
    }
    this.json(res, 202, progress);
  }
}
