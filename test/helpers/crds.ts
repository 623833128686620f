// Installs the CRDs of crds/ on a test control plane, server-side, and waits until they serve.
// Idempotent and cheap: each applied CRD carries a digest of its file, so a later call (from any
// test process sharing the cluster) skips CRDs that are already installed and Established.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import type { ClusterState } from '../cluster/cluster.js';
import { kubeConfigFor } from './kubeconfig.js';
import { eventually } from './wait.js';

/** Annotation holding the sha256 of the crds/ file a CRD was applied from. */
export const CRD_DIGEST_ANNOTATION = 'test.mooring.dev/crd-digest';
/** Field manager of the test installs (kept apart from anything the controller applies). */
export const TEST_FIELD_MANAGER = 'mooring-test';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl against the test cluster; never throws on a non-zero exit (callers assert). */
export function kubectl(state: ClusterState, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', state.kubeconfig, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs kubectl and throws with its stderr when it fails. */
export async function kubectlOk(state: ClusterState, args: string[], input?: string): Promise<string> {
  const r = await kubectl(state, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** The repository's crds/ directory, from the source tree or from the compiled .build/ tree. */
export function crdDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'crds')) && existsSync(join(dir, 'package.json'))) return join(dir, 'crds');
    dir = resolve(dir, '..');
  }
  throw new Error('crds/ not found above test/helpers');
}

export interface CrdFile {
  file: string;
  name: string;
  digest: string;
  manifest: V1CustomResourceDefinition;
}

export function readCrds(dir = crdDir()): CrdFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const manifest = parse(text) as V1CustomResourceDefinition;
      return {
        file: join(dir, f),
        name: manifest.metadata?.name ?? f,
        digest: createHash('sha256').update(text).digest('hex'),
        manifest,
      };
    });
}

function established(crd: V1CustomResourceDefinition | undefined): boolean {
  const conds = crd?.status?.conditions ?? [];
  const isTrue = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  return isTrue('Established') && isTrue('NamesAccepted');
}

/** Applies every CRD in crds/ (server-side, forced) unless already current, then waits for Established. */
export async function installCrds(state: ClusterState, timeoutMs = 30_000): Promise<CrdFile[]> {
  const api = kubeConfigFor(state).makeApiClient(ApiextensionsV1Api);
  const crds = readCrds();
  await Promise.all(
    crds.map(async (crd) => {
      const live = await api.readCustomResourceDefinition({ name: crd.name }).catch(() => undefined);
      if (live?.metadata?.annotations?.[CRD_DIGEST_ANNOTATION] === crd.digest && established(live)) return;
      const manifest = structuredClone(crd.manifest);
      manifest.metadata = {
        ...manifest.metadata,
        annotations: { ...manifest.metadata?.annotations, [CRD_DIGEST_ANNOTATION]: crd.digest },
      };
      await kubectlOk(
        state,
        ['apply', '--server-side', '--force-conflicts', `--field-manager=${TEST_FIELD_MANAGER}`, '-f', '-'],
        stringify(manifest),
      );
      await eventually(
        `CRD ${crd.name} Established`,
        async () => established(await api.readCustomResourceDefinition({ name: crd.name })),
        timeoutMs,
      );
    }),
  );
  return crds;
}
