// "What would a sync change right now" for the page: the source's current artifact, built the way
// the controller builds it, dry-run server-side object by object (computeDrift, shared with
// `mooring diff`; Secret values masked). Runs with the user's credentials, on demand only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kustomization } from '../api/kustomization.js';
import { computeDrift } from '../cli/diff.js';
import type { KubeClient } from '../kube/client.js';
import { BuildError, buildManifests } from '../kustomization/build.js';
import { fetchArtifact } from '../kustomization/fetch.js';
import { readConfigData } from '../kustomization/references.js';
import { collectVars } from '../kustomization/substitute-from.js';
import type { Drift } from './api.js';
import type { FluxObject } from './store.js';

export class DriftError extends Error {}

export interface DriftOptions {
  /** Replaces the artifact URL's host[:port] (as the controller's SOURCE_CONTROLLER_LOCALHOST). */
  artifactHost?: string;
  signal?: AbortSignal;
}

export async function driftOf(
  client: KubeClient,
  ks: Kustomization,
  source: FluxObject | undefined,
  opts: DriftOptions = {},
): Promise<Drift> {
  const ref = ks.spec.sourceRef;
  if (ref.kind !== 'GitRepository') throw new DriftError(`source kind ${ref.kind} is not supported`);
  const artifact = (source?.status as { artifact?: { url?: string; digest?: string; revision?: string } })
    ?.artifact;
  if (!source)
    throw new DriftError(`GitRepository '${ref.namespace ?? ks.metadata.namespace}/${ref.name}' not found`);
  if (!artifact?.url || !artifact.digest)
    throw new DriftError(
      `GitRepository '${source.metadata.namespace}/${source.metadata.name}' has no artifact yet`,
    );
  const dir = await mkdtemp(join(tmpdir(), 'mooring-ui-drift-'));
  try {
    await fetchArtifact(artifact.url, artifact.digest, dir, {
      timeoutMs: 60_000,
      retries: 2,
      retryWaitMinMs: 500,
      retryWaitMaxMs: 2_000,
      ...(opts.artifactHost ? { hostOverride: opts.artifactHost } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const ns = ks.metadata.namespace ?? '';
    const pb = ks.spec.postBuild;
    let vars: Record<string, string> | undefined;
    if (pb && (pb.substitute || pb.substituteFrom?.length)) {
      vars = await collectVars(pb.substitute, pb.substituteFrom ?? [], (kind, name) =>
        readConfigData(client, kind, ns, name),
      );
    }
    let objects: ReturnType<typeof buildManifests>;
    try {
      objects = buildManifests({ root: dir, ks, vars, strictSubstitution: false });
    } catch (err) {
      if (err instanceof BuildError) throw new DriftError(err.message);
      throw err;
    }
    const items = await computeDrift(client, ks, objects, opts.signal);
    return { revision: artifact.revision ?? '', total: objects.length, items };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
