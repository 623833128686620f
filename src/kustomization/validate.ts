// What a Kustomization's spec must satisfy before anything is fetched: Flux's CEL rules and the
// multi-tenancy lockdown (checked here: the test server has no CEL), compiled health and readiness
// expressions, a known drift mode. A refusal is a Stalled KustomizationStepError naming the field. Pure.
import type { Kustomization } from '../api/kustomization.js';
import { kustomizationRefusal } from '../api/refusals.js';
import { InvalidCelExpression } from './cel.js';
import { checkReadyExpressions, crossNamespaceViolation } from './dependencies.js';
import { type DriftMode, driftMode, InvalidDriftMode } from './drift.js';
import { healthExpressions, type StatusOf } from './healthexprs.js';
import { KustomizationStepError, type StepReason } from './outcome.js';

export interface ValidSpec {
  /** spec.healthCheckExprs compiled, when set. */
  statusOf: StatusOf | undefined;
  mode: DriftMode;
}

export function validateSpec(obj: Kustomization, opts: { noCrossNamespaceRefs: boolean }): ValidSpec {
  const statusOf = checkSpec(obj, opts.noCrossNamespaceRefs);
  return { statusOf, mode: driftModeOf(obj) };
}

/**
 * Flux's CEL rules and the multi-tenancy lockdown, checked here (the test server has no CEL);
 * the CEL expressions of the spec compiled (Stalled InvalidCELExpression when one does not).
 */
function checkSpec(obj: Kustomization, noCrossNamespaceRefs: boolean): StatusOf | undefined {
  const kc = obj.spec.kubeConfig;
  if (kc && Boolean(kc.secretRef) === Boolean(kc.configMapRef)) {
    throw new KustomizationStepError(
      'ReconciliationFailed',
      'spec.kubeConfig must set exactly one of secretRef and configMapRef',
      { stalled: true },
    );
  }
  const refusal = kustomizationRefusal(obj);
  if (refusal)
    throw new KustomizationStepError(refusal.reason as StepReason, refusal.message, { stalled: true });
  if (noCrossNamespaceRefs) {
    const violation = crossNamespaceViolation(obj);
    if (violation) throw new KustomizationStepError('AccessDenied', violation, { stalled: true });
  }
  try {
    checkReadyExpressions(obj);
    return healthExpressions(obj.spec.healthCheckExprs);
  } catch (err) {
    if (!(err instanceof InvalidCelExpression)) throw err;
    throw new KustomizationStepError(
      'InvalidCELExpression',
      `Reconciliation failed terminally due to configuration error: ${err.message}`,
      { stalled: true },
    );
  }
}

function driftModeOf(obj: Kustomization): DriftMode {
  try {
    return driftMode(obj);
  } catch (err) {
    if (!(err instanceof InvalidDriftMode)) throw err;
    throw new KustomizationStepError('ReconciliationFailed', err.message, { stalled: true });
  }
}
