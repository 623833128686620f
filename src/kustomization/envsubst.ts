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
import { SubstitutionError } from './substitution-error.js';

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
