import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  digestEqual,
  pushedRef,
  refMatches,
  signGitHub,
  verifySignature,
} from '../../src/webhook/signature.js';

const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: 'abc' }));
const token = 'webhook-token-123';
const hmac = (t: string) => `sha256=${createHmac('sha256', t).update(body).digest('hex')}`;

test('GitHub, GitLab and generic HMAC signatures verify with the right token only', () => {
  assert.equal(verifySignature({ 'x-hub-signature-256': hmac(token) }, body, token), 'github');
  assert.equal(verifySignature({ 'x-hub-signature-256': hmac('other') }, body, token), undefined);
  assert.equal(
    verifySignature({ 'x-hub-signature-256': hmac(token) }, Buffer.from('{"ref":"x"}'), token),
    undefined,
    'tampered body',
  );
  assert.equal(verifySignature({ 'x-gitlab-token': token }, body, token), 'gitlab');
  assert.equal(verifySignature({ 'x-gitlab-token': `${token}x` }, body, token), undefined);
  assert.equal(verifySignature({ 'x-signature': hmac(token) }, body, token), 'generic');
  assert.equal(verifySignature({}, body, token), undefined, 'no signature at all');
  assert.equal(
    verifySignature({ 'x-gitlab-token': '' }, body, ''),
    undefined,
    'an empty token never authenticates',
  );
  assert.equal(signGitHub(body, token), hmac(token));
});

test('push events match the tracked ref', () => {
  assert.equal(pushedRef(body), 'refs/heads/main');
  assert.equal(pushedRef(Buffer.from('not json')), undefined);
  assert.ok(refMatches('refs/heads/main', { branch: 'main' }));
  assert.ok(!refMatches('refs/heads/feature', { branch: 'main' }));
  assert.ok(refMatches('refs/tags/v1.2.0', { semver: '>=1.0.0' }));
  assert.ok(!refMatches('refs/heads/main', { tag: 'v1.0.0' }));
  assert.ok(refMatches('refs/pull/1/head', { name: 'refs/pull/1/head' }));
  assert.ok(refMatches('refs/heads/anything', undefined), 'default branch: any branch push may matter');
  assert.ok(refMatches(undefined, { branch: 'main' }), 'payload without a ref: trigger');
});

test('comparisons are of fixed-length digests: any length of guess is simply wrong, never an error', () => {
  for (const guess of [
    '',
    'w',
    token.slice(0, -1),
    `${token}${token}`,
    'x'.repeat(10_000),
    token.toUpperCase(),
  ]) {
    assert.equal(verifySignature({ 'x-gitlab-token': guess }, body, token), undefined, JSON.stringify(guess));
    assert.equal(verifySignature({ 'x-hub-signature-256': guess }, body, token), undefined);
    assert.equal(verifySignature({ 'x-signature': guess }, body, token), undefined);
  }
  assert.ok(digestEqual(token, token));
  assert.ok(!digestEqual(token, `${token}\0`));
  assert.ok(!digestEqual('', 'a'));
});
