// The one error of postBuild substitution: variable sources, envsubst and reading the result back.

export type SubstitutionErrorReason =
  /** A non-optional substituteFrom ConfigMap or Secret does not exist. */
  | 'SubstituteSourceNotFound'
  /** Reading a substituteFrom ConfigMap or Secret failed for another reason. */
  | 'SubstituteSourceFailed'
  /** A variable name does not match `^[_[:alpha:]][_[:alpha:][:digit:]]*$`. */
  | 'InvalidVariableName'
  /** Strict mode: `${var}` (or a transformation of it) without a value and without a default. */
  | 'VariableNotSet'
  /** The `${...}` syntax is malformed, or the substituted text is no longer a readable object. */
  | 'InvalidSubstitution';

/** A failed substitution. Flux reports every one of these as Ready=False BuildFailed. */
export class SubstitutionError extends Error {
  override readonly name = 'SubstitutionError';
  readonly reason: SubstitutionErrorReason;
  /** `kind/namespace/name` (or `kind/name`) of the object being substituted, when there is one. */
  readonly object: string | undefined;
  /** The variable at fault, for InvalidVariableName and VariableNotSet. */
  readonly variable: string | undefined;

  constructor(
    reason: SubstitutionErrorReason,
    message: string,
    details: { object?: string; variable?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.object = details.object;
    this.variable = details.variable;
  }
}
