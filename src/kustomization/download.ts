// Artifact download (Flux: kustomize-controller → fluxcd/pkg http/fetch ArchiveFetcher): GET with
// retries on connection errors, 429 and 5xx (not 501), exponential backoff, 404 not retried
// (ArtifactNotFound); the body goes to a file under a size cap while its digest is computed. A
// body that breaks off mid-download is retried like a failed request.
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { setTimeout } from 'node:timers/promises';
import { ArtifactFetchError, abortError } from './fetcherror.js';

const hashLengths: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export function parseDigest(digest: string): { algorithm: string; hex: string } {
  if (digest === '') throw new ArtifactFetchError('DigestMismatch', 'the artifact has an empty digest');
  const [algorithm, hex] = digest.includes(':')
    ? (digest.split(':', 2) as [string, string])
    : ['sha256', digest];
  const len = hashLengths[algorithm];
  if (len === undefined || !new RegExp(`^[0-9a-f]{${len}}$`).test(hex)) {
    throw new ArtifactFetchError('DigestMismatch', `failed to parse digest '${digest}'`);
  }
  return { algorithm, hex };
}

export function withHost(url: string, host: string | undefined): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ArtifactFetchError('DownloadFailed', `invalid artifact URL '${url}'`);
  }
  if (host) u.host = host;
  return u.toString();
}

export interface DownloadOptions {
  retries: number;
  maxDownloadBytes: number;
  waitMinMs: number;
  waitMaxMs: number;
  signal: AbortSignal;
  timeoutMs: number;
}

/** One attempt's failure that another attempt may fix. */
class Transient extends Error {}

/** GETs `url` into `file`, retrying transient failures; returns the hex digest of the bytes. */
export async function download(
  url: string,
  file: string,
  algorithm: string,
  o: DownloadOptions,
): Promise<string> {
  let last = '';
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) {
      await setTimeout(Math.min(o.waitMaxMs, o.waitMinMs * 2 ** (attempt - 1)), undefined, {
        signal: o.signal,
      }).catch(() => {
        throw abortError(o.signal, o.timeoutMs);
      });
    }
    try {
      return await attemptDownload(url, file, algorithm, o);
    } catch (err) {
      if (o.signal.aborted) throw abortError(o.signal, o.timeoutMs);
      if (!(err instanceof Transient)) throw err;
      last = err.message;
    }
  }
  const tries = o.retries + 1;
  throw new ArtifactFetchError(
    'DownloadFailed',
    `failed to download artifact from ${url} after ${tries} attempt${tries === 1 ? '' : 's'}: ${last}`,
  );
}

async function attemptDownload(
  url: string,
  file: string,
  algorithm: string,
  o: DownloadOptions,
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: o.signal, redirect: 'follow' });
  } catch (err) {
    throw new Transient(describeNetworkError(err));
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    const status = `status: ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (res.status === 404) {
      throw new ArtifactFetchError('ArtifactNotFound', `artifact not found at ${url} (${status})`);
    }
    if (res.status === 429 || (res.status >= 500 && res.status !== 501)) throw new Transient(status);
    throw new ArtifactFetchError('DownloadFailed', `failed to download artifact from ${url} (${status})`);
  }
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > o.maxDownloadBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLargeDownload(declared, o.maxDownloadBytes);
  }
  const hash: Hash = createHash(algorithm);
  const fh = await open(file, 'w', 0o600);
  let size = 0;
  try {
    if (res.body) {
      try {
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength;
          if (size > o.maxDownloadBytes) throw tooLargeDownload(size, o.maxDownloadBytes);
          hash.update(chunk);
          await fh.write(chunk);
        }
      } catch (err) {
        if (err instanceof ArtifactFetchError) throw err;
        if (o.signal.aborted) throw err;
        // A body that broke off: the server went away or the connection reset mid-transfer.
        throw new Transient(
          `the response body was cut off after ${size} bytes: ${describeNetworkError(err)}`,
        );
      }
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

function tooLargeDownload(size: number, max: number): ArtifactFetchError {
  return new ArtifactFetchError(
    'ArtifactTooLarge',
    `artifact download of at least ${size} bytes exceeds the maximum of ${max} bytes`,
  );
}

function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message} (${cause})` : e.message;
}
