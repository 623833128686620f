// spec.healthCheckExprs: custom health for objects of a group and kind, evaluated as Flux's
// runtime/cel StatusEvaluator does (RFC 0009) — a stale observedGeneration is InProgress, then
// the inProgress, failed and current expressions in that order; none true is InProgress.
import type { CustomHealthCheck } from '../api/kustomization.js';
import type { Health } from '../apply/health.js';
import type { Manifest } from '../kube/dynamic.js';
import { type CelProgram, compileObjectExpression, InvalidCelExpression } from './cel.js';

interface Evaluator {
  inProgress?: CelProgram;
  failed?: CelProgram;
  current: CelProgram;
}

/** Custom status by object; undefined for kinds without expressions (the built-in rules apply). */
export type StatusOf = (obj: Manifest) => Health | undefined;

const groupKind = (apiVersion: string, kind: string): string => {
  const slash = apiVersion.indexOf('/');
  return `${slash < 0 ? '' : apiVersion.slice(0, slash)}/${kind}`;
};

/** Compiles every expression up front; throws InvalidCelExpression naming the entry. */
export function healthExpressions(checks: readonly CustomHealthCheck[] | undefined): StatusOf | undefined {
  if (!checks?.length) return undefined;
  const byGroupKind = new Map<string, Evaluator>();
  checks.forEach((c, i) => {
    const where = `spec.healthCheckExprs[${i}] (${c.apiVersion} ${c.kind ?? ''})`;
    const compile = (name: string, expr: string) => {
      try {
        return compileObjectExpression(expr);
      } catch (err) {
        throw new InvalidCelExpression(`${where}: expression ${name}: ${(err as Error).message}`);
      }
    };
    if (!c.current) throw new InvalidCelExpression(`${where}: expression current not specified`);
    byGroupKind.set(groupKind(c.apiVersion, c.kind ?? ''), {
      current: compile('current', c.current),
      ...(c.inProgress ? { inProgress: compile('inProgress', c.inProgress) } : {}),
      ...(c.failed ? { failed: compile('failed', c.failed) } : {}),
    });
  });
  return (obj) => {
    const e = byGroupKind.get(groupKind(obj.apiVersion, obj.kind));
    return e ? evaluate(e, obj) : undefined;
  };
}

function evaluate(e: Evaluator, obj: Manifest): Health {
  const observed = (obj.status as { observedGeneration?: unknown } | undefined)?.observedGeneration;
  const generation = obj.metadata.generation;
  if (typeof observed === 'number' && typeof generation === 'number' && observed !== generation)
    return {
      status: 'InProgress',
      message: `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`,
    };
  const vars = obj as unknown as Record<string, unknown>;
  const steps: [keyof Evaluator, Health['status']][] = [
    ['inProgress', 'InProgress'],
    ['failed', 'Failed'],
    ['current', 'Current'],
  ];
  for (const [name, status] of steps) {
    const program = e[name];
    if (!program) continue;
    try {
      if (program.evaluate(vars)) return { status, message: `healthCheckExprs: ${name} is true` };
    } catch (err) {
      return { status: 'Unknown', message: (err as Error).message };
    }
  }
  return { status: 'InProgress', message: 'healthCheckExprs: no expression is true yet' };
}
