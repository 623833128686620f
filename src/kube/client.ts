// A thin, faithful HTTP client for the Kubernetes API. It sends bodies exactly as given (no typed
// serializer that drops unknown fields, no lower-casing of paths: dependencies.md §2), reuses
// connections through one keep-alive agent, and takes auth, TLS and impersonation from a KubeConfig.

import http from 'node:http';
import https from 'node:https';
import { ApiError, apiErrorFrom, TransportError } from './errors.js';
import type { KubeConfig } from './kubeconfig.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Accept header; default `application/json` (e.g. metadata-only lists use a `;as=` variant). */
  accept?: string;
}

export const ContentType = {
  json: 'application/json',
  mergePatch: 'application/merge-patch+json',
  jsonPatch: 'application/json-patch+json',
  strategicMergePatch: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** Counts requests by verb, for benchmarks and the "zero idle writes" guarantees. */
export type RequestCounter = (method: string, path: string, status: number, query?: Query) => void;

interface Auth {
  headers: Record<string, string>;
  expires: number;
}

const AUTH_TTL_MS = 60_000;

export class KubeClient {
  readonly server: URL;
  private readonly agent: https.Agent | http.Agent;
  private auth: Auth | undefined;
  private tls: https.RequestOptions = {};
  private counters: RequestCounter[] = [];

  constructor(
    readonly kubeConfig: KubeConfig,
    opts: { maxSockets?: number } = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    const tls: https.AgentOptions = { keepAlive: true, maxSockets: opts.maxSockets ?? 64 };
    this.agent = this.server.protocol === 'http:' ? new http.Agent(tls) : new https.Agent(tls);
  }

  onRequest(counter: RequestCounter): void {
    this.counters.push(counter);
  }

  /** Auth headers and TLS material from the kubeconfig, refreshed periodically (rotating tokens). */
  private async authOptions(): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    return opts;
  }

  private async requestOptions(): Promise<https.RequestOptions> {
    const now = Date.now();
    if (!this.auth || this.auth.expires < now) {
      const opts = await this.authOptions();
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
      if (opts.auth) headers.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      this.auth = { headers, expires: now + AUTH_TTL_MS };
      this.tls = {
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        rejectUnauthorized: opts.rejectUnauthorized,
        servername: opts.servername,
      };
    }
    return { ...this.tls, headers: { ...this.auth.headers } };
  }

  url(path: string, query?: Query): URL {
    const u = new URL(path, this.server);
    if (this.server.pathname !== '/' && !path.startsWith(this.server.pathname)) {
      u.pathname = this.server.pathname.replace(/\/$/, '') + path;
    }
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** Opens a request and resolves with the response stream (for watches) once headers arrive. */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const base = await this.requestOptions();
    const u = this.url(path, opts.query);
    const payload =
      opts.body === undefined
        ? undefined
        : typeof opts.body === 'string'
          ? opts.body
          : JSON.stringify(opts.body);
    const headers: Record<string, string> = {
      ...(base.headers as Record<string, string>),
      Accept: opts.accept ?? 'application/json',
    };
    if (payload !== undefined) {
      headers['Content-Type'] = opts.contentType ?? ContentType.json;
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    const mod = u.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        u,
        { ...base, method, headers, agent: this.agent, signal: opts.signal, timeout: opts.timeoutMs },
        resolve,
      );
      req.on('timeout', () => req.destroy(new Error(`request timed out after ${opts.timeoutMs} ms`)));
      req.on('error', (err) =>
        reject(new TransportError(`${method} ${u.pathname}: ${err.message}`, method, path)),
      );
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Sends a request and returns the parsed JSON body; non-2xx answers throw ApiError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    return (await this.requestWithStatus<T>(method, path, opts)).body;
  }

  /** As request, with the HTTP status (an apply PATCH answers 201 when it created the object). */
  async requestWithStatus<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; body: T }> {
    const res = await this.open(method, path, { timeoutMs: 60_000, ...opts });
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (err) {
      throw new TransportError(`${method} ${path}: ${(err as Error).message}`, method, path);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    for (const count of this.counters) count(method, path, status, opts.query);
    if (status < 200 || status >= 300) throw apiErrorFrom(status, text, method, path);
    return { status, body: (text ? JSON.parse(text) : {}) as T };
  }

  get<T = unknown>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, opts);
  }

  /** GET that answers undefined instead of throwing on 404. */
  async getOptional<T = unknown>(path: string, opts?: RequestOptions): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', path, opts);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  post<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, { ...opts, body });
  }

  put<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, { ...opts, body });
  }

  patch<T = unknown>(path: string, body: unknown, contentType: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, { ...opts, body, contentType });
  }

  delete<T = unknown>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, opts);
  }

  close(): void {
    this.agent.destroy();
  }
}
