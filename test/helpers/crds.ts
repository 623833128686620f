// Installs the CRDs of crds/ on a test control plane, server-side, and waits until they serve.
// Idempotent and cheap: each applied CRD carries a digest of its file, so a later call (from any
// test process sharing the cluster) skips CRDs that are already installed and Established.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { KubeClient } from '../../src/kube/client.js';
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

/** The parts of a CustomResourceDefinition manifest the tests read. */
export interface CrdManifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[]; categories?: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: unknown };
      additionalPrinterColumns?: Array<{ name: string; jsonPath: string }>;
      schema?: { openAPIV3Schema?: Record<string, unknown> };
    }>;
  };
}

export interface CrdFile {
  file: string;
  name: string;
  digest: string;
  manifest: CrdManifest;
}

export function readCrds(dir = crdDir()): CrdFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const manifest = parse(text) as CrdManifest;
      return {
        file: join(dir, f),
        name: manifest.metadata?.name ?? f,
        digest: createHash('sha256').update(text).digest('hex'),
        manifest,
      };
    });
}

interface LiveCrd {
  metadata?: { annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

function established(crd: LiveCrd | undefined): boolean {
  const conds = crd?.status?.conditions ?? [];
  const isTrue = (t: string) => conds.some((c) => c.type === t && c.status === 'True');
  return isTrue('Established') && isTrue('NamesAccepted');
}

/** Applies every CRD in crds/ (server-side, forced) unless already current, then waits for Established. */
export async function installCrds(state: ClusterState, timeoutMs = 30_000): Promise<CrdFile[]> {
  const client = new KubeClient(kubeConfigFor(state));
  const read = (name: string) =>
    client.getOptional<LiveCrd>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
  const crds = readCrds();
  try {
    await Promise.all(
      crds.map(async (crd) => {
        const live = await read(crd.name).catch(() => undefined);
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
          async () => established(await read(crd.name)),
          timeoutMs,
        );
      }),
    );
  } finally {
    client.close();
  }
  return crds;
}
