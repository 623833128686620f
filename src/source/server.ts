// The artifact server: GET/HEAD of stored files only — no directory listings, nothing outside the
// storage root (`..`, encoded or not, and symlinks leading out are refused), ETag = sha256 digest.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sep } from 'node:path';
import { type Listening, listen } from '../runtime/http.js';
import type { Logger } from '../runtime/logger.js';
import type { LeaderRunnable } from '../runtime/manager.js';
import type { Storage } from './storage.js';

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class ArtifactServer implements LeaderRunnable {
  readonly name = 'artifact-server';
  private listening: Listening | undefined;
  /** Digest per file, keyed by path + size + mtime (artifact files are immutable once renamed). */
  private readonly digests = new Map<string, string>();

  constructor(
    private readonly storage: Storage,
    private readonly addr: string,
    private readonly log: Logger,
  ) {}

  get port(): number | undefined {
    return this.listening?.port;
  }

  async start(): Promise<void> {
    this.listening = await listen(this.addr, (req, res) => this.handle(req, res));
    this.log.info('artifact server started', { addr: this.addr, port: this.listening.port });
  }

  async stop(): Promise<void> {
    await this.listening?.close();
    this.listening = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (rel === '') {
      // Readiness probe target, as Flux's source-controller (only the leader serves).
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
      return;
    }
    const local = rel.split('/').includes('..') ? undefined : this.storage.localPath(rel);
    const file = local ? await this.resolveInside(local) : undefined;
    const st = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !st?.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const cacheKey = `${file}|${st.size}|${st.mtimeMs}`;
    let digest = this.digests.get(cacheKey);
    if (!digest) {
      digest = await sha256File(file);
      if (this.digests.size > 10_000) this.digests.clear();
      this.digests.set(cacheKey, digest);
    }
    const etag = `"sha256:${digest}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag }).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': file.endsWith('.tar.gz') ? 'application/gzip' : 'application/octet-stream',
      'Content-Length': st.size,
      ETag: etag,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }

  /** Follows symlinks (latest.tar.gz) but only to files still inside the storage root. */
  private async resolveInside(path: string): Promise<string | undefined> {
    try {
      const real = await realpath(path);
      const root = await realpath(this.storage.root);
      return real.startsWith(root + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }
}
