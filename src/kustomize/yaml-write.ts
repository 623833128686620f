// YAML out the way `kustomize build` prints it: every object goes through JSON and go-yaml v2, so
// map keys are sorted (v2's natural order), strings that would read back as something else are
// quoted, long plain strings fold at 80 columns and sequences are not indented under their key.
import { floatRe, timestampRe } from './yaml-read.js';
import type { Json, JsonObject } from './yaml-types.js';

const lineWidth = 80;

/** Serializes resources the way `kustomize build` prints them: documents joined by `---`. */
export function stringifyStream(objects: readonly Json[]): string {
  return objects.map((o) => stringifyDocument(o)).join('---\n');
}

let keepKeyOrder = false;

/** YAML of one value with map keys in insertion order (for kustomize's struct-ordered annotations). */
export function stringifyOrdered(value: Json): string {
  keepKeyOrder = true;
  try {
    return stringifyDocument(value);
  } finally {
    keepKeyOrder = false;
  }
}

export function stringifyDocument(value: Json): string {
  const out: string[] = [];
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if (Object.keys(value).length === 0) return '{}\n';
    writeMap(value, 0, out);
  } else if (Array.isArray(value)) {
    if (value.length === 0) return '[]\n';
    writeSeq(value, 0, out);
  } else {
    out.push(`${scalar(value, 0, false)}\n`);
  }
  return out.join('');
}

/** go-yaml v2's map key order: natural ordering of digit runs, letters after other characters. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const ar = Array.from(a);
  const br = Array.from(b);
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) continue;
    const ac = ar[i]!;
    const bc = br[i]!;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac < bc ? -1 : 1;
    if (al || bl) return bl ? -1 : 1;
    let an = 0;
    let bn = 0;
    if (ac === '0' || bc === '0') {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]!); j--) {
        if (ar[j] !== '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    let ai = i;
    let bi = i;
    for (; ai < ar.length && isDigit(ar[ai]!); ai++) an = an * 10 + (ar[ai]!.charCodeAt(0) - 48);
    for (; bi < br.length && isDigit(br[bi]!); bi++) bn = bn * 10 + (br[bi]!.charCodeAt(0) - 48);
    if (an !== bn) return an < bn ? -1 : 1;
    if (ai !== bi) return ai < bi ? -1 : 1;
    return ac < bc ? -1 : 1;
  }
  return ar.length < br.length ? -1 : 1;
}

function isLetter(c: string): boolean {
  return /\p{L}/u.test(c);
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function sortedKeys(obj: JsonObject): string[] {
  if (keepKeyOrder) return Object.keys(obj);
  return Object.keys(obj).sort(compareKeys);
}

function isEmptyCollection(v: Json): boolean {
  if (Array.isArray(v)) return v.length === 0;
  return v !== null && typeof v === 'object' && Object.keys(v).length === 0;
}

function writeMap(obj: JsonObject, indent: number, out: string[], firstInline = false): void {
  const pad = ' '.repeat(indent);
  let first = true;
  for (const key of sortedKeys(obj)) {
    const value = obj[key]!;
    const prefix = first && firstInline ? '' : pad;
    first = false;
    const k = scalar(key, indent, true);
    if (value !== null && typeof value === 'object' && !isEmptyCollection(value)) {
      out.push(`${prefix}${k}:\n`);
      if (Array.isArray(value)) writeSeq(value, indent, out);
      else writeMap(value, indent + 2, out);
    } else {
      out.push(`${prefix}${k}: ${inlineValue(value, indent + 2, indent + k.length + 2)}\n`);
    }
  }
}

function writeSeq(arr: Json[], indent: number, out: string[]): void {
  const pad = ' '.repeat(indent);
  for (const item of arr) {
    if (item !== null && typeof item === 'object' && !isEmptyCollection(item)) {
      if (Array.isArray(item)) {
        out.push(`${pad}-`);
        // go-yaml writes a nested sequence inline after the dash.
        const inner: string[] = [];
        writeSeq(item, indent + 2, inner);
        const text = inner.join('');
        out.push(` ${text.slice(indent + 2)}`);
      } else {
        out.push(`${pad}- `);
        writeMap(item, indent + 2, out, true);
      }
    } else {
      out.push(`${pad}- ${inlineValue(item, indent + 2, indent + 2)}\n`);
    }
  }
}

function inlineValue(value: Json, indent: number, column: number): string {
  if (Array.isArray(value)) return '[]';
  if (value !== null && typeof value === 'object') return '{}';
  return scalar(value, indent, false, column);
}

function scalar(value: Json, indent: number, isKey: boolean, column = 0): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return formatNumber(value);
  return formatString(value as string, indent, isKey, column);
}

function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toFixed(0);
  // Go's strconv.FormatFloat(f, 'g', -1, 64).
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) {
    const [mant, e] = n.toExponential().split('e') as [string, string];
    const sign = e.startsWith('-') ? '-' : '+';
    const digits = e.replace(/^[-+]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  return String(n);
}

/** Would go-yaml v2 read this plain scalar as something other than a string? */
function resolvesToNonString(s: string): boolean {
  switch (s) {
    case '':
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
    case 'y':
    case 'Y':
    case 'yes':
    case 'Yes':
    case 'YES':
    case 'n':
    case 'N':
    case 'no':
    case 'No':
    case 'NO':
    case 'true':
    case 'True':
    case 'TRUE':
    case 'false':
    case 'False':
    case 'FALSE':
    case 'on':
    case 'On':
    case 'ON':
    case 'off':
    case 'Off':
    case 'OFF':
    case '.inf':
    case '.Inf':
    case '.INF':
    case '+.inf':
    case '+.Inf':
    case '+.INF':
    case '-.inf':
    case '-.Inf':
    case '-.INF':
    case '.nan':
    case '.NaN':
    case '.NAN':
    case '<<':
      return true;
  }
  const c = s.charCodeAt(0);
  const numeric = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
  if (!numeric) return false;
  if (timestampRe.test(s)) return true;
  const plain = s.replaceAll('_', '');
  if (/^[-+]?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.test(plain)) return true;
  if (floatRe.test(plain)) return true;
  // base 60 floats of YAML 1.1
  if (/^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s)) return true;
  return false;
}

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

function isPrintable(cp: number): boolean {
  return (
    cp === 0x0a ||
    (cp >= 0x20 && cp <= 0x7e) ||
    cp === 0x85 ||
    (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const isBreakCp = (cp: number) => cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
const isBlankz = (cp: number | undefined) =>
  cp === undefined || cp === 0x20 || cp === 0x09 || isBreakCp(cp) || cp === 0;

/** Characters that may not start a plain scalar (go-yaml's emitter). */
const firstIndicators = new Set(Array.from('#,[]{}&*!|>\'"%@`', (c) => c.charCodeAt(0)));

function hasSurrogates(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return true;
  }
  return false;
}

function analyze(s: string): Analysis {
  // Code points without an array per string: most strings have no surrogate pairs.
  const cps = hasSurrogates(s) ? Array.from(s, (ch) => ch.codePointAt(0)!) : undefined;
  const n = cps ? cps.length : s.length;
  const at = (i: number): number | undefined => (i >= n ? undefined : cps ? cps[i] : s.charCodeAt(i));
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  if (s.startsWith('---') || s.startsWith('...')) {
    blockIndicators = true;
  }
  let precededByWhitespace = true;
  let followedByWhitespace = isBlankz(at(1));
  for (let i = 0; i < n; i++) {
    const cp = at(i)!;
    if (i === 0) {
      if (firstIndicators.has(cp)) {
        blockIndicators = true;
      }
      if (cp === 0x3f || cp === 0x3a) {
        if (followedByWhitespace) blockIndicators = true;
      }
      if (cp === 0x2d && followedByWhitespace) {
        blockIndicators = true;
      }
    } else {
      if (cp === 0x3a) {
        if (followedByWhitespace) blockIndicators = true;
      }
      if (cp === 0x23 && precededByWhitespace) {
        blockIndicators = true;
      }
    }
    if (!isPrintable(cp)) specialCharacters = true;
    if (isBreakCp(cp)) lineBreaks = true;
    if (cp === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === n - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreakCp(cp)) {
      if (i === 0) leadingBreak = true;
      if (i === n - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousBreak = true;
      previousSpace = false;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(cp);
    followedByWhitespace = isBlankz(at(i + 2));
  }
  let blockPlainAllowed = true;
  let singleQuotedAllowed = true;
  let blockAllowed = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlainAllowed = false;
  if (trailingSpace) blockAllowed = false;
  if (breakSpace) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) {
    blockPlainAllowed = false;
    singleQuotedAllowed = false;
    blockAllowed = false;
  }
  if (lineBreaks) blockPlainAllowed = false;
  if (blockIndicators) blockPlainAllowed = false;
  return { multiline: lineBreaks, blockPlainAllowed, singleQuotedAllowed, blockAllowed };
}

function formatString(s: string, indent: number, isKey: boolean, column: number): string {
  const canUsePlain = !resolvesToNonString(s);
  let style: 'plain' | 'single' | 'double' | 'literal' = s.includes('\n')
    ? 'literal'
    : canUsePlain
      ? 'plain'
      : 'double';
  const a = analyze(s);
  if (style === 'plain') {
    if (!a.blockPlainAllowed) style = 'single';
    if (s.length === 0 && isKey) style = 'single';
  }
  if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
  if (style === 'literal' && (!a.blockAllowed || isKey)) style = 'double';
  // Keys are written on the key's line; a multi-line key can only be double quoted.
  if (isKey && a.multiline) style = 'double';
  switch (style) {
    case 'plain':
      return isKey ? s : fold(s, indent, column);
    case 'single':
      return isKey
        ? `'${s.replaceAll("'", "''")}'`
        : foldQuoted(`'${s.replaceAll("'", "''")}'`, indent, column);
    case 'double':
      return doubleQuoted(s, indent, isKey, column);
    case 'literal':
      return literal(s, indent);
  }
}

// go-yaml folds plain and quoted scalars at a space once the line passes 80 columns.
function fold(s: string, indent: number, start: number): string {
  if (!s.includes(' ')) return s;
  let column = start;
  let out = '';
  const pad = ' '.repeat(indent);
  let spaces = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === ' ') {
      if (!spaces && column > lineWidth && s[i + 1] !== ' ') {
        out += `\n${pad}`;
        column = indent;
      } else {
        out += ch;
        column++;
      }
      spaces = true;
    } else {
      out += ch;
      column++;
      spaces = false;
    }
  }
  return out;
}

function foldQuoted(q: string, indent: number, start: number): string {
  const inner = q.slice(1, -1);
  let column = start + 1;
  let out = "'";
  const pad = ' '.repeat(indent);
  let spaces = false;
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === ' ') {
      if (!spaces && column > lineWidth && i !== 0 && i !== inner.length - 1 && inner[i + 1] !== ' ') {
        out += `\n${pad}`;
        column = indent;
      } else {
        out += ch;
        column++;
      }
      spaces = true;
    } else {
      out += ch;
      column++;
      spaces = false;
    }
  }
  return `${out}'`;
}

function doubleQuoted(s: string, indent: number, isKey: boolean, start: number): string {
  let column = start + 1;
  let out = '"';
  const pad = ' '.repeat(indent);
  let spaces = false;
  const chars = Array.from(s);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const cp = ch.codePointAt(0)!;
    if (!isPrintable(cp) || cp === 0xfeff || isBreakCp(cp) || ch === '"' || ch === '\\') {
      let esc: string;
      switch (cp) {
        case 0x00:
          esc = '\\0';
          break;
        case 0x07:
          esc = '\\a';
          break;
        case 0x08:
          esc = '\\b';
          break;
        case 0x09:
          esc = '\\t';
          break;
        case 0x0a:
          esc = '\\n';
          break;
        case 0x0b:
          esc = '\\v';
          break;
        case 0x0c:
          esc = '\\f';
          break;
        case 0x0d:
          esc = '\\r';
          break;
        case 0x1b:
          esc = '\\e';
          break;
        case 0x22:
          esc = '\\"';
          break;
        case 0x5c:
          esc = '\\\\';
          break;
        case 0x85:
          esc = '\\N';
          break;
        case 0xa0:
          esc = '\\_';
          break;
        case 0x2028:
          esc = '\\L';
          break;
        case 0x2029:
          esc = '\\P';
          break;
        default:
          if (cp <= 0xff) esc = `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`;
          else if (cp <= 0xffff) esc = `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
          else esc = `\\U${cp.toString(16).toUpperCase().padStart(8, '0')}`;
      }
      out += esc;
      column += esc.length;
      spaces = false;
    } else if (ch === ' ') {
      if (!isKey && !spaces && column > lineWidth && i !== 0 && i !== chars.length - 1) {
        out += `\n${pad}`;
        column = indent;
        if (chars[i + 1] === ' ') {
          out += '\\';
          column++;
        }
      } else {
        out += ch;
        column++;
      }
      spaces = true;
    } else {
      out += ch;
      column++;
      spaces = false;
    }
  }
  return `${out}"`;
}

function literal(s: string, indent: number): string {
  let header = '|';
  if (s.startsWith(' ') || s.startsWith('\n')) header += '2';
  if (!s.endsWith('\n')) header += '-';
  else if (s === '\n' || s.endsWith('\n\n')) header += '+';
  const pad = ' '.repeat(indent);
  const body = s.endsWith('\n') ? s.slice(0, -1) : s;
  const lines = body.split('\n').map((l) => (l.length === 0 ? '' : pad + l));
  return `${header}\n${lines.join('\n')}`;
}
