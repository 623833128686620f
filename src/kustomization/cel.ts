// CEL expressions in a Kustomization (spec.healthCheckExprs, spec.dependsOn[].readyExpr), with
// the environment of fluxcd/pkg runtime/cel: optional types, homogeneous aggregate literals,
// string extensions, and Kubernetes JSON seen the way Go's unstructured sees it (whole
// numbers are int, others double). Library choice and gaps: docs/apply.md "CEL".
import { Environment } from '@marcbachmann/cel-js';

/** An expression that does not parse or type-check: Flux's InvalidCELExpression. */
export class InvalidCelExpression extends Error {}

export interface CelProgram {
  readonly source: string;
  /** True, false, or throws (an evaluation error such as a missing key). */
  evaluate(vars: Record<string, unknown>): boolean;
}

function baseEnvironment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: true, enableOptionalTypes: true });
  // cel-go ext.Strings functions the library does not ship.
  env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
    s.split(a).join(b),
  );
  env.registerFunction(
    'string.replace(string, string, int): string',
    (s: string, a: string, b: string, n: bigint) => {
      if (n < 0n) return s.split(a).join(b);
      let out = s;
      let from = 0;
      for (let i = 0n; i < n; i++) {
        const at = out.indexOf(a, from);
        if (at < 0) break;
        out = out.slice(0, at) + b + out.slice(at + a.length);
        from = at + b.length;
      }
      return out;
    },
  );
  return env;
}

const untyped = baseEnvironment();

/**
 * Parses an expression evaluated against an object's top-level fields (apiVersion, kind,
 * metadata, spec, status — whatever the object has), as Flux's health check expressions are.
 */
export function compileObjectExpression(source: string): CelProgram {
  return program(untyped, source, false);
}

const typedEnvs = new Map<string, Environment>();

/** Compiles an expression over the named map variables that must yield a bool (Flux's readyExpr). */
export function compileBoolExpression(source: string, variables: readonly string[]): CelProgram {
  const key = variables.join(',');
  let env = typedEnvs.get(key);
  if (!env) {
    env = new Environment({ enableOptionalTypes: true });
    env.registerFunction('string.replace(string, string): string', (s: string, a: string, b: string) =>
      s.split(a).join(b),
    );
    for (const v of variables) env.registerVariable(v, 'map');
    typedEnvs.set(key, env);
  }
  return program(env, source, true);
}

function program(env: Environment, source: string, typed: boolean): CelProgram {
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(source);
  } catch (err) {
    throw new InvalidCelExpression(`failed to parse the CEL expression '${source}': ${firstLine(err)}`);
  }
  if (typed) {
    const checked = parsed.check();
    if (!checked.valid)
      throw new InvalidCelExpression(
        `failed to compile the CEL expression '${source}': ${firstLine(checked.error)}`,
      );
    if (checked.type !== 'bool' && checked.type !== 'dyn')
      throw new InvalidCelExpression(
        `CEL expression output type mismatch: expected bool, got ${checked.type} in '${source}'`,
      );
  }
  return {
    source,
    evaluate(vars) {
      let value: unknown;
      try {
        value = parsed(toCel(vars) as Record<string, unknown>);
      } catch (err) {
        throw new Error(`failed to evaluate the CEL expression '${source}': ${firstLine(err)}`);
      }
      if (typeof value !== 'boolean')
        throw new Error(`failed to evaluate CEL expression as boolean: '${source}'`);
      return value;
    },
  };
}

/** JSON as Go's unstructured holds it: whole numbers become int (bigint), fresh own-key objects. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]));
  return value;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
