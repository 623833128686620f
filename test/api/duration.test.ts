import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DURATION_PATTERN,
  formatDuration,
  InvalidDurationError,
  isDuration,
  parseDuration,
  TIMEOUT_PATTERN,
} from '../../src/api/duration.js';

test('parseDuration converts the CRD duration forms to milliseconds', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('60s'), 60_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('2h45m10s'), 9_910_000);
  assert.equal(parseDuration('1m1ms'), 60_001);
  assert.equal(parseDuration('0s'), 0);
});

test('parseDuration rejects what the CRD pattern rejects', () => {
  for (const bad of ['5 minutes', '', '5', '1d', '-1s', '1.s', ' 1m', '1m ', '1us', 'PT5M']) {
    assert.equal(isDuration(bad), false, bad);
    assert.throws(() => parseDuration(bad), InvalidDurationError, bad);
  }
});

test('the GitRepository timeout pattern allows no hours', () => {
  assert.ok(TIMEOUT_PATTERN.test('90s'));
  assert.ok(TIMEOUT_PATTERN.test('1m30s'));
  assert.equal(TIMEOUT_PATTERN.test('1h'), false);
  assert.ok(DURATION_PATTERN.test('1h'));
});

test('formatDuration prints like Go time.Duration', () => {
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(7_200_000), '2h0m0s');
  assert.equal(formatDuration(500), '500ms');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1_500), '1.5s');
  assert.equal(formatDuration(300_000), '5m0s');
  assert.equal(parseDuration(formatDuration(9_910_000)), 9_910_000);
});
