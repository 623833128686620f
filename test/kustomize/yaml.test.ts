import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseStreamFast } from '../../src/kustomize/yaml-events.js';
import { parseYamlStream, parseYamlStreamFull, resolvePlain } from '../../src/kustomize/yaml-read.js';
import { compareKeys, stringifyDocument } from '../../src/kustomize/yaml-write.js';

describe('YAML read like kustomize', () => {
  it('reads 0644 as 420 and keeps yes and dates as strings', () => {
    const [doc] = parseYamlStream('mode: 0644\nflag: yes\nday: 2024-01-01\nbool: true\n', 't.yaml');
    assert.deepEqual(doc, { mode: 420, flag: 'yes', day: '2024-01-01T00:00:00Z', bool: true });
  });

  it('keeps annotation values as the text written', () => {
    const [doc] = parseYamlStream('metadata:\n  annotations:\n    port: 8080\n    v: 1.0\n', 't.yaml');
    assert.deepEqual(doc, { metadata: { annotations: { port: '8080', v: '1.0' } } });
  });

  it('rejects duplicate keys in a resource', () => {
    assert.throws(() => parseYamlStream('a: 1\na: 2\n', 'dup.yaml'), /dup.yaml/);
  });

  it('drops empty documents of a stream', () => {
    assert.equal(parseYamlStream('---\n---\na: 1\n---\n', 's.yaml').length, 1);
  });

  it('gives a block scalar ending the file without a line break no final newline', () => {
    assert.deepEqual(parseYamlStream('a: |\n  x\n  y', 't.yaml'), [{ a: 'x\ny' }]);
    assert.deepEqual(parseYamlStream('a: |+\n  x', 't.yaml'), [{ a: 'x' }]);
    assert.deepEqual(parseYamlStream('a:\n  b: >\n    x\n    y', 't.yaml'), [{ a: { b: 'x y' } }]);
    // With the line break present (or another key after it) clip chomping keeps one newline.
    assert.deepEqual(parseYamlStream('a: |\n  x\n  y\n', 't.yaml'), [{ a: 'x\ny\n' }]);
    assert.deepEqual(parseYamlStream('a: |\n  x\nb: 1', 't.yaml'), [{ a: 'x\n', b: 1 }]);
  });
});

describe('YAML written like kustomize', () => {
  it('sorts keys, quotes strings that would read back as other types, does not indent lists', () => {
    const out = stringifyDocument({ b: ['x'], a: { n: 'yes', port: '8080', s: 'plain' } });
    assert.equal(out, 'a:\n  "n": "yes"\n  port: "8080"\n  s: plain\nb:\n- x\n');
  });

  it('writes multi-line strings as literal blocks', () => {
    assert.equal(stringifyDocument({ k: 'a\nb\n' }), 'k: |\n  a\n  b\n');
    assert.equal(stringifyDocument({ k: 'a\nb' }), 'k: |-\n  a\n  b\n');
  });

  it('orders keys with digits naturally, like go-yaml', () => {
    assert.deepEqual(['a10', 'a9', 'B', 'a'].sort(compareKeys), ['B', 'a', 'a9', 'a10']);
  });

  it('folds long plain strings at 80 columns', () => {
    const long = 'word '.repeat(30).trim();
    const out = stringifyDocument({ k: long });
    assert.ok(out.split('\n')[0]!.length <= 90);
    assert.deepEqual(parseYamlStream(out, 'o.yaml')[0], { k: long });
  });
});

describe('YAML fast reader (js-yaml events)', () => {
  const fast = (t: string, patch = false) => parseStreamFast(t, patch, resolvePlain);

  it('reads manifests as the full reader does: plain scalars resolved, quoted and block ones kept', () => {
    const text =
      'a: 0644\nb: "0644"\nc: yes\nd: |\n  x\ne: ~\nf:\n- 1\n- "1"\nmetadata:\n  annotations:\n    v: 1.0\n';
    const expected = {
      a: 420,
      b: '0644',
      c: 'yes',
      d: 'x\n',
      e: null,
      f: [1, '1'],
      metadata: { annotations: { v: '1.0' } },
    };
    assert.deepEqual(fast(text), [expected]);
    assert.deepEqual(parseYamlStream(text, 't.yaml'), [expected]);
  });

  it('keeps a __proto__ key as data', () => {
    const [doc] = fast('data:\n  __proto__: x\n')! as { data: object }[];
    assert.ok(Object.hasOwn(doc!.data, '__proto__'));
    assert.equal(Object.getPrototypeOf(doc!.data), Object.prototype);
  });

  it('leaves anchors, tags, merge keys, one key spelled twice and bad YAML to the full reader', () => {
    for (const t of [
      'a: &x 1\nb: *x\n',
      'a: !!int "1"\n',
      '<<: {a: 1}\n',
      'a: 1\n"a": 2\n',
      'a: [\n',
      'a: |\n  x',
    ]) {
      assert.equal(fast(t), undefined, t);
    }
    assert.deepEqual(parseYamlStream('<<: {a: 1}\nb: 2\n', 't.yaml'), [{ a: 1, b: 2 }]);
    assert.deepEqual(parseYamlStream('a: !!int "1"\n', 't.yaml'), [{ a: 1 }]);
    assert.throws(() => parseYamlStream('a: 1\n"a": 2\n', 'dup.yaml'), /dup.yaml/);
  });

  it('gives what the full reader gives, or hands over to it', () => {
    const inputs = [
      'a: b\n  c\n',
      'a: >\n  x\n\n  y\n',
      'a: |+\n  x\n\nb: 1\n',
      'a: {b: , c: d}\n',
      '- - a\n  - b\n- c\n',
      '"a:b": 1\n',
      '? a\n: 1\n',
      '\ufeffa: 1\n',
      'a: 1\r\nb: 2\r\n',
      'a: "x\\ty"\n',
      "a: 'it''s'\n",
      '--- a\n',
      '---\n...\n---\nb: 1\n',
      'a: -1.5e3\nb: 0o17\nc: 0x1f\nd: .inf\ne: 1_000\nf: 2024-01-01 10:00:00\n',
      'metadata:\n  annotations:\n    a: null\n    b: 012\n',
      'a: |2\n   x\n',
      'a: >-\n  x\n  y\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: !!str 1\n',
      'a: b: c\n',
      'a:\n\tb: 1\n',
    ];
    for (const t of inputs) {
      for (const patch of [false, true]) {
        const got = fast(t, patch);
        if (got === undefined) continue;
        assert.deepEqual(got, parseYamlStreamFull(t, 't.yaml', true, patch), JSON.stringify(t));
      }
    }
  });
});
