// Extracted artifacts shared by every Kustomization that uses the same source revision: one
// download, digest check and extraction per digest, however many Kustomizations (Flux fetches and
// untars per Kustomization). Builds only read these trees, through an overlay for the overrides.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FetchArtifactOptions, fetchArtifact } from './fetch.js';

interface Entry {
  dir: string;
  ready: Promise<void>;
  refs: number;
  lastUsed: number;
  /** Bytes of the extracted files (0 until extracted). */
  bytes: number;
}

/** Default budget of the unused trees kept on disk (docs/security.md: the scratch volume's limit). */
export const DEFAULT_MAX_IDLE_BYTES = 512 * 1024 * 1024;

export interface ArtifactLease {
  dir: string;
  release(): void;
}

export class ArtifactCache {
  private readonly root: string;
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(
    private readonly fetchOptions: Omit<FetchArtifactOptions, 'signal'>,
    /** Unused extracted trees kept for reuse (a few revisions of a few sources). */
    private readonly keep = 16,
    parent = tmpdir(),
    /** ... as long as together they hold at most this many bytes of files. */
    private readonly maxIdleBytes = DEFAULT_MAX_IDLE_BYTES,
  ) {
    mkdirSync(parent, { recursive: true });
    this.root = mkdtempSync(join(parent, 'mooring-artifacts-'));
  }

  /** True when the artifact is extracted here or being fetched (acquire will not start a download). */
  has(digest: string): boolean {
    return this.entries.has(digest);
  }

  /** The extracted tree of the artifact with this digest; call release() when done reading. */
  async acquire(url: string, digest: string, signal?: AbortSignal): Promise<ArtifactLease> {
    let entry = this.entries.get(digest);
    if (!entry) {
      const dir = join(this.root, String(this.seq++));
      const created: Entry = { dir, ready: Promise.resolve(), refs: 0, lastUsed: Date.now(), bytes: 0 };
      created.ready = fetchArtifact(url, digest, dir, { ...this.fetchOptions, signal }).then((summary) => {
        created.bytes = summary.bytes;
      });
      this.entries.set(digest, created);
      // A failed download is not cached: the next caller tries again.
      created.ready.catch(() => {
        if (this.entries.get(digest) === created) this.entries.delete(digest);
        void rm(dir, { recursive: true, force: true });
      });
      entry = created;
    }
    entry.refs++;
    try {
      await entry.ready;
    } catch (err) {
      entry.refs--;
      throw err;
    }
    const e = entry;
    let released = false;
    return {
      dir: e.dir,
      release: () => {
        if (released) return;
        released = true;
        e.refs--;
        e.lastUsed = Date.now();
        this.evict();
      },
    };
  }

  /** Drops the least recently used unused trees until at most `keep` of them, of at most `maxIdleBytes`, remain. */
  private evict(): void {
    const idle = [...this.entries.entries()]
      .filter(([, e]) => e.refs === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    let count = idle.length;
    let bytes = idle.reduce((sum, [, e]) => sum + e.bytes, 0);
    for (const [digest, e] of idle) {
      if (count <= this.keep && bytes <= this.maxIdleBytes) break;
      this.entries.delete(digest);
      void rm(e.dir, { recursive: true, force: true });
      count--;
      bytes -= e.bytes;
    }
  }

  /** Trees on disk and the bytes of their files (for tests and diagnostics). */
  usage(): { trees: number; bytes: number } {
    let bytes = 0;
    for (const e of this.entries.values()) bytes += e.bytes;
    return { trees: this.entries.size, bytes };
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
