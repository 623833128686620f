// SSH for isomorphic-git: an implementation of its `http` plugin that speaks the (stateful)
// SSH flavour of the v0 pack protocol over an ssh2 exec channel running `git-upload-pack`.
// - GET  …/info/refs?service=git-upload-pack → open a channel, read the ref advertisement up to
//   the flush packet, return it wrapped like smart HTTP does (`# service=…` + flush);
// - POST …/git-upload-pack → write the request to the same channel, stream stdout back.
// isomorphic-git is given a placeholder http URL; this object carries the real target.
// The host key is pinned against the secret's known_hosts (no trust on first use).
import ssh2 from 'ssh2';
import {
  type HostKeyVerdict,
  hostKeyAlgorithms,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
} from './knownhosts.js';
import { GitError } from './types.js';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** Repository path on the server as in the URL (absolute, or `~`-relative). */
  path: string;
  privateKey: string;
  passphrase?: string;
  knownHosts: string;
}

interface HttpRequestLike {
  url: string;
  method?: string;
  body?: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

interface HttpResponseLike {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body: AsyncIterableIterator<Uint8Array>;
  statusCode: number;
  statusMessage: string;
}

/** Placeholder URL handed to isomorphic-git; the transport ignores its host. */
export const SSH_PLACEHOLDER_URL = 'http://ssh-transport.invalid/repo.git';

export class SshTransport {
  private client: ssh2.Client | undefined;
  private connecting: Promise<ssh2.Client> | undefined;
  private channel: ssh2.ClientChannel | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private readonly channels = new Set<ssh2.ClientChannel>();
  /** Why the connection failed, for error classification. */
  hostKeyVerdict: HostKeyVerdict | undefined;
  stderr = '';

  constructor(
    private readonly target: SshTarget,
    private readonly signal: AbortSignal,
  ) {}

  /** isomorphic-git `http` plugin entry point. */
  request = async (req: HttpRequestLike): Promise<HttpResponseLike> => {
    const u = new URL(req.url);
    if ((req.method ?? 'GET') === 'GET' && u.pathname.endsWith('/info/refs')) {
      if (u.searchParams.get('service') !== 'git-upload-pack') {
        throw new GitError('GitOperationFailed', 'only fetching is supported over SSH');
      }
      const advertisement = await this.advertise();
      const prefix = Buffer.from('001e# service=git-upload-pack\n0000');
      return this.response(
        req,
        'application/x-git-upload-pack-advertisement',
        once(Buffer.concat([prefix, advertisement])),
      );
    }
    if (req.method === 'POST' && u.pathname.endsWith('/git-upload-pack')) {
      const channel = this.channel;
      if (!channel) throw new GitError('GitOperationFailed', 'upload-pack request without advertisement');
      this.channel = undefined;
      for await (const chunk of req.body ?? []) channel.write(chunk);
      const rest = this.pending;
      this.pending = Buffer.alloc(0);
      return this.response(req, 'application/x-git-upload-pack-result', streamChannel(channel, rest));
    }
    throw new GitError('GitOperationFailed', `unexpected request ${req.method} ${u.pathname}`);
  };

  /** Close every channel and the connection. */
  close(): void {
    for (const ch of this.channels) {
      try {
        ch.close();
      } catch {
        // already closed
      }
    }
    this.channels.clear();
    this.client?.end();
    this.client?.destroy();
    this.client = undefined;
  }

  private response(
    req: HttpRequestLike,
    type: string,
    body: AsyncIterableIterator<Uint8Array>,
  ): HttpResponseLike {
    return {
      url: req.url,
      method: req.method ?? 'GET',
      headers: { 'content-type': type },
      body,
      statusCode: 200,
      statusMessage: 'OK',
    };
  }

  private connect(): Promise<ssh2.Client> {
    if (this.connecting) return this.connecting;
    const t = this.target;
    const entries = parseKnownHosts(t.knownHosts);
    const name = knownHostsName(t.host, t.port);
    const preferred = hostKeyAlgorithms(entries, name).flatMap((a) =>
      a === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [a],
    );
    this.connecting = new Promise<ssh2.Client>((resolve, reject) => {
      const client = new ssh2.Client();
      this.client = client;
      const onAbort = () => {
        client.destroy();
        reject(new Error('aborted'));
      };
      this.signal.addEventListener('abort', onAbort, { once: true });
      client.on('ready', () => {
        this.signal.removeEventListener('abort', onAbort);
        resolve(client);
      });
      client.on('error', (err) => {
        this.signal.removeEventListener('abort', onAbort);
        reject(err);
      });
      const config: ssh2.ConnectConfig = {
        host: t.host,
        port: t.port,
        username: t.username,
        privateKey: t.privateKey,
        readyTimeout: 2_147_483_647, // the operation deadline governs
        hostVerifier: (key: Buffer) => {
          this.hostKeyVerdict = verifyHostKey(entries, name, key);
          return this.hostKeyVerdict === 'trusted';
        },
        tryKeyboard: false,
      };
      if (t.passphrase) config.passphrase = t.passphrase;
      if (preferred.length) {
        config.algorithms = {
          serverHostKey: { prepend: preferred } as unknown as ssh2.AlgorithmList<ssh2.ServerHostKeyAlgorithm>,
        };
      }
      try {
        client.connect(config);
      } catch (err) {
        reject(err);
      }
    });
    return this.connecting;
  }

  /** Start `git-upload-pack` and read its ref advertisement (up to and including the flush). */
  private async advertise(): Promise<Buffer> {
    const client = await this.connect();
    if (this.channel) {
      // A previous advertisement that was not followed by a fetch (ls-remote): end it.
      this.channel.end(Buffer.from('0000'));
      this.channel = undefined;
    }
    const channel = await new Promise<ssh2.ClientChannel>((resolve, reject) => {
      client.exec(`git-upload-pack ${shellQuote(this.target.path)}`, (err, ch) =>
        err ? reject(err) : resolve(ch),
      );
    });
    this.channels.add(channel);
    channel.on('close', () => this.channels.delete(channel));
    channel.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 16 * 1024) this.stderr += d.toString('utf8');
    });
    const { advertisement, rest } = await readAdvertisement(channel, this.signal, () => this.stderr);
    this.channel = channel;
    this.pending = rest;
    return advertisement;
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function* once(buf: Buffer): AsyncIterableIterator<Uint8Array> {
  yield buf;
}

/** Read pkt-lines from the channel until the first flush-pkt; return them and any surplus bytes. */
function readAdvertisement(
  channel: ssh2.ClientChannel,
  signal: AbortSignal,
  stderr: () => string,
): Promise<{ advertisement: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = () => {
      channel.off('data', onData);
      channel.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(new Error('aborted'));
    };
    const onClose = () => {
      cleanup();
      const msg = stderr().trim() || 'upload-pack closed the connection before advertising refs';
      reject(
        new GitError(
          /not found|does not appear|No such file/i.test(msg) ? 'GitOperationFailed' : 'GitOperationFailed',
          msg,
        ),
      );
    };
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let off = 0;
      while (off + 4 <= buf.length) {
        const len = Number.parseInt(buf.subarray(off, off + 4).toString('latin1'), 16);
        if (Number.isNaN(len)) {
          cleanup();
          reject(new GitError('GitOperationFailed', 'malformed ref advertisement from upload-pack'));
          return;
        }
        if (len === 0) {
          cleanup();
          channel.pause();
          resolve({ advertisement: buf.subarray(0, off + 4), rest: buf.subarray(off + 4) });
          return;
        }
        if (off + len > buf.length) break;
        off += len;
      }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    channel.on('data', onData);
    channel.on('close', onClose);
  });
}

async function* streamChannel(channel: ssh2.ClientChannel, first: Buffer): AsyncIterableIterator<Uint8Array> {
  if (first.length) yield first;
  channel.resume();
  for await (const chunk of channel as AsyncIterable<Buffer>) yield chunk;
}
