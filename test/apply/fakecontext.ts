// An in-memory ApplyContext for the verbs' own decisions (what to skip, what to report), so they
// are tested without a cluster. It only stores and returns objects: anything whose answer is
// the apiserver's behaviour (dry-run merges, admission, garbage collection) stays in the
// integration tests against the real one.
import type { ApplyContext, KindMapper, ObjectClient } from '../../src/apply/context.js';
import { defaultTakeoverManagers } from '../../src/apply/metadata.js';
import { formatRef, type Manifest, type ObjectRef } from '../../src/kube/dynamic.js';
import { ApiError } from '../../src/kube/errors.js';
import type { ResourceType } from '../../src/kube/resource.js';

type Verb = 'get' | 'delete' | 'apply' | 'dry-run' | 'find';

export interface FakeContext extends ApplyContext {
  /** Live objects by `Kind/namespace/name` (formatRef). */
  readonly objects: Map<string, Manifest>;
  /** Calls made, as `verb subject`, in order. */
  readonly calls: string[];
  /** Kinds the fake mapper does not serve (find answers undefined). */
  readonly unserved: Set<string>;
  /** Errors to throw instead of answering, by `verb subject`. */
  readonly failures: Map<string, Error>;
  /** Called before each GET, with how many GETs of that subject came before; may edit `objects`. */
  beforeGet?: (subject: string, previousGets: number) => void;
}

export function apiError(code: number, reason: string, message: string): ApiError {
  return new ApiError(code, reason, message, 'PATCH', '/fake');
}

export function fakeContext(ownerLabels: Record<string, string>, concurrency = 1): FakeContext {
  const objects = new Map<string, Manifest>();
  const calls: string[] = [];
  const unserved = new Set<string>();
  const failures = new Map<string, Error>();
  const gets = new Map<string, number>();
  const record = (verb: Verb, subject: string): void => {
    calls.push(`${verb} ${subject}`);
    const err = failures.get(`${verb} ${subject}`);
    if (err) throw err;
  };
  const subjectOf = (obj: Manifest): string =>
    formatRef({ kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name });
  const notUsed = (name: string) => (): never => {
    throw new Error(`the fake context does not implement ${name}`);
  };

  const ctx: FakeContext = {
    objects,
    calls,
    unserved,
    failures,
    ownerLabels,
    fieldManager: 'kustomize-controller',
    concurrency,
    takeoverManagers: defaultTakeoverManagers('kustomize-controller'),
    mapper: {
      find: async (gvk): Promise<ResourceType | undefined> => {
        record('find', gvk.kind);
        if (unserved.has(gvk.kind)) return undefined;
        const { group, version, kind } = gvk;
        return { group, version, kind, plural: `${kind.toLowerCase()}s`, namespaced: true };
      },
      invalidate: () => {},
    } satisfies KindMapper,
    dynamic: {
      get: async <T extends Manifest = Manifest>(ref: ObjectRef): Promise<T | undefined> => {
        const subject = formatRef(ref);
        const n = gets.get(subject) ?? 0;
        gets.set(subject, n + 1);
        ctx.beforeGet?.(subject, n);
        record('get', subject);
        const live = objects.get(subject);
        return live ? (structuredClone(live) as T) : undefined;
      },
      delete: async (ref: ObjectRef): Promise<boolean> => {
        const subject = formatRef(ref);
        record('delete', subject);
        return objects.delete(subject);
      },
      apply: async <T extends Manifest = Manifest>(obj: Manifest, req: { dryRun?: boolean }): Promise<T> => {
        const subject = subjectOf(obj);
        if (!req.dryRun) throw new Error('the fake context does not write objects');
        record('dry-run', subject);
        // An echo of the request, carrying the live resourceVersion: enough for "exists or not".
        const rv = objects.get(subject)?.metadata.resourceVersion;
        return structuredClone({ ...obj, metadata: { ...obj.metadata, resourceVersion: rv } }) as T;
      },
      getMetadata: notUsed('getMetadata'),
      list: notUsed('list'),
      applyReportingCreate: notUsed('applyReportingCreate'),
      jsonPatch: notUsed('jsonPatch'),
    } satisfies ObjectClient,
  };
  return ctx;
}

/** Puts `obj` in the fake's store as a live object and answers its reference. */
export function putLive(ctx: FakeContext, obj: Manifest): ObjectRef {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion];
  const ref: ObjectRef = {
    group: group!,
    version: version!,
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
  };
  ctx.objects.set(formatRef(ref), { ...obj, metadata: { resourceVersion: '1', ...obj.metadata } });
  return ref;
}
