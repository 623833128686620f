// Which objects a pass waits for: every applied object with spec.wait (except those the apply
// skipped), else spec.healthChecks; never the Kustomization itself (one that applies itself would
// wait for its own pass to end). Pure.
import type { Kustomization } from '../api/kustomization.js';
import type { ChangeSet } from '../apply/changeset.js';
import { formatRef, type Manifest, type ObjectRef, refOf } from '../kube/dynamic.js';

/** The objects to wait for, or undefined when the spec asks for no health check at all. */
export function healthTargets(
  obj: Kustomization,
  manifests: readonly Manifest[],
  changeSet: ChangeSet,
): ObjectRef[] | undefined {
  let refs: ObjectRef[];
  if (obj.spec.wait) {
    // An object the apply skipped (its manifest said so) is not waited for.
    const inChangeSet = new Set(changeSet.entries.map((e) => refKey(e.ref)));
    const skipped = new Set(changeSet.entries.filter((e) => e.action === 'skipped').map((e) => e.subject));
    refs = manifests.map(refOf).filter((r) => !(inChangeSet.has(refKey(r)) && skipped.has(formatRef(r))));
  } else if (obj.spec.healthChecks?.length) {
    refs = obj.spec.healthChecks.map((h) => {
      const apiVersion = h.apiVersion ?? '';
      const [group = '', version = ''] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
      return {
        group,
        version,
        kind: h.kind,
        name: h.name,
        namespace: h.namespace ?? obj.metadata.namespace ?? '',
      };
    });
  } else {
    return undefined;
  }
  return refs.filter(
    (r) =>
      !(r.kind === 'Kustomization' && r.name === obj.metadata.name && r.namespace === obj.metadata.namespace),
  );
}

/** Identity as the change set records it: group, kind, namespace and name (not the version). */
function refKey(r: ObjectRef): string {
  return JSON.stringify([r.group, r.kind, r.namespace, r.name]);
}
