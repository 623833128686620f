// Counts API requests by verb (get, list, discovery, dry-run, create, update, patch, delete) from a
// KubeClient's onRequest hook: the evidence behind "an unchanged set makes zero writes".
import type { KubeClient, Query } from './client.js';

export type Verb =
  | 'discovery'
  | 'get'
  | 'list'
  | 'dry-run'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'other';

export interface RequestRecord {
  verb: Verb;
  method: string;
  path: string;
  status: number;
}

/** Classifies one request the way the apiserver's audit log would name its verb. */
export function verbOf(method: string, path: string, query?: Query): Verb {
  if (query?.dryRun) return 'dry-run';
  const segs = path.split('?')[0]!.split('/').filter(Boolean);
  const base = segs[0] === 'api' ? 2 : segs[0] === 'apis' ? 3 : -1;
  if (base < 0) return 'other';
  let rest = segs.slice(base);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  switch (method) {
    case 'GET':
      return rest.length === 0 ? 'discovery' : rest.length === 1 ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

const WRITES: ReadonlySet<Verb> = new Set(['create', 'update', 'patch', 'delete']);

export class RequestStats {
  records: RequestRecord[] = [];

  /** Starts counting every request `client` makes from now on. */
  constructor(client: KubeClient) {
    client.onRequest((method, path, status, query) => {
      this.records.push({ verb: verbOf(method, path, query), method, path, status });
    });
  }

  reset(): void {
    this.records = [];
  }

  get total(): number {
    return this.records.length;
  }

  get writes(): number {
    return this.records.filter((r) => WRITES.has(r.verb)).length;
  }

  count(verb: Verb): number {
    return this.records.filter((r) => r.verb === verb).length;
  }

  byVerb(): Partial<Record<Verb, number>> {
    const out: Partial<Record<Verb, number>> = {};
    for (const r of this.records) out[r.verb] = (out[r.verb] ?? 0) + 1;
    return out;
  }
}
