// Pure pieces of the CLI: kubectl ages, tables, the request token, unified diffs, secret masking,
// the progress display, SSH URL and known_hosts names, and --substitute parsing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { commandLineVars, parseAssignment, readVarsFile } from '../../src/cli/buildvars.js';
import { formatTable, humanDuration, requestToken } from '../../src/cli/common.js';
import { maskSecrets, renderForDiff } from '../../src/cli/diff.js';
import { generateKeyPair, knownHostsName, parseSshUrl } from '../../src/cli/identity.js';
import { Progress } from '../../src/cli/reconcile.js';
import { unifiedDiff } from '../../src/cli/unidiff.js';
import type { Manifest } from '../../src/kube/dynamic.js';
import { tempDir } from '../helpers/gitserver.js';

describe('humanDuration (kubectl AGE)', () => {
  test('matches apimachinery HumanDuration at its boundaries', () => {
    const s = 1000;
    const m = 60 * s;
    const h = 60 * m;
    const d = 24 * h;
    const cases: Array<[number, string]> = [
      [-3 * s, '<invalid>'],
      [-1 * s, '0s'],
      [0, '0s'],
      [119 * s, '119s'],
      [2 * m, '2m'],
      [2 * m + 5 * s, '2m5s'],
      [10 * m, '10m'],
      [179 * m, '179m'],
      [3 * h, '3h'],
      [3 * h + 20 * m, '3h20m'],
      [8 * h, '8h'],
      [47 * h, '47h'],
      [2 * d, '2d'],
      [2 * d + 5 * h, '2d5h'],
      [8 * d, '8d'],
      [729 * d, '729d'],
      [2 * 365 * d, '2y'],
      [3 * 365 * d + 4 * d, '3y4d'],
      [9 * 365 * d, '9y'],
    ];
    for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
  });
});

test('formatTable pads columns three spaces apart, no trailing blanks', () => {
  assert.equal(
    formatTable(
      ['NAME', 'READY', 'MESSAGE'],
      [
        ['a', 'True', ''],
        ['longer', 'False', 'boom'],
      ],
    ),
    'NAME     READY   MESSAGE\na        True\nlonger   False   boom\n',
  );
});

test('requestToken is RFC 3339 with up to nanoseconds, in UTC, and unique', () => {
  const a = requestToken(new Date('2026-08-10T12:00:00.120Z'));
  assert.match(a, /^2026-08-10T12:00:00\.12\d{0,7}Z$/);
  const tokens = new Set(Array.from({ length: 50 }, () => requestToken()));
  assert.ok(tokens.size > 1);
  for (const t of tokens) assert.match(t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
});

describe('unifiedDiff', () => {
  test('equal texts give nothing', () => {
    assert.equal(unifiedDiff('a\nb\n', 'a\nb\n', { from: 'x', to: 'y' }), '');
  });

  test('one change with three lines of context, deletions before insertions', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].join('\n');
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9'].join('\n');
    assert.equal(
      unifiedDiff(before, after, { from: 'live', to: 'merged' }),
      '--- live\n+++ merged\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n',
    );
  });

  test('distant changes make two hunks; a new file starts at 0,0', () => {
    const a = Array.from({ length: 20 }, (_, i) => `l${i}`);
    const b = [...a];
    b[1] = 'x';
    b[18] = 'y';
    const out = unifiedDiff(a.join('\n'), b.join('\n'), { from: 'a', to: 'b' });
    assert.equal((out.match(/^@@/gm) ?? []).length, 2);
    assert.match(out, /^@@ -1,5 \+1,5 @@$/m);
    assert.match(out, /^@@ -16,5 \+16,5 @@$/m);
    assert.equal(
      unifiedDiff('', 'a\nb\n', { from: '/dev/null', to: 'b' }),
      '--- /dev/null\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });
});

describe('maskSecrets', () => {
  const secret = (data: Record<string, string>): Manifest => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 's',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"k":"c2VjcmV0"}}' },
    },
    data,
  });

  test('same values become ***, changed ones *** (before) / *** (after); nothing leaks', () => {
    const [b, a] = maskSecrets(
      secret({ same: 'YQ==', changed: 'Yg==', gone: 'Yw==' }),
      secret({ same: 'YQ==', changed: 'ZA==', added: 'ZQ==' }),
    );
    assert.deepEqual(b?.data, { same: '***', changed: '*** (before)', gone: '***' });
    assert.deepEqual(a?.data, { same: '***', changed: '*** (after)', added: '***' });
    const text = renderForDiff(b) + renderForDiff(a);
    for (const v of ['YQ==', 'Yg==', 'Yw==', 'ZA==', 'ZQ==', 'c2VjcmV0']) assert.ok(!text.includes(v), v);
  });

  test('other kinds are untouched; a created Secret is masked too', () => {
    const cm: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } };
    assert.deepEqual(maskSecrets(cm, cm), [cm, cm]);
    const [, created] = maskSecrets(undefined, secret({ k: 'dg==' }));
    assert.deepEqual(created?.data, { k: '***' });
  });
});

test('renderForDiff keeps identity, labels, annotations and the body; drops status and server fields', () => {
  const out = renderForDiff({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'c',
      namespace: 'ns',
      uid: 'u',
      resourceVersion: '1',
      labels: { a: 'b' },
      managedFields: [{}],
    },
    data: { k: 'v' },
    status: { x: 1 },
  });
  assert.equal(
    out,
    'apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  labels:\n    a: b\n  name: c\n  namespace: ns\n',
  );
});

describe('Progress', () => {
  const stream = (tty: boolean) => {
    const chunks: string[] = [];
    const out = { isTTY: tty, columns: 40, write: (s: string) => chunks.push(s) > 0 };
    return { out: out as unknown as NodeJS.WriteStream, chunks };
  };

  test('plain lines when not a terminal, each text once', () => {
    const { out, chunks } = stream(false);
    const p = new Progress(out);
    p.step('annotating');
    p.waiting('waiting');
    p.waiting('waiting');
    p.waiting('waiting: building');
    p.stop();
    assert.deepEqual(chunks, ['► annotating\n', '◎ waiting\n', '◎ waiting: building\n']);
  });

  test('a spinner redrawn in place on a terminal, cleared at the end', () => {
    const { out, chunks } = stream(true);
    const p = new Progress(out);
    p.waiting('waiting for Kustomization reconciliation and a very long message');
    p.stop();
    assert.ok(chunks[0]!.startsWith('\r\x1b[2K⠋ waiting for Kustomization reco'), chunks[0]);
    assert.ok(chunks[0]!.endsWith('…'), chunks[0]);
    assert.equal(chunks[0]!.length <= 40 + 6, true);
    assert.equal(chunks[chunks.length - 1], '\r\x1b[2K');
    assert.ok(chunks.every((c) => !c.includes('\n')));
  });
});

describe('identity helpers', () => {
  test('SSH URLs: user, host and port (22 by default); other schemes are usage errors', () => {
    assert.deepEqual(parseSshUrl('ssh://git@github.com/org/repo'), {
      host: 'github.com',
      port: 22,
      user: 'git',
    });
    assert.deepEqual(parseSshUrl('ssh://me@[::1]:2222/x.git'), { host: '::1', port: 2222, user: 'me' });
    assert.deepEqual(parseSshUrl('ssh://host/x'), { host: 'host', port: 22, user: 'git' });
    assert.throws(() => parseSshUrl('git@github.com:org/repo'), /expected ssh:\/\//);
    assert.throws(() => parseSshUrl('https://github.com/org/repo'), /not an SSH URL/);
  });

  test('known_hosts names: plain on port 22, [host]:port otherwise', () => {
    assert.equal(knownHostsName('github.com', 22), 'github.com');
    assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  test('ed25519 keys in OpenSSH format with a matching public line', () => {
    const k = generateKeyPair(false, 'mooring-test');
    assert.match(k.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    assert.match(k.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5\S+ mooring-test$/);
  });
});

describe('build --substitute', () => {
  test('KEY=VALUE keeps = in the value; no key is a usage error', () => {
    assert.deepEqual(parseAssignment('a=b=c'), ['a', 'b=c']);
    assert.throws(() => parseAssignment('=x'), /expected KEY=VALUE/);
  });

  test('files: dotenv, YAML map, ConfigMap and Secret; later files and inline values win', async () => {
    const dir = tempDir('mooring-cli-vars-');
    const env = join(dir, 'a.env');
    writeFileSync(env, '# comment\nexport region=eu\nname="one"\nshared=env\n');
    const map = join(dir, 'b.yaml');
    writeFileSync(map, 'shared: map\nreplicas: 3\n');
    const secret = join(dir, 'c.yaml');
    writeFileSync(
      secret,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: ${Buffer.from('t0k').toString('base64')}\nstringData:\n  plain: p\n`,
    );
    const cm = join(dir, 'd.yaml');
    writeFileSync(cm, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  color: blue\n');
    assert.deepEqual(readVarsFile(env), { region: 'eu', name: 'one', shared: 'env' });
    assert.deepEqual(readVarsFile(secret), { token: 't0k', plain: 'p' });
    assert.deepEqual(readVarsFile(cm), { color: 'blue' });
    assert.deepEqual(await commandLineVars(['name=inline'], [env, map, secret, cm]), {
      region: 'eu',
      name: 'inline',
      shared: 'map',
      replicas: '3',
      token: 't0k',
      plain: 'p',
      color: 'blue',
    });
    assert.equal(await commandLineVars([], []), undefined);
  });
});

test('mooring build --substitute previews postBuild substitution (strict, as the controller)', async () => {
  const { mooring } = await import('./mooring.js');
  const dir = tempDir('mooring-cli-build-');
  writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - cm.yaml\n');
  writeFileSync(
    join(dir, 'cm.yaml'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: postBuild variables, not JS templates
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-${env:=dev}\ndata:\n  greeting: ${greeting}\n',
  );
  const vars = join(dir, 'vars.env');
  writeFileSync(vars, 'greeting=from-file\nenv=prod\n');
  const plain = await mooring(['build', dir]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /greeting: \$\{greeting\}/, 'no flags: output untouched');
  const sub = await mooring(['build', dir, '--substitute-from', vars, '--substitute', 'greeting=hello']);
  assert.equal(sub.code, 0, sub.stderr);
  assert.match(sub.stdout, /^ {2}greeting: hello$/m);
  assert.match(sub.stdout, /^ {2}name: app-prod$/m);
  const strict = await mooring(['build', dir, '--substitute', 'env=qa']);
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /^error: post-build substitutions failed: .*greeting/);
});
