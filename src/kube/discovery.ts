// A discovery-based RESTMapper: group/version/kind → resource plural and scope, read from the
// apiserver's /api and /apis documents (v1.20 has no aggregated discovery, so one request per
// group-version, fetched on first use and cached). A kind that is missing triggers a refetch of
// its group-version, so a CRD applied a moment ago becomes usable without a restart.
import type { KubeClient } from './client.js';
import { isNotFound, NoKindMatchError } from './errors.js';
import type { ResourceType } from './resource.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** `apps/v1` → {group: 'apps', version: 'v1'}; `v1` → core group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function gvkOf(obj: { apiVersion?: string; kind?: string }): GroupVersionKind {
  return { ...parseApiVersion(obj.apiVersion ?? ''), kind: obj.kind ?? '' };
}

interface APIResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface APIResourceList {
  groupVersion: string;
  resources: APIResource[];
}

interface GroupVersionEntry {
  /** kind → resource type; undefined when the group-version is not served. */
  kinds: Map<string, ResourceType> | undefined;
  fetchedAt: number;
}

export interface RESTMapperOptions {
  /** Minimum time between two refetches of the same group-version on a miss. */
  refreshIntervalMs?: number;
}

const gvKey = (group: string, version: string): string => (group ? `${group}/${version}` : version);

export class RESTMapper {
  private readonly groupVersions = new Map<string, GroupVersionEntry>();
  private readonly inflight = new Map<string, Promise<GroupVersionEntry>>();
  private readonly refreshIntervalMs: number;

  constructor(
    private readonly client: KubeClient,
    opts: RESTMapperOptions = {},
  ) {
    this.refreshIntervalMs = opts.refreshIntervalMs ?? 250;
  }

  /** The resource type serving a kind, or undefined when no API serves it (after one refresh). */
  async find(gvk: GroupVersionKind, signal?: AbortSignal): Promise<ResourceType | undefined> {
    const key = gvKey(gvk.group, gvk.version);
    const cached = this.groupVersions.get(key);
    const hit = cached?.kinds?.get(gvk.kind);
    if (hit) return hit;
    // A miss on a fresh entry is trusted; an older one is refetched (the CRD may have arrived).
    if (cached && Date.now() - cached.fetchedAt < this.refreshIntervalMs) return undefined;
    const entry = await this.fetch(gvk.group, gvk.version, signal);
    return entry.kinds?.get(gvk.kind);
  }

  /** Like {@link find} but throws NoKindMatchError. */
  async resolve(gvk: GroupVersionKind, signal?: AbortSignal): Promise<ResourceType> {
    const rt = await this.find(gvk, signal);
    if (!rt) throw new NoKindMatchError(gvk.group, gvk.version, gvk.kind);
    return rt;
  }

  /** Forgets what is known about a group-version (or everything), e.g. after CRDs changed. */
  invalidate(group?: string, version?: string): void {
    if (group === undefined) this.groupVersions.clear();
    else if (version === undefined) {
      for (const k of [...this.groupVersions.keys()])
        if (parseApiVersion(k).group === group) this.groupVersions.delete(k);
    } else this.groupVersions.delete(gvKey(group, version));
  }

  private fetch(group: string, version: string, signal?: AbortSignal): Promise<GroupVersionEntry> {
    const key = gvKey(group, version);
    const running = this.inflight.get(key);
    if (running) return running;
    const p = (async () => {
      const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
      let kinds: Map<string, ResourceType> | undefined;
      try {
        const list = await this.client.get<APIResourceList>(path, { signal });
        kinds = new Map();
        for (const r of list.resources ?? []) {
          if (r.name.includes('/')) continue; // subresources (deployments/status, …)
          kinds.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced });
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const entry = { kinds, fetchedAt: Date.now() };
      this.groupVersions.set(key, entry);
      return entry;
    })();
    this.inflight.set(key, p);
    return p.finally(() => this.inflight.delete(key));
  }
}
