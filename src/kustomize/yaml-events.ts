// The fast path of the YAML reader: js-yaml's event parser (a flat list of events with source
// offsets and scalar styles) turned into JSON values in one pass. It covers what manifests use —
// maps, lists, plain, quoted and block scalars — and gives up (returns undefined) on everything
// whose kyaml semantics the full reader in yaml.ts implements: anchors and aliases (with their
// expansion budget), tags, merge keys, complex keys, duplicate keys, a block scalar on an
// unterminated last line, and any syntax error (so the error text is the full reader's).
import { EVENT_ID, type Event, getScalarValue, parseEvents, SCALAR_STYLE, type ScalarEvent } from 'js-yaml';
import { hasOwn, setOwn } from './own.js';
import type { Json, JsonObject } from './yaml-types.js';

interface Frame {
  /** The map or list being filled. */
  value: JsonObject | Json[];
  /** The key this container sits under in its parent ('[]' for a list element, '' at the top). */
  key: string;
  /** Whether plain scalars in this map are annotation values (a map at metadata.annotations). */
  annotations: boolean;
  /** In a map: the key read and waiting for its value. */
  pendingKey: string | undefined;
}

class GiveUp extends Error {}

function endsWithBreak(text: string): boolean {
  const c = text.charCodeAt(text.length - 1);
  return c === 10 || c === 13;
}

/**
 * Parses a YAML stream as yaml.ts's parseYamlStream does (null documents dropped), or returns
 * undefined when the full reader is needed. `resolvePlain` resolves an untagged plain scalar.
 */
export function parseStreamFast(
  text: string,
  patch: boolean,
  resolvePlain: (s: string) => Json,
): Json[] | undefined {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return undefined;
  }
  try {
    return build(text, events, patch, resolvePlain);
  } catch (e) {
    if (e instanceof GiveUp) return undefined;
    throw e;
  }
}

function build(text: string, events: Event[], patch: boolean, resolvePlain: (s: string) => Json): Json[] {
  const out: Json[] = [];
  const stack: Frame[] = [];
  let root: Json = null;
  let inDocument = false;

  const place = (value: Json): void => {
    const top = stack[stack.length - 1];
    if (!top) {
      root = value;
      return;
    }
    if (Array.isArray(top.value)) {
      top.value.push(value);
      return;
    }
    const key = top.pendingKey;
    if (key === undefined) throw new GiveUp(); // a collection used as a key
    top.pendingKey = undefined;
    setOwn(top.value, key, value);
  };

  const scalar = (e: ScalarEvent, top: Frame | undefined): Json => {
    const raw = getScalarValue(text, e);
    if (e.style !== SCALAR_STYLE.PLAIN) {
      if (
        (e.style === SCALAR_STYLE.LITERAL_BLOCK || e.style === SCALAR_STYLE.FOLDED_BLOCK) &&
        e.valueEnd >= text.length &&
        !endsWithBreak(text)
      ) {
        throw new GiveUp(); // see unterminatedLastLineEnd in yaml.ts
      }
      return raw;
    }
    if (top?.annotations) return patch && resolvePlain(raw) === null ? null : raw;
    return resolvePlain(raw);
  };

  for (const e of events) {
    switch (e.type) {
      case EVENT_ID.DOCUMENT:
        if (inDocument) throw new GiveUp();
        inDocument = true;
        root = null;
        break;
      case EVENT_ID.MAPPING:
      case EVENT_ID.SEQUENCE: {
        if (e.anchorStart !== -1 || e.tagStart !== -1) throw new GiveUp();
        const parent = stack[stack.length - 1];
        const key = !parent ? '' : Array.isArray(parent.value) ? '[]' : parent.pendingKey;
        if (key === undefined) throw new GiveUp(); // a complex key
        const value: JsonObject | Json[] = e.type === EVENT_ID.MAPPING ? {} : [];
        stack.push({
          value,
          key,
          annotations: e.type === EVENT_ID.MAPPING && key === 'annotations' && parent?.key === 'metadata',
          pendingKey: undefined,
        });
        break;
      }
      case EVENT_ID.SCALAR: {
        if (e.anchorStart !== -1 || e.tagStart !== -1) throw new GiveUp();
        const top = stack[stack.length - 1];
        if (top && !Array.isArray(top.value) && top.pendingKey === undefined) {
          const key = getScalarValue(text, e);
          // Merge keys, and one key spelled twice (`a` and `"a"`): the full reader decides.
          if ((key === '<<' && e.style === SCALAR_STYLE.PLAIN) || hasOwn(top.value, key)) throw new GiveUp();
          top.pendingKey = key;
          break;
        }
        place(scalar(e, top));
        break;
      }
      case EVENT_ID.POP: {
        const done = stack.pop();
        if (done) {
          if (done.pendingKey !== undefined) throw new GiveUp();
          place(done.value);
        } else {
          inDocument = false;
          if (root !== null) out.push(root);
        }
        break;
      }
      default:
        throw new GiveUp(); // an alias
    }
  }
  if (stack.length > 0 || inDocument) throw new GiveUp();
  return out;
}
