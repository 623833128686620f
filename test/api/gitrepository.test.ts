import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  artifactPath,
  formatRevision,
  type GitRepositorySpec,
  getProvider,
  getRequeueAfter,
  getTimeout,
  getVerificationMode,
  includeToPath,
  resolveRef,
  revisionDigest,
  verifiesHEAD,
  verifiesTag,
} from '../../src/api/gitrepository.js';

const spec = (s: Partial<GitRepositorySpec> = {}) => ({
  spec: { url: 'https://example.com/x.git', interval: '1m', ...s },
});

test('timeout defaults to 60s like the CRD default', () => {
  assert.equal(getTimeout(spec()), 60_000);
  assert.equal(getTimeout(spec({ timeout: '90s' })), 90_000);
  assert.equal(getRequeueAfter(spec({ interval: '5m' })), 300_000);
});

test('provider defaults to generic', () => {
  assert.equal(getProvider(spec()), 'generic');
  assert.equal(getProvider(spec({ provider: 'github' })), 'github');
});

test('verification mode: head and absent mean HEAD', () => {
  const ref = { name: 'keys' };
  assert.equal(getVerificationMode({ secretRef: ref }), 'HEAD');
  assert.equal(getVerificationMode({ mode: 'head', secretRef: ref }), 'HEAD');
  assert.ok(verifiesHEAD({ mode: 'TagAndHEAD', secretRef: ref }));
  assert.ok(verifiesTag({ mode: 'TagAndHEAD', secretRef: ref }));
  assert.equal(verifiesTag({ mode: 'HEAD', secretRef: ref }), false);
  assert.equal(verifiesHEAD({ mode: 'Tag', secretRef: ref }), false);
});

test('ref precedence is commit > name > semver > tag > branch, default master', () => {
  assert.deepEqual(resolveRef(undefined), { kind: 'branch', branch: 'master' });
  assert.deepEqual(resolveRef({}), { kind: 'branch', branch: 'master' });
  assert.deepEqual(resolveRef({ branch: 'main', tag: 'v1' }), { kind: 'tag', tag: 'v1' });
  assert.deepEqual(resolveRef({ tag: 'v1', semver: '>=1.0.0' }), { kind: 'semver', semver: '>=1.0.0' });
  assert.deepEqual(resolveRef({ semver: '*', name: 'refs/pull/1/head' }), {
    kind: 'name',
    name: 'refs/pull/1/head',
  });
  assert.deepEqual(resolveRef({ name: 'refs/heads/x', commit: 'abc', branch: 'main' }), {
    kind: 'commit',
    commit: 'abc',
    branch: 'main',
  });
});

test('revisions are formatted like Flux', () => {
  const sha = '132f4e719209eb10b9485302f8593fc0e680f4fc';
  assert.equal(formatRevision('refs/heads/master', sha), `master@sha1:${sha}`);
  assert.equal(formatRevision('main', sha), `main@sha1:${sha}`);
  assert.equal(formatRevision('refs/tags/v1.2.3', sha), `v1.2.3@sha1:${sha}`);
  assert.equal(formatRevision('refs/heads/main', sha, true), `refs/heads/main@sha1:${sha}`);
  assert.equal(formatRevision(undefined, sha), `sha1:${sha}`);
  assert.equal(revisionDigest(`main@sha1:${sha}`), `sha1:${sha}`);
  assert.equal(revisionDigest(`sha1:${sha}`), `sha1:${sha}`);
});

test('include path and artifact path', () => {
  assert.equal(includeToPath({ repository: { name: 'lib' } }), 'lib');
  assert.equal(includeToPath({ repository: { name: 'lib' }, toPath: 'vendor/lib' }), 'vendor/lib');
  assert.equal(artifactPath('flux-system', 'podinfo', 'abc'), 'gitrepository/flux-system/podinfo/abc.tar.gz');
});
