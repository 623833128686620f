// The YAML reader on hostile input: alias bombs and deep nesting end in a clean YamlError naming
// the file, quickly, instead of a hang, an out-of-memory crash or an uncaught RangeError.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlStream, YamlError } from '../../src/kustomize/yaml-read.js';

test('a billion-laughs alias bomb is refused as excessive aliasing, fast', { timeout: 10_000 }, () => {
  let y = 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]\n';
  for (let i = 1; i < 10; i++)
    y += `a${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(',')}]\n`;
  const started = Date.now();
  assert.throws(
    () => parseYamlStream(y, 'bomb.yaml'),
    (err: unknown) => err instanceof YamlError && /bomb\.yaml.*excessive aliasing/.test(err.message),
  );
  assert.ok(Date.now() - started < 5_000, 'refused in well under the timeout');
});

test('ordinary aliases and merge keys still work', () => {
  const docs = parseYamlStream('base: &b {a: 1, b: 2}\nx: *b\ny:\n  <<: *b\n  b: 3\n', 'ok.yaml');
  assert.deepEqual(docs, [{ base: { a: 1, b: 2 }, x: { a: 1, b: 2 }, y: { a: 1, b: 3 } }]);
});

test('a wide but legitimate use of one anchor (many small aliases) is accepted', () => {
  const lines = ['common: &c {k: v}'];
  for (let i = 0; i < 500; i++) lines.push(`item${i}: *c`);
  const [doc] = parseYamlStream(`${lines.join('\n')}\n`, 'wide.yaml') as Array<Record<string, unknown>>;
  assert.deepEqual(doc?.item499, { k: 'v' });
});

for (const [what, text] of [
  ['flow sequences', `x: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`],
  ['flow mappings', `x: ${'{a: '.repeat(20_000)}1${'}'.repeat(20_000)}\n`],
] as const) {
  test(`deeply nested ${what}: a clean YamlError naming the file`, { timeout: 30_000 }, () => {
    assert.throws(
      () => parseYamlStream(text, 'deep.yaml'),
      (err: unknown) => err instanceof YamlError && err.message.startsWith('deep.yaml: '),
    );
  });
}
