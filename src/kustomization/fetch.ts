// Artifact fetch, the consumer side of the source-controller's artifact server (Flux:
// kustomize-controller → fluxcd/pkg http/fetch ArchiveFetcher + tar.Untar): download to a temp
// file (download.ts), verify its digest (`sha256:<hex>`, a bare hex meaning sha256) before a single
// byte is extracted, then extract safely (extract.ts). The host can be overridden
// (SOURCE_CONTROLLER_LOCALHOST).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { download, parseDigest, withHost } from './download.js';
import {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ENTRIES,
  type ExtractLimits,
  type ExtractSummary,
  extractArchive,
} from './extract.js';
import { ArtifactFetchError, abortError } from './fetcherror.js';

export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_ENTRIES,
  type ExtractLimits,
  type ExtractSummary,
  extractArchive,
} from './extract.js';
export { ArtifactFetchError, type ArtifactFetchErrorReason } from './fetcherror.js';

export interface FetchArtifactOptions {
  /** Retries after the first attempt (Flux's `--http-retry`, default 9). */
  retries?: number;
  /** Deadline for the whole fetch: every attempt, the backoff waits and the extraction. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Cap on the sum of all file sizes in the archive (default 256 MiB). */
  maxBytes?: number;
  /** Cap on the number of entries (default 100 000). */
  maxEntries?: number;
  /** Cap on one file's size (default maxBytes). */
  maxFileBytes?: number;
  /** Cap on the compressed download (default maxBytes). */
  maxDownloadBytes?: number;
  /** Replaces the URL's host[:port], like Flux's SOURCE_CONTROLLER_LOCALHOST. */
  hostOverride?: string;
  /** First backoff wait (default 5s, as Flux); doubles per retry up to retryWaitMaxMs (default 30s). */
  retryWaitMinMs?: number;
  retryWaitMaxMs?: number;
}

/**
 * Downloads the artifact at `url`, verifies it against `digest` and extracts it into `destDir`
 * (created when missing).
 *
 * @throws ArtifactFetchError with one of the reasons above.
 */
export async function fetchArtifact(
  url: string,
  digest: string,
  destDir: string,
  opts: FetchArtifactOptions,
): Promise<ExtractSummary> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const limits: ExtractLimits = {
    maxBytes,
    maxEntries: opts.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxFileBytes: opts.maxFileBytes ?? maxBytes,
  };
  const expected = parseDigest(digest);
  const target = withHost(url, opts.hostOverride);
  const deadline = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;

  const scratch = await mkdtemp(join(tmpdir(), 'mooring-fetch-'));
  try {
    const file = join(scratch, 'artifact.tar.gz');
    const actual = await download(target, file, expected.algorithm, {
      retries: opts.retries ?? 9,
      maxDownloadBytes: opts.maxDownloadBytes ?? maxBytes,
      waitMinMs: opts.retryWaitMinMs ?? 5_000,
      waitMaxMs: opts.retryWaitMaxMs ?? 30_000,
      signal,
      timeoutMs: opts.timeoutMs,
    });
    if (actual !== expected.hex) {
      throw new ArtifactFetchError(
        'DigestMismatch',
        `computed digest ${expected.algorithm}:${actual} doesn't match the artifact digest '${digest}'`,
      );
    }
    return await extractArchive(file, destDir, limits, signal);
  } catch (err) {
    if (err instanceof ArtifactFetchError) throw err;
    if (signal.aborted) throw abortError(signal, opts.timeoutMs);
    throw new ArtifactFetchError(
      'DownloadFailed',
      `failed to fetch artifact: ${(err as Error).message}`,
      err,
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
