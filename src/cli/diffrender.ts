// How `mooring diff` shows an object: Secrets masked, and what drift detection compares.
import type { Manifest } from '../kube/dynamic.js';
import type { Json } from '../kustomize/yaml-types.js';
import { stringifyDocument } from '../kustomize/yaml-write.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

const isSecret = (o: Manifest | undefined) => o?.kind === 'Secret' && o.apiVersion === 'v1';

/**
 * Secret values replaced by `***`, as fluxcd/pkg ssa does: a value that differs between the two
 * sides shows as `*** (before)` / `*** (after)`, so the diff tells *that* it changed, never *what*.
 */
export function maskSecrets(
  before: Manifest | undefined,
  after: Manifest | undefined,
): [Manifest | undefined, Manifest | undefined] {
  if (!isSecret(before) && !isSecret(after)) return [before, after];
  const b = before && structuredClone(before);
  const a = after && structuredClone(after);
  for (const field of ['data', 'stringData'] as const) {
    const bv = (b?.[field] ?? {}) as Record<string, unknown>;
    const av = (a?.[field] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(bv), ...Object.keys(av)])) {
      const differ = key in bv && key in av && bv[key] !== av[key];
      if (key in bv) bv[key] = differ ? '*** (before)' : '***';
      if (key in av) av[key] = differ ? '*** (after)' : '***';
    }
  }
  for (const o of [b, a]) {
    // The last-applied annotation of kubectl holds the whole Secret in clear.
    if (o?.metadata.annotations?.[LAST_APPLIED]) o.metadata.annotations[LAST_APPLIED] = '***';
  }
  return [b, a];
}

/** What drift detection compares: identity, labels, annotations and everything outside metadata and status. */
export function renderForDiff(obj: Manifest | undefined): string {
  if (!obj) return '';
  const { metadata, status: _status, ...rest } = obj;
  const meta: Record<string, unknown> = { name: metadata.name };
  if (metadata.namespace) meta.namespace = metadata.namespace;
  if (metadata.labels && Object.keys(metadata.labels).length) meta.labels = metadata.labels;
  if (metadata.annotations && Object.keys(metadata.annotations).length)
    meta.annotations = metadata.annotations;
  return stringifyDocument({ ...rest, metadata: meta } as unknown as Json);
}
