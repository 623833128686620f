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

export const SUBSTITUTE_KEY = 'kustomize.toolkit.fluxcd.io/substitute';
export const SUBSTITUTE_DISABLED = 'disabled';

const varNameRe = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

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

// ---------------------------------------------------------------------------------------------
// Variable collection

export interface SubstituteReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  optional?: boolean;
}

/** Reads a ConfigMap's `data` or a Secret's (base64) `data`; undefined when it does not exist. */
export type SubstituteSourceReader = (
  kind: 'ConfigMap' | 'Secret',
  name: string,
) => Promise<Record<string, string> | undefined>;

/**
 * The variables of a Kustomization's postBuild, with Flux's precedence: substituteFrom entries in
 * order (a later one overrides an earlier one), then the inline `substitute` map over all of them.
 * Secret values are base64-decoded. As in Flux, every `\n` is removed from every value (so a value
 * can never break the YAML structure it is pasted into). A missing optional source is skipped.
 *
 * @throws SubstitutionError SubstituteSourceNotFound (`substituteFrom ConfigMap 'x' not found`) or
 *   SubstituteSourceFailed when the reader fails.
 */
export async function collectVars(
  inline: Readonly<Record<string, string>> | undefined,
  sources: readonly SubstituteReference[],
  read: SubstituteSourceReader,
): Promise<Record<string, string>> {
  // A Map, so a key like `__proto__` is an ordinary variable.
  const vars = new Map<string, string>();
  for (const ref of sources) {
    let data: Record<string, string> | undefined;
    try {
      data = await read(ref.kind, ref.name);
    } catch (err) {
      throw new SubstitutionError(
        'SubstituteSourceFailed',
        `substituteFrom ${ref.kind} '${ref.name}': ${(err as Error).message ?? String(err)}`,
        { cause: err },
      );
    }
    if (data === undefined) {
      if (ref.optional) continue;
      throw new SubstitutionError(
        'SubstituteSourceNotFound',
        `substituteFrom ${ref.kind} '${ref.name}' not found`,
      );
    }
    for (const [k, v] of Object.entries(data)) {
      const value = ref.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
      vars.set(k, stripNewlines(value));
    }
  }
  for (const [k, v] of Object.entries(inline ?? {})) vars.set(k, stripNewlines(v));
  return Object.fromEntries(vars);
}

const stripNewlines = (v: string) => v.replaceAll('\n', '');

// ---------------------------------------------------------------------------------------------
// envsubst: the `${...}` language of fluxcd/pkg/envsubst (drone/envsubst), reimplemented.
//
// Only `${...}` is an expression; `$var` is plain text. `$$` is an escape for `$` anywhere outside
// an expression (so `$${var}` yields the literal `${var}`); inside the pattern and replacement of
// `${v/a/b}`, `$$`, `\/` and `\\` are escapes too. Operators: `${v}`, `${#v}`, `${v^}`, `${v^^}`,
// `${v,}`, `${v,,}`, `${v:pos}`, `${v:pos:len}`, `${v/a/b}`, `${v//a/b}`, `${v/#a/b}`, `${v/%a/b}`,
// `${v#glob}`, `${v##glob}`, `${v%glob}`, `${v%%glob}`, and the defaults `${v=d}`, `${v:=d}`,
// `${v:-d}`, `${v:+d}`, `${v:?d}`, which all mean "d when v is empty or unset" (not bash's
// meanings). There is no `${v-d}` / `${v+d}` / `${v?d}`: like Flux, those are "missing closing brace"
// errors. Defaults may nest expressions: `${a:=${b}-x}`. Lengths and substring offsets count UTF-8
// bytes like Go.

type Node = { text: string } | FuncNode;
interface FuncNode {
  param: string;
  op: string;
  args: Node[][];
}

const ErrBadSubstitution = 'bad substitution';
const ErrMissingClosingBrace = 'missing closing brace';
const ErrParseVariableName = 'unable to parse variable name';
const ErrParseFuncSubstitution = 'unable to parse substitution within function';

class Parser {
  private pos = 0;
  constructor(private readonly s: string) {}

  private fail(what: string): never {
    throw new SubstitutionError('InvalidSubstitution', `variable substitution failed: ${what}`);
  }

  private peek(offset = 0): string | undefined {
    return this.s[this.pos + offset];
  }

  private atLbrack(): boolean {
    return this.s[this.pos] === '$' && this.s[this.pos + 1] === '{';
  }

  parseTemplate(): Node[] {
    const nodes: Node[] = [];
    while (this.pos < this.s.length) {
      if (this.atLbrack()) {
        this.pos += 2;
        nodes.push(this.parseFunc());
        continue;
      }
      let text = '';
      while (this.pos < this.s.length && !this.atLbrack()) {
        if (this.s[this.pos] === '$' && this.s[this.pos + 1] === '$') {
          text += '$';
          this.pos += 2;
        } else {
          text += this.s[this.pos];
          this.pos++;
        }
      }
      nodes.push({ text });
    }
    return nodes;
  }

  // After `${`.
  private parseFunc(): FuncNode {
    if (this.peek() === '#') {
      this.pos++;
      const param = this.scanIdent();
      if (param === '') this.fail(ErrBadSubstitution);
      this.expectRbrack();
      return { param, op: '#', args: [] };
    }
    const param = this.scanIdent();
    if (param === '') this.fail(ErrParseVariableName);
    switch (this.peek()) {
      case ':': {
        const next = this.peek(1);
        if (next === '=' || next === '-' || next === '?' || next === '+') {
          this.pos += 2;
          return this.parseDefault(param, `:${next}`);
        }
        this.pos++;
        return this.parseSubstr(param);
      }
      case '=':
        this.pos++;
        return this.parseDefault(param, '=');
      case ',':
      case '^':
        return this.parseCasing(param);
      case '/':
        return this.parseReplace(param);
      case '#':
      case '%':
        return this.parseRemove(param, this.peek()!);
    }
    if (this.peek() !== '}') this.fail(ErrMissingClosingBrace);
    this.pos++;
    return { param, op: '', args: [] };
  }

  private scanIdent(): string {
    const start = this.pos;
    while (this.pos < this.s.length && /^[\p{L}\p{Nd}_]$/u.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }

  private expectRbrack(): void {
    if (this.peek() !== '}') this.fail(ErrBadSubstitution);
    this.pos++;
  }

  /**
   * One function argument: a nested `${...}`, or text up to `stop` / `${` / the end. With
   * `escapes`, `$$`, `\/` and `\\` stand for their second character. Empty text is an error.
   */
  private parseParam(stop: (c: string) => boolean, escapes: boolean): Node {
    if (this.atLbrack()) {
      this.pos += 2;
      return this.parseFunc();
    }
    let text = '';
    while (this.pos < this.s.length && !this.atLbrack()) {
      const c = this.s[this.pos]!;
      const n = this.s[this.pos + 1];
      if (escapes && ((c === '$' && n === '$') || (c === '\\' && (n === '/' || n === '\\')))) {
        text += n;
        this.pos += 2;
        continue;
      }
      if (stop(c)) break;
      text += c;
      this.pos++;
    }
    // An escape always yields a character, so empty text means nothing was consumed.
    if (text === '') this.fail(ErrParseFuncSubstitution);
    return { text };
  }

  private parseDefault(param: string, op: string): FuncNode {
    const args: Node[] = [];
    while (this.peek() !== '}') {
      if (this.pos >= this.s.length) this.fail(ErrParseFuncSubstitution);
      args.push(this.parseParam((c) => c === '}', false));
    }
    this.pos++;
    return { param, op, args: [args] };
  }

  private parseSubstr(param: string): FuncNode {
    const offset = this.parseParam((c) => c === ':' || c === '}', false);
    if (this.peek() === '}') {
      this.pos++;
      return { param, op: ':', args: [[offset]] };
    }
    if (this.peek() !== ':') this.fail(ErrBadSubstitution);
    while (this.peek() === ':') this.pos++;
    const length = this.parseParam((c) => c === '}', false);
    this.expectRbrack();
    return { param, op: ':', args: [[offset], [length]] };
  }

  private parseRemove(param: string, ch: string): FuncNode {
    let op = ch;
    this.pos++;
    if (this.peek() === ch) {
      op += ch;
      this.pos++;
    }
    const pattern = this.parseParam((c) => c === '}', false);
    this.expectRbrack();
    return { param, op, args: [[pattern]] };
  }

  private parseReplace(param: string): FuncNode {
    let op = '/';
    this.pos++;
    const m = this.peek();
    if (m === '/' || m === '#' || m === '%') {
      op += m;
      this.pos++;
    }
    const pattern: Node = this.peek() === '/' ? { text: '' } : this.parseParam((c) => c === '/', true);
    if (this.peek() !== '/') this.fail(ErrBadSubstitution);
    while (this.peek() === '/') this.pos++;
    if (this.peek() === '}') {
      this.pos++;
      return { param, op, args: [[pattern]] };
    }
    const replacement = this.parseParam((c) => c === '}', true);
    this.expectRbrack();
    return { param, op, args: [[pattern], [replacement]] };
  }

  private parseCasing(param: string): FuncNode {
    let op = '';
    while (op.length < 2 && (this.peek() === ',' || this.peek() === '^')) {
      op += this.peek();
      this.pos++;
    }
    this.expectRbrack();
    return { param, op, args: [] };
  }
}

/**
 * Expands every `${...}` in `text`. `lookup` returns a variable's value, or undefined when it is
 * unset; an unset variable fails (VariableNotSet) unless the operator supplies a default — pass a
 * lookup that returns '' for unset names to get non-strict behaviour.
 *
 * @throws SubstitutionError InvalidSubstitution (malformed syntax) or VariableNotSet.
 */
export function envsubst(text: string, lookup: (name: string) => string | undefined): string {
  const nodes = new Parser(text).parseTemplate();
  return evalNodes(nodes, lookup);
}

/** Substituted text, and where each top-level `${...}` landed in it (offsets into `text`). */
export interface Substituted {
  text: string;
  spans: { name: string; start: number; end: number }[];
}

/** `envsubst`, also telling where each expression's value was pasted. */
export function envsubstSpans(text: string, lookup: (name: string) => string | undefined): Substituted {
  const nodes = new Parser(text).parseTemplate();
  let out = '';
  const spans: Substituted['spans'] = [];
  for (const n of nodes) {
    if ('text' in n) {
      out += n.text;
      continue;
    }
    const start = out.length;
    out += evalFunc(n, lookup);
    spans.push({ name: n.param, start, end: out.length });
  }
  return { text: out, spans };
}

function evalNodes(nodes: readonly Node[], lookup: (name: string) => string | undefined): string {
  let out = '';
  for (const n of nodes) out += 'text' in n ? n.text : evalFunc(n, lookup);
  return out;
}

const defaultOps = new Set(['-', '+', '=', '?', ':-', ':+', ':=', ':?']);

function evalFunc(node: FuncNode, lookup: (name: string) => string | undefined): string {
  // Arguments are expanded first, whether or not they are needed (as Flux does).
  const args = node.args.map((a) => evalNodes(a, lookup));
  const value = lookup(node.param);
  if (value === undefined && !defaultOps.has(node.op)) {
    throw new SubstitutionError(
      'VariableNotSet',
      `variable substitution failed: variable not set (strict mode): ${JSON.stringify(node.param)}`,
      { variable: node.param },
    );
  }
  const v = value ?? '';
  switch (node.op) {
    case ',':
      return mapFirst(v, (c) => c.toLowerCase());
    case ',,':
      return v.toLowerCase();
    case '^':
      return mapFirst(v, (c) => c.toUpperCase());
    case '^^':
      return v.toUpperCase();
    case '#':
      return args.length === 0 ? String(Buffer.byteLength(v, 'utf8')) : trimShortest(v, args[0]!);
    case '##':
      return trimLongest(v, args[0]!);
    case '%':
      return reverse(trimShortest(reverse(v), reverse(args[0]!)));
    case '%%':
      return reverse(trimLongest(reverse(v), reverse(args[0]!)));
    case ':':
      return substring(v, args);
    case '/':
      return args.length === 0 ? v : v.replace(args[0]!, () => args[1] ?? '');
    case '//':
      return args.length === 0 ? v : v.replaceAll(args[0]!, () => args[1] ?? '');
    case '/#':
      if (args.length !== 2 || !v.startsWith(args[0]!)) return v;
      return args[1] + v.slice(args[0]!.length);
    case '/%':
      if (args.length !== 2 || !v.endsWith(args[0]!)) return v;
      return v.slice(0, v.length - args[0]!.length) + args[1];
    default:
      // `${v}`, every default operator, and odd casing spellings like `${v,^}`.
      return v === '' && args.length > 0 ? args.join('') : v;
  }
}

function mapFirst(s: string, f: (c: string) => string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return s;
  const c = String.fromCodePoint(first);
  return f(c) + s.slice(c.length);
}

function atoi(s: string): number | undefined {
  return /^[-+]?[0-9]+$/.test(s) ? Number.parseInt(s, 10) : undefined;
}

// ${v:pos} and ${v:pos:len} over UTF-8 bytes, with bash's negative offsets and lengths.
function substring(s: string, args: string[]): string {
  const b = Buffer.from(s, 'utf8');
  const slice = (from: number, to?: number) => b.subarray(from, to).toString('utf8');
  let pos = atoi(args[0] ?? '');
  if (pos === undefined) return s;
  if (pos < 0) pos = Math.max(0, b.length + pos);
  if (args.length === 1) return pos < b.length ? slice(pos) : '';
  const length = atoi(args[1]!);
  if (length === undefined) return s;
  if (length < 0) {
    const end = b.length + length;
    return end < pos ? '' : slice(pos, end);
  }
  if (pos + length >= b.length) return pos < b.length ? slice(pos) : '';
  return slice(pos, pos + length);
}

function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

function trimShortest(s: string, pattern: string): string {
  const lengths = matchingPrefixes(pattern, s);
  if (lengths === undefined) return s;
  for (let n = 1; n <= s.length; n++) if (lengths[n]) return s.slice(n);
  return s;
}

function trimLongest(s: string, pattern: string): string {
  const lengths = matchingPrefixes(pattern, s);
  if (lengths === undefined) return s;
  for (let n = s.length; n >= 1; n--) if (lengths[n]) return s.slice(n);
  return s;
}

// Shell globs (`*`, `?`, `[...]`, `[^...]`, `\x`; `*` also matches `/`), matched without a regular
// expression: the pattern and the value both come from outside (Git, variables), and a
// backtracking matcher takes exponential time on `*a*a*a…b`. A glob is a list of steps, and
// matchingPrefixes runs it as a state set over the value: O(value × pattern) for every prefix at once.

type GlobStep = { star: true } | { star: false; matches: (unit: number) => boolean };

/** The glob's steps; undefined for a malformed pattern (trailing `\`, unclosed or reversed `[...]`). */
function compileGlob(pattern: string): GlobStep[] | undefined {
  const steps: GlobStep[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === 0x2a /* * */) steps.push({ star: true });
    else if (c === 0x3f /* ? */) steps.push({ star: false, matches: () => true });
    else if (c === 0x5c /* \ */) {
      i++;
      if (i >= pattern.length) return undefined;
      const lit = pattern.charCodeAt(i);
      steps.push({ star: false, matches: (u) => u === lit });
    } else if (c === 0x5b /* [ */) {
      const cls = compileClass(pattern, i + 1);
      if (!cls) return undefined;
      steps.push({ star: false, matches: cls.matches });
      i = cls.end;
    } else steps.push({ star: false, matches: (u) => u === c });
  }
  return steps;
}

/**
 * A bracket expression starting after its `[`, read like JavaScript's character classes: a leading
 * `^` negates, a leading `]` is literal, `\x` is the literal x, and an unescaped `-` between two
 * members makes a range (literal at either end). `end` is the index of the closing `]`.
 */
function compileClass(
  pattern: string,
  from: number,
): { matches: (unit: number) => boolean; end: number } | undefined {
  let i = from;
  const negated = pattern[i] === '^';
  if (negated) i++;
  // Members in order; `dash` marks an unescaped `-`, the only one that can join a range.
  const members: { unit: number; dash: boolean }[] = [];
  let end = -1;
  for (let first = true; i < pattern.length; i++, first = false) {
    const d = pattern.charCodeAt(i);
    if (d === 0x5d /* ] */ && !first) {
      end = i;
      break;
    }
    if (d === 0x5c /* \ */) {
      i++;
      if (i >= pattern.length) return undefined;
      members.push({ unit: pattern.charCodeAt(i), dash: false });
    } else members.push({ unit: d, dash: d === 0x2d });
  }
  if (end < 0) return undefined;
  const ranges: [number, number][] = [];
  for (let k = 0; k < members.length; k++) {
    const lo = members[k]!.unit;
    if (k + 2 < members.length && members[k + 1]!.dash) {
      const hi = members[k + 2]!.unit;
      if (lo > hi) return undefined;
      ranges.push([lo, hi]);
      k += 2;
    } else ranges.push([lo, lo]);
  }
  const inClass = (u: number) => ranges.some(([lo, hi]) => u >= lo && u <= hi);
  return { matches: negated ? (u) => !inClass(u) : inClass, end };
}

/**
 * For every prefix length n of s (UTF-16 units, 0..s.length), whether the glob matches exactly
 * s.slice(0, n); undefined for a malformed pattern.
 */
function matchingPrefixes(pattern: string, s: string): boolean[] | undefined {
  const steps = compileGlob(pattern);
  if (!steps) return undefined;
  const m = steps.length;
  // State j: the first j steps have matched. A star step can also match nothing (j → j+1).
  let current = new Uint8Array(m + 1);
  const close = (set: Uint8Array) => {
    for (let j = 0; j < m; j++) if (set[j] && (steps[j] as GlobStep).star) set[j + 1] = 1;
  };
  current[0] = 1;
  close(current);
  const out: boolean[] = [current[m] === 1];
  let next = new Uint8Array(m + 1);
  for (let n = 0; n < s.length; n++) {
    const unit = s.charCodeAt(n);
    next.fill(0);
    let any = false;
    for (let j = 0; j < m; j++) {
      if (!current[j]) continue;
      const step = steps[j]!;
      if (step.star) {
        next[j] = 1;
        any = true;
      } else if (step.matches(unit)) {
        next[j + 1] = 1;
        any = true;
      }
    }
    close(next);
    [current, next] = [next, current];
    out.push(current[m] === 1);
    if (!any) {
      // No state is alive: no longer prefix can match.
      for (let rest = n + 1; rest < s.length; rest++) out.push(false);
      break;
    }
  }
  return out;
}
