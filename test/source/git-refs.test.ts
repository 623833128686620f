// Pure tests of the Git access helpers: ref precedence, semver selection, revision strings,
// auth secret parsing, known_hosts matching, signature splitting, scrubbing.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { authFromSecret } from '../../src/source/git/auth.js';
import { findGitBinary, selectBackend } from '../../src/source/git/backend.js';
import { classify } from '../../src/source/git/classify.js';
import { hostMatches, parseKnownHosts, verifyHostKey } from '../../src/source/git/knownhosts.js';
import { commitSignature, messageSubject, tagSignature } from '../../src/source/git/objects.js';
import { pickSemverTag, planRef, resolvePlan, revisionString } from '../../src/source/git/refs.js';
import { parseLsRemote } from '../../src/source/git/session.js';
import { GitError } from '../../src/source/git/types.js';
import { scrub } from '../../src/source/git/url.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const SHA = 'a'.repeat(40);

describe('ref precedence', () => {
  it('is commit > name > semver > tag > branch, and nothing means branch master, as Flux', () => {
    const all = { branch: 'main', tag: 'v1', semver: '>=1', name: 'refs/pull/1/head', commit: SHA };
    assert.deepEqual(planRef(all), { kind: 'commit', commit: SHA, branch: 'main' });
    assert.deepEqual(planRef({ ...all, commit: undefined }), { kind: 'name', name: 'refs/pull/1/head' });
    assert.deepEqual(planRef({ branch: 'main', tag: 'v1', semver: '>=1' }), { kind: 'semver', range: '>=1' });
    assert.deepEqual(planRef({ branch: 'main', tag: 'v1' }), { kind: 'tag', tag: 'v1' });
    assert.deepEqual(planRef({ branch: 'main' }), { kind: 'branch', branch: 'main' });
    assert.deepEqual(planRef({}), { kind: 'branch', branch: 'master' });
    assert.deepEqual(planRef({ branch: '' }), { kind: 'branch', branch: 'master' });
  });

  it('rejects ref names that git would refuse or that look like options', () => {
    for (const branch of ['-upload-pack=x', 'a..b', 'a b', 'x.lock', 'a:b', '/a', 'a/']) {
      assert.throws(
        () => planRef({ branch }),
        (e: unknown) => e instanceof GitError && e.reason === 'RefNotFound',
      );
    }
    assert.throws(() => planRef({ name: 'main' }), /must be a full ref/);
    assert.throws(() => planRef({ commit: 'xyz' }), /hexadecimal/);
  });
});

describe('revision strings', () => {
  it('match Flux', () => {
    assert.equal(revisionString('main', SHA), `main@sha1:${SHA}`);
    assert.equal(revisionString('refs/pull/1/head', SHA), `refs/pull/1/head@sha1:${SHA}`);
    assert.equal(revisionString('', SHA), `sha1:${SHA}`);
  });

  it('peel annotated tags when resolving ls-remote output', () => {
    const tagObj = 'b'.repeat(40);
    const remote = parseLsRemote(
      `${SHA}\trefs/heads/master\n${tagObj}\trefs/tags/v1.0.0\n${SHA}\trefs/tags/v1.0.0^{}\n`,
    );
    assert.equal(resolvePlan(planRef({}) as { kind: 'branch'; branch: string }, remote).shortRef, 'master');
    assert.equal(resolvePlan({ kind: 'branch', branch: 'master' }, remote).commit, SHA);
    const tag = resolvePlan({ kind: 'tag', tag: 'v1.0.0' }, remote);
    assert.deepEqual([tag.oid, tag.commit, tag.shortRef], [tagObj, SHA, 'v1.0.0']);
    assert.throws(() => resolvePlan({ kind: 'branch', branch: 'nope' }, remote), /branch 'nope' not found/);
  });
});

describe('semver tag selection', () => {
  const tags = ['v1.0.0', 'v1.2.3', '1.3.0-rc.1', 'v2.0.0', 'latest', 'v1.10.0', 'v1.4'];
  it('picks the highest matching tag, accepting v prefixes and short versions', () => {
    assert.equal(pickSemverTag('>=1.0.0 <2.0.0', tags), 'v1.10.0');
    assert.equal(pickSemverTag('~1.4', tags), 'v1.4');
    assert.equal(pickSemverTag('>=1.0.0, <1.3.0', tags), 'v1.2.3');
    assert.equal(pickSemverTag('>=3.0.0', tags), undefined);
  });
  it('considers prereleases only when the range names one', () => {
    assert.equal(pickSemverTag('>=1.2.4 <1.4.0', tags), undefined);
    assert.equal(pickSemverTag('>=1.2.4-0 <1.4.0', tags), '1.3.0-rc.1');
  });
  it('rejects invalid ranges', () => {
    assert.throws(() => pickSemverTag('not a range!', tags), /invalid semver range/);
  });
});

describe('authFromSecret', () => {
  it('reads basic auth, bearer token, CA and client certificate', () => {
    assert.deepEqual(authFromSecret({ username: b64('u'), password: b64('p') }, 'https://h/r.git'), {
      username: 'u',
      password: 'p',
    });
    assert.deepEqual(authFromSecret({ bearerToken: b64('t') }, 'https://h/r.git'), { bearerToken: 't' });
    const tls = authFromSecret(
      { 'ca.crt': b64('CA'), caFile: b64('OLD'), 'tls.crt': b64('C'), 'tls.key': b64('K') },
      'https://h/r.git',
    );
    assert.deepEqual(tls, { caCert: 'CA', tlsCert: 'C', tlsKey: 'K' });
  });

  it('falls back to URL userinfo and defaults the SSH user to git', () => {
    assert.equal(authFromSecret({ password: b64('p') }, 'https://me@h/r.git').username, 'me');
    const ssh = authFromSecret(
      { identity: b64('KEY'), known_hosts: b64('h ssh-ed25519 AAAA') },
      'ssh://h/r.git',
    );
    assert.equal(ssh.username, 'git');
    assert.equal(ssh.sshIdentity, 'KEY');
  });

  it('gives clear validation errors', () => {
    const bad = (data: Record<string, string>, url: string, re: RegExp) =>
      assert.throws(
        () => authFromSecret(data, url),
        (e: unknown) => e instanceof GitError && e.reason === 'AuthenticationFailed' && re.test(e.message),
      );
    bad({ password: b64('p') }, 'https://h/r.git', /'password' requires 'username'/);
    bad({ identity: b64('KEY') }, 'ssh://git@h/r.git', /'known_hosts' is required for SSH/);
    bad({ known_hosts: b64('x') }, 'ssh://git@h/r.git', /'identity' is required/);
    bad({ 'tls.crt': b64('C') }, 'https://h/r.git', /'tls.crt' and 'tls.key' must be set together/);
    assert.throws(
      () => authFromSecret({}, 'git@github.com:org/repo.git'),
      (e: unknown) => e instanceof GitError && e.reason === 'InvalidURL',
    );
  });
});

describe('known_hosts', () => {
  const key = randomBytes(51);
  const other = randomBytes(51);
  const salt = randomBytes(20);
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[127.0.0.1]:2222').digest('base64')}`;

  it('matches plain, bracketed-port, wildcard, negated and hashed host names', () => {
    assert.ok(hostMatches('github.com,140.82.112.3', 'github.com'));
    assert.ok(hostMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
    assert.ok(!hostMatches('127.0.0.1', '[127.0.0.1]:2222'));
    assert.ok(hostMatches('*.example.com,!bad.example.com', 'git.example.com'));
    assert.ok(!hostMatches('*.example.com,!bad.example.com', 'bad.example.com'));
    assert.ok(hostMatches(hashed, '[127.0.0.1]:2222'));
    assert.ok(!hostMatches(hashed, '[127.0.0.1]:2223'));
  });

  it('tells trusted, unknown, mismatched and revoked keys apart', () => {
    const entries = parseKnownHosts(
      `# comment\n${hashed} ssh-ed25519 ${key.toString('base64')}\n@revoked * ssh-ed25519 ${randomBytes(8).toString('base64')}\n`,
    );
    assert.equal(verifyHostKey(entries, '[127.0.0.1]:2222', key), 'trusted');
    assert.equal(verifyHostKey(entries, '[127.0.0.1]:2222', other), 'mismatch');
    assert.equal(verifyHostKey(entries, 'elsewhere', key), 'unknown');
    const revoked = parseKnownHosts(
      `@revoked * ssh-ed25519 ${key.toString('base64')}\n* ssh-ed25519 ${key.toString('base64')}`,
    );
    assert.equal(verifyHostKey(revoked, 'h', key), 'revoked');
  });
});

describe('signed objects', () => {
  it('splits a commit into payload and gpgsig', () => {
    const raw =
      'tree t\nparent p\nauthor a 1 +0000\ncommitter c 1 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n abc\n -----END PGP SIGNATURE-----\n\nsubject line\n\nbody\n';
    const sig = commitSignature(raw);
    assert.ok(sig);
    assert.equal(
      sig.payload,
      'tree t\nparent p\nauthor a 1 +0000\ncommitter c 1 +0000\n\nsubject line\n\nbody\n',
    );
    assert.equal(sig.armored, '-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n');
    assert.equal(messageSubject(raw), 'subject line');
    assert.equal(commitSignature('tree t\n\nmsg\n'), undefined);
  });
  it('splits a tag into payload and signature', () => {
    const raw =
      'object o\ntype commit\ntag v1\ntagger t 1 +0000\n\nrelease\n-----BEGIN SSH SIGNATURE-----\nx\n-----END SSH SIGNATURE-----\n';
    const sig = tagSignature(raw);
    assert.ok(sig);
    assert.equal(sig.payload, 'object o\ntype commit\ntag v1\ntagger t 1 +0000\n\nrelease\n');
    assert.match(sig.armored, /^-----BEGIN SSH SIGNATURE-----/);
  });
});

describe('error hygiene', () => {
  it('scrubs URL userinfo and secret values', () => {
    const out = scrub("fatal: unable to access 'https://bob:hunter22@h/r.git': token s3cr3t-token", [
      's3cr3t-token',
    ]);
    assert.equal(out, "fatal: unable to access 'https://h/r.git': token ***");
  });
  it('classifies git and ssh failures', () => {
    const c = (stderr: string) => classify(stderr, 'fetch', 'https://h/r.git', true).reason;
    assert.equal(
      c("fatal: could not read Username for 'https://h': terminal prompts disabled"),
      'AuthenticationFailed',
    );
    assert.equal(c('git@h: Permission denied (publickey).'), 'AuthenticationFailed');
    assert.equal(c('Host key verification failed.'), 'HostKeyMismatch');
    assert.equal(
      c("fatal: unable to access 'x': Failed to connect to h port 1: Connection refused"),
      'Unreachable',
    );
    assert.equal(c("fatal: couldn't find remote ref refs/heads/nope"), 'RefNotFound');
    assert.equal(c('fatal: something else'), 'GitOperationFailed');
  });
});

describe('backend selection', () => {
  it('auto picks system git when a git binary is on PATH, isomorphic-git otherwise', () => {
    assert.ok(findGitBinary());
    assert.equal(selectBackend('auto').name, 'git');
    assert.equal(selectBackend('isomorphic').name, 'isomorphic');
    assert.equal(findGitBinary('/nonexistent'), undefined);
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.equal(selectBackend('auto').name, 'isomorphic');
      assert.throws(() => selectBackend('git'), /no 'git' executable/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
