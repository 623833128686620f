// GitRepository URLs: only http://, https:// and ssh:// reach a Git backend. `ext::` (runs a
// command), `file://` (reads the controller's disk), scp-like addresses and hosts that read as an
// ssh option are refused by the parser itself, whatever the CRD's pattern or git's own checks do.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GitError } from '../../src/source/git/types.js';
import { parseGitUrl } from '../../src/source/git/url.js';

function refused(url: string, message: RegExp): void {
  assert.throws(
    () => parseGitUrl(url),
    (e: unknown) => e instanceof GitError && e.reason === 'InvalidURL' && message.test(e.message),
    url,
  );
}

test('ext:: and file:// (and other schemes) are refused', () => {
  refused('ext::sh -c touch% /tmp/pwned', /invalid Git URL|unsupported Git URL scheme/);
  refused('ext::ssh -oProxyCommand=x host', /invalid Git URL|unsupported Git URL scheme/);
  refused('file:///etc', /unsupported Git URL scheme 'file'.*use http:\/\/, https:\/\/ or ssh:\/\//);
  refused('file://localhost/var/run/secrets', /unsupported Git URL scheme 'file'/);
  refused('git://example.com/repo.git', /unsupported Git URL scheme 'git'/);
  refused('git@github.com:org/repo.git', /unsupported Git URL scheme|invalid Git URL/);
  refused('/srv/git/repo.git', /invalid Git URL/);
});

test('a host starting with "-" is refused (it would reach ssh as an option)', () => {
  refused('ssh://-oProxyCommand=touch%20pwned/repo.git', /has a host starting with '-'/);
  refused('ssh://git@-oProxyCommand=x:22/repo.git', /has a host starting with '-'/);
  refused('https://-x.example.com/repo.git', /has a host starting with '-'/);
  // The userinfo never shows in the message.
  assert.throws(
    () => parseGitUrl('https://user:s3cret@-x.example.com/r.git'),
    (e: Error) => !e.message.includes('s3cret'),
  );
});

test('ordinary URLs parse, a dash inside a host name is fine', () => {
  const u = parseGitUrl('ssh://git@git-server.example.com:2222/org/repo.git');
  assert.equal(u.hostname, 'git-server.example.com');
  assert.equal(u.port, 2222);
  assert.equal(parseGitUrl('https://my-git.example/r.git').protocol, 'https');
});
