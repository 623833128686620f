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
}

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
      const ready = fetchArtifact(url, digest, dir, { ...this.fetchOptions, signal }).then(() => undefined);
      entry = { dir, ready, refs: 0, lastUsed: Date.now() };
      this.entries.set(digest, entry);
      // A failed download is not cached: the next caller tries again.
      ready.catch(() => {
        if (this.entries.get(digest) === entry) this.entries.delete(digest);
        void rm(dir, { recursive: true, force: true });
      });
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

  private evict(): void {
    const idle = [...this.entries.entries()]
      .filter(([, e]) => e.refs === 0)
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [digest, e] of idle.slice(0, Math.max(0, idle.length - this.keep))) {
      this.entries.delete(digest);
      void rm(e.dir, { recursive: true, force: true });
    }
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
