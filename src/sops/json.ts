// An order-preserving JSON reader and SOPS's JSON writer. JSON.parse cannot be used: it reorders
// integer-like keys, and the MAC is computed in document order.
import { Branch, type TreeValue } from './tree.js';

const maxDepth = 200;

export function parseJsonTree(text: string): TreeValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`invalid JSON at offset ${i}: ${what}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\') i += 2;
      else if (c === '"') {
        i++;
        return JSON.parse(text.slice(start, i)) as string;
      } else i++;
    }
    return fail('unterminated string');
  };
  const value = (depth: number): TreeValue => {
    if (depth > maxDepth) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const b = new Branch();
      ws();
      if (text[i] === '}') {
        i++;
        return b;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        b.items.push({ key, value: value(depth + 1) });
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return b;
        } else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const list: TreeValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return list;
      }
      for (;;) {
        list.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return list;
        } else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i !== text.length) fail('trailing content');
  return v;
}

/** Go's json.Marshal of a string: HTML-safe escapes as encoding/json writes them. */
function goString(s: string): string {
  return JSON.stringify(s)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** SOPS's JSON output: its encoder, re-indented with a tab (the default JSON store config). */
export function emitJsonTree(v: TreeValue, indent = '\t', level = 0): string {
  const pad = indent.repeat(level + 1);
  const end = indent.repeat(level);
  if (v instanceof Branch) {
    if (v.items.length === 0) return '{}';
    return `{\n${v.items.map((i) => `${pad}${goString(i.key)}: ${emitJsonTree(i.value, indent, level + 1)}`).join(',\n')}\n${end}}`;
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => pad + emitJsonTree(x, indent, level + 1)).join(',\n')}\n${end}]`;
  }
  if (v === null) return 'null';
  if (typeof v === 'string') return goString(v);
  if (v instanceof Uint8Array) return JSON.stringify(Buffer.from(v).toString('base64'));
  return String(v);
}
