// Honour or refuse: the spec fields Flux accepts that Mooring does not implement. Each refusal
// names the field, so the object is Stalled with a message a user can act on instead of being
// Ready while something it asked for is ignored. Pure over the object; the reconcilers call these
// before any work, and test/api/fields.test.ts walks the CRD schemas so a new field cannot slip by.
import type { GitRepository } from './gitrepository.js';
import type { Kustomization } from './kustomization.js';

export interface Refusal {
  /** The spec field, as a path (`spec.kubeConfig.configMapRef`). */
  field: string;
  /** Ready/Stalled reason. */
  reason: string;
  /** Names the field first. */
  message: string;
}

function refuse(field: string, reason: string, why: string): Refusal {
  return { field, reason, message: `${field}: ${why}` };
}

/** The first Kustomization field Mooring refuses, or undefined. */
export function kustomizationRefusal(ks: Pick<Kustomization, 'spec'>): Refusal | undefined {
  const kind = ks.spec.sourceRef?.kind;
  if (kind && kind !== 'GitRepository') {
    return refuse(
      'spec.sourceRef.kind',
      'ArtifactFailed',
      `source kind '${kind}' is not supported by Mooring (only GitRepository)`,
    );
  }
  if (ks.spec.kubeConfig?.configMapRef) {
    return refuse(
      'spec.kubeConfig.configMapRef',
      'ReconciliationFailed',
      'workload identity kubeconfigs are not supported by Mooring; use spec.kubeConfig.secretRef',
    );
  }
  return undefined;
}

/** The first GitRepository field Mooring refuses, or undefined. */
export function gitRepositoryRefusal(repo: Pick<GitRepository, 'spec'>): Refusal | undefined {
  const provider = repo.spec.provider ?? 'generic';
  // Flux's CEL rule on the CRD (the served schema carries no CEL).
  if (repo.spec.serviceAccountName && provider !== 'azure' && provider !== 'aws') {
    return {
      field: 'spec.serviceAccountName',
      reason: 'InvalidProviderConfiguration',
      message: "spec.serviceAccountName can only be set when spec.provider is 'azure' or 'aws'",
    };
  }
  if (provider !== 'generic') {
    return refuse(
      'spec.provider',
      'InvalidProviderConfiguration',
      `provider '${provider}' is not supported by Mooring (only generic)`,
    );
  }
  return undefined;
}
