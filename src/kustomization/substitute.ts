// postBuild variable substitution, as Flux's kustomize-controller does it.
//
// Flux (fluxcd/pkg kustomize/kustomize_varsub.go) substitutes per built object: it serializes the
// object to YAML (`res.AsYAML()`: JSON → go-yaml v2, the text `kustomize build` prints), runs its
// envsubst fork (fluxcd/pkg/envsubst, forked from drone/envsubst) over that text, and reads the
// result back with sigs.k8s.io/yaml `YAMLToJSON` (go-yaml v2, YAML 1.1 resolution). We do the
// same, so a value lands in the object exactly as Flux would put it:
//   - the substitution is textual: `replicas: ${REPLICAS}` with REPLICAS=3 becomes the integer 3,
//     even when the source file quoted it (the quotes do not survive the build's re-serialization;
//     Flux's documented workaround is a `${quote}` variable holding `"`);
//   - a value is pasted verbatim into the YAML text, so `: ` in a plain scalar makes the object
//     unreadable (an error, as in Flux), ` #` starts a comment and truncates the value, and quotes
//     at the ends of a value quote the scalar;
//   - the text is re-read with YAML 1.1 rules like go-yaml v2: yes/no/on/off/y/n are booleans, 0777
//     is octal, but timestamps and sexagesimal numbers stay strings (v2 hands timestamps to an
//     interface{} as their text, and never resolves base-60 numbers).
// Substitution runs only when there is at least one variable (Flux's default substituteStrategy
// `WithVariables`); with `always` (substituteStrategy `Always`) it runs with none, so defaults apply.
//
// Values that YAML reads as syntax come out as in Flux (go-yaml v2 via sigs.k8s.io/yaml): `12345`
// becomes an integer, `!foo` is a tag on an empty scalar (the empty string), `&foo` an anchor on
// an empty scalar (null), and `*foo` an alias to an unknown anchor (an error). Values often come
// from Secrets, so an error never quotes the substituted text: it names the object, the position
// and the variable whose value is there (see `describeYamlError`).
import { parseDocument, type Tags, visit, type YAMLError } from 'yaml';
import type { Json } from '../kustomize/yaml-types.js';
import { stringifyDocument } from '../kustomize/yaml-write.js';
import { envsubstSpans, type Substituted } from './envsubst.js';
import { SubstitutionError } from './substitution-error.js';

export const SUBSTITUTE_KEY = 'kustomize.toolkit.fluxcd.io/substitute';
export const SUBSTITUTE_DISABLED = 'disabled';

const varNameRe = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

export interface SubstituteOptions {
  /**
   * Flux's StrictPostBuildSubstitutions (default on in Flux 2.9): a variable without a value and
   * without a default fails the object. Off: it becomes the empty string.
   */
  strict: boolean;
  /**
   * substituteStrategy `Always`: substitute even when there are no variables (so `${v:=d}` defaults
   * apply and strict mode reports unset ones). Default `WithVariables`: no variables, no change.
   */
  always?: boolean;
}

/**
 * Substitutes `vars` into every object, per object on its YAML text, as Flux does. Objects labelled
 * or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled`, and objects whose text holds
 * nothing to substitute, are returned as they are (the same references); the others are new
 * objects read back from the substituted text. Inputs are never modified.
 *
 * @throws SubstitutionError naming the object (and variable) at fault.
 */
export function substitute<T extends Record<string, unknown>>(
  objects: readonly T[],
  vars: Readonly<Record<string, string>>,
  opts: SubstituteOptions,
): T[] {
  if (Object.keys(vars).length === 0 && !opts.always) return [...objects];
  let namesChecked = false;
  return objects.map((obj) => {
    if (isSubstitutionDisabled(obj)) return obj;
    if (!namesChecked) {
      // Flux validates the names only when it substitutes an object, so an all-opted-out build
      // with a bad name still succeeds.
      assertVariableNames(vars);
      namesChecked = true;
    }
    const id = objectId(obj);
    const text = stringifyDocument(obj as unknown as Json);
    let out: Substituted;
    try {
      out = envsubstSpans(text, (name) => {
        const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
        return v === undefined && !opts.strict ? '' : v;
      });
    } catch (err) {
      if (err instanceof SubstitutionError) {
        throw new SubstitutionError(err.reason, `${id}: ${err.message}`, { object: id, ...vars_(err) });
      }
      throw err;
    }
    if (out.text === text) return obj;
    return readBack(out, id) as T;
  });
}

function vars_(err: SubstitutionError): { variable?: string } {
  return err.variable === undefined ? {} : { variable: err.variable };
}

/** Whether the object opts out with `kustomize.toolkit.fluxcd.io/substitute: disabled`. */
export function isSubstitutionDisabled(obj: Readonly<Record<string, unknown>>): boolean {
  const meta = obj.metadata as { labels?: unknown; annotations?: unknown } | undefined;
  const get = (m: unknown) =>
    m !== null && typeof m === 'object' ? (m as Record<string, unknown>)[SUBSTITUTE_KEY] : undefined;
  return get(meta?.labels) === SUBSTITUTE_DISABLED || get(meta?.annotations) === SUBSTITUTE_DISABLED;
}

function assertVariableNames(vars: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(vars)) {
    if (!varNameRe.test(name)) {
      throw new SubstitutionError(
        'InvalidVariableName',
        `'${name}' var name is invalid, must match '^[_[:alpha:]][_[:alpha:][:digit:]]*$'`,
        { variable: name },
      );
    }
  }
}

function objectId(obj: Readonly<Record<string, unknown>>): string {
  const meta = (obj.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const kind = typeof obj.kind === 'string' ? obj.kind : '<no kind>';
  const name = typeof meta.name === 'string' ? meta.name : '<no name>';
  return typeof meta.namespace === 'string' && meta.namespace !== ''
    ? `${kind}/${meta.namespace}/${name}`
    : `${kind}/${name}`;
}

// go-yaml v2 as sigs.k8s.io/yaml drives it: YAML 1.1 scalars, but a timestamp decodes to its text
// and base-60 numbers are never resolved.
const goYamlV2Tags = (tags: Tags): Tags =>
  tags.filter(
    (t) => typeof t !== 'object' || (t.tag !== 'tag:yaml.org,2002:timestamp' && t.format !== 'TIME'),
  ) as Tags;

function readBack(out: Substituted, id: string): Record<string, unknown> {
  const doc = parseDocument(out.text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    prettyErrors: false,
    customTags: goYamlV2Tags,
  });
  const invalid = (what: string) =>
    new SubstitutionError('InvalidSubstitution', `${id}: the substituted YAML is invalid: ${what}`, {
      object: id,
    });
  const err = doc.errors[0];
  if (err) throw invalid(describeYamlError(err, out));
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    const message = (e as Error).message;
    if (message.startsWith('Unresolved alias')) {
      let at: number | undefined;
      visit(doc, {
        Alias(_, node) {
          if (node.resolve(doc) !== undefined) return undefined;
          at = node.range?.[0];
          return visit.BREAK;
        },
      });
      throw invalid(`an alias (*) names no anchor${where(out, at)}`);
    }
    if (message.startsWith('Excessive alias count')) throw invalid('too many aliases');
    throw invalid(`it cannot be read${where(out, undefined)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SubstitutionError('InvalidSubstitution', `${id}: the substituted YAML is no longer an object`, {
      object: id,
    });
  }
  return value as Record<string, unknown>;
}

const yamlErrorText: Partial<Record<YAMLError['code'], string>> = {
  BAD_ALIAS: 'an alias (*) names no anchor',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_SCALAR_START: 'a plain value cannot start with this character',
  BLOCK_AS_IMPLICIT_KEY: 'a block value where a key was expected',
  DUPLICATE_KEY: 'a duplicate key',
  MISSING_CHAR: 'a closing quote or bracket is missing',
  MULTILINE_IMPLICIT_KEY: 'a key spans lines',
  MULTIPLE_ANCHORS: 'two anchors (&) on one value',
  MULTIPLE_DOCS: 'more than one document',
  MULTIPLE_TAGS: 'two tags (!) on one value',
  TAB_AS_INDENT: 'a tab used as indentation',
  UNEXPECTED_TOKEN: 'an unexpected token (e.g. `: ` inside a plain value)',
};

/**
 * A YAML parse error without the parser's own message, which may quote the text at fault (e.g. an
 * alias name taken from a secret value): what kind of error, where, and which variable's value
 * is there.
 */
export function describeYamlError(err: YAMLError, out: Substituted): string {
  return `${yamlErrorText[err.code] ?? 'a YAML syntax error'} (${err.code})${where(out, err.pos[0])}`;
}

function where(out: Substituted, offset: number | undefined): string {
  if (offset === undefined) return '';
  let line = 1;
  let lineStart = 0;
  for (let i = out.text.indexOf('\n'); i !== -1 && i < offset; i = out.text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  // The text before substitution is our own serialization, so a value broke it: the one pasted
  // at the offending position, else the nearest one before it (an unclosed quote or bracket is
  // reported where the parser gave up).
  const inside = out.spans.find((s) => offset >= s.start && offset <= s.end);
  const before = out.spans.filter((s) => s.end <= offset).at(-1);
  const variable = inside
    ? `, in the value of \${${inside.name}}`
    : before
      ? `, after the value of \${${before.name}}`
      : '';
  return ` at line ${line}, column ${offset - lineStart + 1}${variable}`;
}
