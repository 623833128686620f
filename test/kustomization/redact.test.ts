import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactValues } from '../../src/kustomization/redact.js';

test('every value is replaced, also JSON-escaped and without a leading YAML indicator', () => {
  const values = ['hunter2-secret', 'p"q\\\\r-long', '*alias-name'];
  const message =
    'Invalid value: "hunter2-secret"; body {"v":"p\\"q\\\\\\\\r-long"}; alias alias-name; again hunter2-secret';
  assert.equal(redactValues(message, values), 'Invalid value: "***"; body {"v":"***"}; alias ***; again ***');
});

test('short values are left alone; a value containing another is replaced whole', () => {
  assert.equal(redactValues('replicas 3, env dev', ['3', 'dev']), 'replicas 3, env dev');
  assert.equal(redactValues('token abcdef-123456', ['abcdef', 'abcdef-123456']), 'token ***');
});
