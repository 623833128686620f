// Source and dependency checks of a Kustomization, as Flux does them; pure over lookups.
import { isReadyAndObserved } from '../api/conditions.js';
import type { GitRepository } from '../api/gitrepository.js';
import { dependencies, type Kustomization, sourceNamespace } from '../api/kustomization.js';
import { compileBoolExpression, InvalidCelExpression } from './cel.js';

export type KustomizationLookup = (namespace: string, name: string) => Kustomization | undefined;

/** Refusal message when --no-cross-namespace-refs forbids a reference, else undefined. */
export function crossNamespaceViolation(ks: Kustomization): string | undefined {
  const own = ks.metadata.namespace ?? 'default';
  const srcNs = sourceNamespace(ks);
  if (srcNs !== own) {
    return `cannot access ${ks.spec.sourceRef.kind}/${srcNs}/${ks.spec.sourceRef.name}, cross-namespace references have been disabled`;
  }
  for (const dep of dependencies(ks)) {
    if (dep.namespace !== own) {
      return `cannot depend on Kustomization/${dep.namespace}/${dep.name}, cross-namespace references have been disabled`;
    }
  }
  return undefined;
}

/** Compiles every spec.dependsOn[].readyExpr; throws InvalidCelExpression naming the entry. */
export function checkReadyExpressions(ks: Kustomization): void {
  (ks.spec.dependsOn ?? []).forEach((d, i) => {
    if (!d.readyExpr) return;
    try {
      compileBoolExpression(d.readyExpr, READY_EXPR_VARIABLES);
    } catch (err) {
      throw new InvalidCelExpression(
        `spec.dependsOn[${i}].readyExpr: failed to evaluate dependency ${d.name}: ${(err as Error).message}`,
      );
    }
  });
}

const READY_EXPR_VARIABLES = ['self', 'dep'] as const;

/**
 * The first dependency that is not ready, as a message, or undefined when all are ready. Ready =
 * its readyExpr true when it has one (which replaces the built-in check, as in Flux without the
 * AdditiveCELDependencyCheck gate), else the current generation observed with Ready=True and,
 * when it shares our source, the same revision applied (so dependents never run ahead).
 */
export function unreadyDependency(
  ks: Kustomization,
  lookup: KustomizationLookup,
  sourceRevision: string | undefined,
): string | undefined {
  const srcNs = sourceNamespace(ks);
  const refs = ks.spec.dependsOn ?? [];
  for (const [i, dep] of dependencies(ks).entries()) {
    const d = lookup(dep.namespace, dep.name);
    const id = `${dep.namespace}/${dep.name}`;
    if (!d) return `dependency '${id}' not found`;
    if (d.metadata.uid && d.metadata.uid === ks.metadata.uid) continue;
    const readyExpr = refs[i]?.readyExpr;
    if (readyExpr) {
      const program = compileBoolExpression(readyExpr, READY_EXPR_VARIABLES);
      let ready: boolean;
      try {
        ready = program.evaluate({ self: withTypeMeta(ks), dep: withTypeMeta(d) });
      } catch (err) {
        return `dependency '${id}': ${(err as Error).message}`;
      }
      if (!ready) return `dependency '${id}' is not ready according to readyExpr eval`;
      continue;
    }
    if (!isReadyAndObserved(d)) return `dependency '${id}' is not ready`;
    const sameSource =
      d.spec.sourceRef.kind === ks.spec.sourceRef.kind &&
      d.spec.sourceRef.name === ks.spec.sourceRef.name &&
      sourceNamespace(d) === srcNs;
    if (sameSource && sourceRevision && d.status?.lastAppliedRevision !== sourceRevision) {
      return `dependency '${id}' revision is not up to date`;
    }
  }
  return undefined;
}

/** Whether `ks` depends on the Kustomization `namespace/name`. */
export function dependsOn(ks: Kustomization, namespace: string, name: string): boolean {
  return dependencies(ks).some((d) => d.namespace === namespace && d.name === name);
}

/** Whether `ks` takes its artifact from this GitRepository. */
export function usesSource(ks: Kustomization, repo: GitRepository): boolean {
  return (
    ks.spec.sourceRef.kind === 'GitRepository' &&
    ks.spec.sourceRef.name === repo.metadata.name &&
    sourceNamespace(ks) === (repo.metadata.namespace ?? 'default')
  );
}

/** The object as Flux's unstructured conversion gives it to CEL (apiVersion and kind always set). */
function withTypeMeta(k: Kustomization): Record<string, unknown> {
  return { ...k, apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' };
}
