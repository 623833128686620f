// The isomorphic-git `http` plugin over node:http/https, so that a secret's CA and client
// certificate, credentials (sent preemptively, never in the URL) and the operation's
// AbortSignal apply. It remembers the last failure for error classification.
import * as http from 'node:http';
import * as https from 'node:https';
import { HttpsProxyAgent } from 'https-proxy-agent';
import type { GitAuth } from './types.js';

interface HttpRequestLike {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface HttpResponseLike {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body: AsyncIterableIterator<Uint8Array>;
  statusCode: number;
  statusMessage: string;
}

export class NodeHttpClient {
  /** Last non-2xx status or network/TLS error code seen. */
  lastStatus: number | undefined;
  lastError: NodeJS.ErrnoException | undefined;

  /** CONNECT tunnels through spec.proxySecretRef's proxy, for http:// and https:// remotes alike. */
  private readonly proxyAgent: HttpsProxyAgent<string> | undefined;

  constructor(
    private readonly auth: GitAuth,
    private readonly signal: AbortSignal,
    proxyUrl?: string,
  ) {
    if (proxyUrl) this.proxyAgent = new HttpsProxyAgent(proxyUrl);
  }

  request = async (req: HttpRequestLike): Promise<HttpResponseLike> => {
    const url = new URL(req.url);
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (this.auth.bearerToken) headers.Authorization = `Bearer ${this.auth.bearerToken}`;
    else if (this.auth.username) {
      headers.Authorization = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password ?? ''}`).toString('base64')}`;
    }
    const chunks: Buffer[] = [];
    for await (const c of req.body ?? []) chunks.push(Buffer.from(c));
    const body = Buffer.concat(chunks);
    if (req.body) headers['Content-Length'] = String(body.length);

    const options: https.RequestOptions = { method: req.method ?? 'GET', headers, signal: this.signal };
    if (url.protocol === 'https:') {
      if (this.auth.caCert) options.ca = this.auth.caCert;
      if (this.auth.tlsCert && this.auth.tlsKey) {
        options.cert = this.auth.tlsCert;
        options.key = this.auth.tlsKey;
      }
    }
    if (this.proxyAgent) options.agent = this.proxyAgent;
    const mod = url.protocol === 'https:' ? https : http;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = mod.request(url, options, resolve);
      r.on('error', (err: NodeJS.ErrnoException) => {
        this.lastError = err;
        reject(err);
      });
      r.end(body.length ? body : undefined);
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) this.lastStatus = status;
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) {
      if (v !== undefined) outHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return {
      url: req.url,
      method: req.method ?? 'GET',
      headers: outHeaders,
      body: res[Symbol.asyncIterator]() as AsyncIterableIterator<Uint8Array>,
      statusCode: status,
      statusMessage: res.statusMessage ?? '',
    };
  };
}
