// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Matching on Git content takes linear (at worst polynomial) time: patch targets are RE2 regexes,
// known_hosts wildcards and envsubst globs use non-backtracking matchers, and the few regexes
// that ran over whole values were replaced. Each hostile input below takes hours with a
// backtracking matcher: it runs in a worker with a wide deadline, and its result is checked.
// Ordinary inputs (the semantics) run directly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { callWithDeadline } from '../helpers/deadline.js';
import * as direct from './redos-cases.js';

const cases = new URL('./redos-cases.js', import.meta.url);
const DEADLINE_MS = 60_000;

type Call = [name: keyof typeof direct, ...args: unknown[]];

/** Runs the calls one after the other in one worker; their results, in order. */
function hostile(...calls: Call[]): Promise<unknown[]> {
  return callWithDeadline<unknown[]>(cases, 'runAll', [calls], DEADLINE_MS);
}

describe('patch targets: RE2 semantics in linear time', () => {
  it('(a+)+b against a name of 40 a: no match, at once', async () => {
    const a40 = 'a'.repeat(40);
    assert.deepEqual(
      await hostile(
        ['patchedByNameRegex', [a40, 'b'], '(a+)+b'],
        ['patchedByNameRegex', [a40, 'ab'], '(a+)+b'],
        ['patchedByNameRegex', [a40, `${a40}b`], '(a+)+b'],
      ),
      [[], ['ab'], [`${a40}b`]],
    );
  });

  it('anchored like kustomize (^(?:…)$), Go syntax, Go errors', () => {
    assert.deepEqual(direct.patchedByNameRegex(['app', 'my-app', 'app-x'], 'app'), ['app']);
    assert.deepEqual(direct.patchedByNameRegex(['a', 'b', 'ab'], 'a|b'), ['a', 'b']);
    assert.deepEqual(direct.patchedByNameRegex(['web-1', 'web', 'db-1'], 'web-\\d+'), ['web-1']);
    assert.deepEqual(direct.patchedByNameRegex(['Web', 'web'], '(?i)WEB'), ['Web', 'web']);
    assert.deepEqual(direct.patchedByNameRegex(['héllo', 'h1'], '\\pL+'), ['héllo']);
    // Perl lookahead and backreferences are not RE2: refused, as kustomize refuses them.
    assert.throws(
      () => direct.patchedByNameRegex(['aa'], '(?=a)a'),
      /invalid regular expression in target: \(\?=a\)a: .*invalid or unsupported Perl syntax/,
    );
    assert.throws(
      () => direct.patchedByNameRegex(['aa'], '(a)\\1'),
      /invalid regular expression in target: .*invalid escape sequence/,
    );
    assert.throws(() => direct.patchedByNameRegex(['a'], 'a{1001}'), /invalid repeat count/);
    // Compiled up front, like kustomize's NewSelectorRegex: refused even when nothing could match.
    assert.throws(() => direct.patchedByNameRegex([], '('), /missing closing \)/);
  });
});

describe('known_hosts wildcards: OpenSSH match_pattern without backtracking', () => {
  it('ten stars against a 200-character name', async () => {
    const stars = '*a'.repeat(10);
    const name = 'a'.repeat(200);
    assert.deepEqual(
      await hostile(
        ['knownHostsMatch', `${stars}b`, name],
        ['knownHostsMatch', stars, name],
        ['knownHostsMatch', `${stars}b`, `${name}b`],
      ),
      [false, true, true],
    );
  });

  it('the OpenSSH semantics: * and ?, ASCII case folding, negation, [host]:port literally', () => {
    assert.equal(direct.knownHostsMatch('*.example.com', 'git.example.com'), true);
    assert.equal(direct.knownHostsMatch('*.example.com', 'example.com'), false);
    assert.equal(direct.knownHostsMatch('git?.example.com', 'git1.example.com'), true);
    assert.equal(direct.knownHostsMatch('git?.example.com', 'git.example.com'), false);
    assert.equal(direct.knownHostsMatch('GIT.Example.COM', 'git.example.com'), true);
    assert.equal(direct.knownHostsMatch('*,!bad.example.com', 'bad.example.com'), false);
    assert.equal(direct.knownHostsMatch('[git.*.com]:2222', '[git.x.com]:2222'), true);
    assert.equal(direct.knownHostsMatch('[git.*.com]:2222', '[git.x.com]:22'), false);
    assert.equal(direct.knownHostsMatch('a.b', 'axb'), false);
    assert.equal(direct.knownHostsMatch('a*', 'a'), true);
  });
});

describe('postBuild substitution globs: no backtracking', () => {
  it('${V##*a*a…b}, ${V#…} and ${V%%b…} against 200 a', async () => {
    const v = 'a'.repeat(200);
    const glob = `${'*a'.repeat(8)}b`;
    assert.deepEqual(
      await hostile(
        ['substituteText', `\${V##${glob}}`, { V: v }],
        ['substituteText', `\${V#${glob}}`, { V: v }],
        ['substituteText', `\${V%%b${'a*'.repeat(8)}}`, { V: v }],
        ['substituteText', `\${V##${'*a'.repeat(8)}}`, { V: `${v}b` }],
        ['substituteText', `\${V#${'*a'.repeat(8)}}`, { V: `${v}b` }],
      ),
      [v, v, v, 'b', `${'a'.repeat(192)}b`],
    );
  });

  it('globs keep their meaning: ?, classes, ranges, negation, escapes, bad patterns', () => {
    const s = (text: string, V: string) => direct.substituteText(text, { V });
    assert.equal(s('${V#*/}', 'a/b/c'), 'b/c');
    assert.equal(s('${V##*/}', 'a/b/c'), 'c');
    assert.equal(s('${V%/*}', 'a/b/c'), 'a/b');
    assert.equal(s('${V%%/*}', 'a/b/c'), 'a');
    assert.equal(s('${V#?}', 'abc'), 'bc');
    assert.equal(s('${V#[a-c]}', 'bcd'), 'cd');
    assert.equal(s('${V#[^a-c]}', 'bcd'), 'bcd');
    assert.equal(s('${V#[]x]}', ']y'), 'y');
    assert.equal(s('${V#[a-]}', '-y'), 'y');
    assert.equal(s('${V#\\*}', '*y'), 'y');
    assert.equal(s('${V#[z-a]}', 'zy'), 'zy');
    assert.equal(s('${V#[ab}', 'ay'), 'ay');
  });
});

describe('kustomize: the other matchers over Git content are linear', () => {
  it('vars: a million unclosed $( next to a reference', async () => {
    const [args] = await hostile(['varsNextToUnclosedRefs', 1_000_000]);
    assert.deepEqual(args, ['use cm', '$('.repeat(1_000_000)]);
  });

  it('field specs and replacements: path segments of 300,000 brackets or =', async () => {
    const [metadata, keys] = await hostile(
      ['labelsWithBracketPath', 300_000],
      ['replacementIntoBracketPath', 300_000],
    );
    assert.deepEqual((metadata as { labels: unknown }).labels, { app: 'web' });
    assert.deepEqual(keys, [300_001]);
  });
});

describe('source and CLI text handling is linear', () => {
  it('git output scrubbing, .sourceignore lines and `mooring get` messages of a million characters', async () => {
    const letters = 'a'.repeat(1_000_000);
    const blanks = ' '.repeat(1_000_000);
    const [bare, withUrl, patterns, table] = await hostile(
      ['scrubText', letters],
      ['scrubText', `fatal: https://user:pw@example.com/r.git and ${letters}`],
      ['ignorePatterns', `a${blanks}b\n# c\n\nd \t \n`],
      ['getTable', `start${blanks}end`],
    );
    assert.equal(bare, letters);
    assert.equal(withUrl, `fatal: https://example.com/r.git and ${letters}`);
    assert.deepEqual(patterns, [`a${blanks}b`, 'd']);
    assert.ok((table as string).includes(`start${blanks}end`));
    assert.ok(direct.getTable('first \n\n  second').includes('first second'));
  });
});
