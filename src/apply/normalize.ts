// Fixes applied to manifests before they are sent, for known apiserver quirks (Flux
// ssa/normalize): ports without a protocol break server-side apply's associative lists
// (kubernetes#98576, structured-merge-diff#130), `stringData` never reads back (kubernetes#108008),
// and `status` / a null creationTimestamp in a manifest only cause spurious diffs.
import type { Manifest } from '../kube/dynamic.js';

type Obj = Record<string, unknown>;

/** Where the pod template's spec lives, per group/kind: data, not branches. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  '/Pod': ['spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(obj: Obj, path: string[]): Obj | undefined {
  let cur: unknown = obj;
  for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
  return isObj(cur) ? cur : undefined;
}

function defaultProtocols(ports: unknown): boolean {
  let changed = false;
  if (Array.isArray(ports))
    for (const port of ports)
      if (isObj(port) && (port.protocol === undefined || port.protocol === '')) {
        port.protocol = 'TCP';
        changed = true;
      }
  return changed;
}

/** The manifest as it should be sent; the input is never mutated (a copy is made only when needed). */
export function normalize(obj: Manifest): Manifest {
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  const gk = `${group}/${obj.kind}`;
  const copy = structuredClone(obj) as Manifest & Obj;
  let changed = false;

  const podPath = POD_SPEC_PATHS[gk];
  if (podPath) {
    const spec = at(copy, podPath);
    for (const list of ['containers', 'initContainers'])
      for (const c of (spec?.[list] as unknown[]) ?? [])
        if (isObj(c)) changed = defaultProtocols(c.ports) || changed;
  }
  if (gk === '/Service') changed = defaultProtocols(at(copy, ['spec'])?.ports) || changed;
  if (gk === '/Secret' && isObj(copy.stringData)) {
    // Object.fromEntries keeps a key like `__proto__` as data (an assignment would drop it).
    copy.data = Object.fromEntries([
      ...Object.entries(isObj(copy.data) ? copy.data : {}),
      ...Object.entries(copy.stringData).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')]),
    ]);
    delete copy.stringData;
    changed = true;
  }
  if ('creationTimestamp' in copy.metadata && copy.metadata.creationTimestamp == null) {
    delete copy.metadata.creationTimestamp;
    changed = true;
  }
  // CRDs keep theirs: kstatus reads it (Flux keeps it too); elsewhere status is not ours to apply.
  if ('status' in copy && gk !== 'apiextensions.k8s.io/CustomResourceDefinition') {
    delete copy.status;
    changed = true;
  }
  return changed ? copy : obj;
}
