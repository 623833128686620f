// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { envsubst } from '../../src/kustomization/envsubst.js';
import { substitute } from '../../src/kustomization/substitute.js';
import { collectVars, type SubstituteSourceReader } from '../../src/kustomization/substitute-from.js';
import { SubstitutionError } from '../../src/kustomization/substitution-error.js';

type Obj = Record<string, unknown>;

/** Lookup over a map; unset names are undefined (strict). */
const strictLookup = (vars: Record<string, string>) => (name: string) =>
  Object.hasOwn(vars, name) ? vars[name] : undefined;
/** Flux's non-strict mapping: unset names are empty. */
const lenientLookup = (vars: Record<string, string>) => (name: string) => vars[name] ?? '';

function isSubstitutionError(reason: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SubstitutionError, `expected a SubstitutionError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

function configMap(data: Obj, meta: Obj = {}): Obj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'apps', ...meta }, data };
}

describe('envsubst syntax (cases from fluxcd/pkg envsubst eval_test.go)', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['abcdEFGH28ij', {}, 'abcdEFGH28ij'],
    ['${var01}', { var01: 'abc' }, 'abc'],
    ['${#var01}', { var01: 'abcdEFGH28ij' }, '12'],
    ['${var01^}', { var01: 'abcdEFGH28ij' }, 'AbcdEFGH28ij'],
    ['${var01^^}', { var01: 'abcdEFGH28ij' }, 'ABCDEFGH28IJ'],
    ['${var01,}', { var01: 'ABCDEFGH28IJ' }, 'aBCDEFGH28IJ'],
    ['${var01,,}', { var01: 'ABCDEFGH28IJ' }, 'abcdefgh28ij'],
    ['${path_name:11}', { path_name: '/home/bozo/ideas/thoughts.for.today' }, 'ideas/thoughts.for.today'],
    ['${path_name:11:5}', { path_name: '/home/bozo/ideas/thoughts.for.today' }, 'ideas'],
    ['${s:-3}', { s: 'abcdef' }, 'abcdef'], // `:-` is the default operator, not a negative offset
    ['${s: -3}', { s: 'abcdef' }, 'abcdef'], // " -3" is not an integer: the value, like bash
    ['${s:2:-1}', { s: 'abcdef' }, 'cde'],
    ['${s:10}', { s: 'abcdef' }, ''],
    ['${s:4:10}', { s: 'abcdef' }, 'ef'],
    ['${var=xyz}', { var: 'abc' }, 'abc'],
    ['${var=xyz}', {}, 'xyz'],
    ['${var:=xyz}', {}, 'xyz'],
    ['${var:-xyz}', {}, 'xyz'],
    ['${var:-xyz}', { var: '' }, 'xyz'],
    ['${var:+xyz}', { var: 'set' }, 'set'], // Flux: every default operator means "default when empty"
    ['${var:?xyz}', {}, 'xyz'],
    ['${var:=}', {}, ''],
    ['something ${var=${default_var}}', { default_var: 'foo' }, 'something foo'],
    ['foo: ${var=${default_var}-suffix}', { default_var: 'foo1' }, 'foo: foo1-suffix'],
    ['foo: ${var=prefix${default_var}-suffix}', { default_var: 'foo1' }, 'foo: prefixfoo1-suffix'],
    ['${var=${var01^^}}', { var01: 'abcdEFGH28ij' }, 'ABCDEFGH28IJ'],
    ['${stringZ/%abc/XYZ}', { stringZ: 'abcABC123ABCabc' }, 'abcABC123ABCXYZ'],
    ['${stringZ/#abc/XYZ}', { stringZ: 'abcABC123ABCabc' }, 'XYZABC123ABCabc'],
    ['${stringZ/#/prefix-}', { stringZ: 'somevalue' }, 'prefix-somevalue'],
    ['${stringZ/%/-suffix}', { stringZ: 'somevalue' }, 'somevalue-suffix'],
    ['${stringZ//abc/xyz}', { stringZ: 'abcABC123ABCabc' }, 'xyzABC123ABCxyz'],
    ['${stringZ/abc/xyz}', { stringZ: 'abcABC123ABCabc' }, 'xyzABC123ABCabc'],
    ['${stringZ/abc/$&}', { stringZ: 'abc' }, '$&'], // replacement is literal, not a JS pattern
    ['${stringZ/./}', { stringZ: 'foo.bar' }, 'foobar'],
    ['${stringZ/\\//-}', { stringZ: 'foo/bar' }, 'foo-bar'],
    ['${stringZ//\\//-}', { stringZ: 'foo/bar/baz' }, 'foo-bar-baz'],
    ['${filename#*.}', { filename: 'bash.string.txt' }, 'string.txt'],
    ['${filename##*.}', { filename: 'bash.string.txt' }, 'txt'],
    ['${filename#*/}', { filename: 'path/to/file' }, 'to/file'],
    ['${filename##*/}', { filename: '/path/to/file' }, 'file'],
    ['${filename%.*}', { filename: 'bash.string.txt' }, 'bash.string'],
    ['${filename%%.*}', { filename: 'bash.string.txt' }, 'bash'],
    // escaping
    ['$${var01}', { var01: 'abcdEFGH28ij' }, '${var01}'],
    [
      'some text ${var01}$${var$${var01}$var01${var01}',
      { var01: 'abcdEFGH28ij' },
      'some text abcdEFGH28ij${var${var01}$var01abcdEFGH28ij',
    ],
    ['something $${var=${default_var}}', { default_var: 'foo' }, 'something ${var=foo}'],
    ['\\\\something ${var=${default_var}}', { default_var: 'foo' }, '\\\\something foo'],
    ['$$', {}, '$'],
    ['$$$${x}', { x: 'v' }, '$${x}'], // two escapes, then literal {x}
    ['$$${x}', { x: 'v' }, '$v'],
    ['cost: 5$', {}, 'cost: 5$'],
    // plain $var is never substituted
    ['$var01 and $var01-x', { var01: 'abc' }, '$var01 and $var01-x'],
    ['}{ $ {x} $x}', { x: 'v' }, '}{ $ {x} $x}'],
  ];
  for (const [input, vars, want] of cases) {
    test(`${input} with ${JSON.stringify(vars)} → ${JSON.stringify(want)}`, () => {
      assert.equal(envsubst(input, lenientLookup(vars)), want);
    });
  }

  test('lengths and substring offsets count UTF-8 bytes, as Go does', () => {
    assert.equal(envsubst('${#v}', strictLookup({ v: 'héllo' })), '6');
    assert.equal(envsubst('${v:0:1}${v:3}', strictLookup({ v: 'héllo' })), 'hllo');
  });

  test('malformed expressions fail with the envsubst parser message', () => {
    const bad: Array<[string, RegExp]> = [
      ['${var-default}', /missing closing brace/], // only `:-` exists in Flux's envsubst
      ['${var+x}', /missing closing brace/],
      ['${var', /missing closing brace/],
      ['${var }', /missing closing brace/],
      ['${}', /unable to parse variable name/],
      ['${ var}', /unable to parse variable name/],
      ['${var:=abc', /unable to parse substitution within function/],
      ['${var:}', /unable to parse substitution within function/],
      ['${#}', /bad substitution/],
      ['${var^x}', /bad substitution/],
      ['${var/a}', /bad substitution/],
    ];
    for (const [input, message] of bad) {
      assert.throws(
        () => envsubst(input, lenientLookup({ var: 'x' })),
        isSubstitutionError('InvalidSubstitution', message),
        input,
      );
    }
  });

  test('strict: an unset variable fails bare or transformed, but not behind a default operator', () => {
    const lookup = strictLookup({ foo: 'bar', empty: '' });
    for (const input of [
      '${missing}',
      '${#missing}',
      '${missing^}',
      '${missing^^}',
      '${missing,}',
      '${missing,,}',
      '${missing:0}',
      '${missing:0:10}',
      '${missing/a/b}',
      '${missing//a/b}',
      '${missing/#a/b}',
      '${missing/%a/b}',
      '${missing#a}',
      '${missing##a}',
      '${missing%a}',
      '${missing%%a}',
      '${foo:=${missing}}', // arguments are expanded even when not needed
    ]) {
      assert.throws(
        () => envsubst(input, lookup),
        (err: unknown) =>
          isSubstitutionError('VariableNotSet', /variable not set \(strict mode\): "missing"/)(err) &&
          (err as SubstitutionError).variable === 'missing',
        input,
      );
    }
    assert.equal(envsubst('${missing:-fallback}', lookup), 'fallback');
    assert.equal(envsubst('${missing:=assigned}', lookup), 'assigned');
    assert.equal(envsubst('${missing=assigned}', lookup), 'assigned');
    assert.equal(envsubst('[${empty}]', lookup), '[]', 'a variable set to "" is set');
  });
});

describe('substitute', () => {
  test('with no variables nothing is substituted (substituteStrategy WithVariables)', () => {
    const obj = configMap({ a: '${X}', b: '${Y:=dflt}' });
    const out = substitute([obj], {}, { strict: true });
    assert.equal(out[0], obj);
  });

  test('substituteStrategy Always applies defaults and strict checks with no variables', () => {
    const out = substitute([configMap({ b: '${Y:=dflt}' })], {}, { strict: true, always: true });
    assert.deepEqual((out[0] as Obj).data, { b: 'dflt' });
    assert.throws(
      () => substitute([configMap({ a: '${X}' })], {}, { strict: true, always: true }),
      isSubstitutionError('VariableNotSet', /ConfigMap\/apps\/cm: .*"X"/),
    );
  });

  test('substitutes every field of the object, keys included, and leaves the input untouched', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-${ENV}', namespace: '${NS}', labels: { 'team-${ENV}': '${TEAM}' } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:${TAG:=1.14.2}' }] } } },
    };
    const before = structuredClone(obj);
    const [out] = substitute([obj], { ENV: 'prod', NS: 'apps', TEAM: 'core' }, { strict: true });
    assert.deepEqual(out, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web-prod', namespace: 'apps', labels: { 'team-prod': 'core' } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.14.2' }] } } },
    });
    assert.deepEqual(obj, before);
  });

  test('numbers and booleans become typed, even when the source quoted the expression', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: '${REPLICAS}', paused: '${PAUSED}', quoted: '"${REPLICAS}"', ratio: '${RATIO}' },
    };
    const [out] = substitute([obj], { REPLICAS: '3', PAUSED: 'false', RATIO: '0.5' }, { strict: true });
    const spec = (out as Obj).spec as Obj;
    assert.equal(spec.replicas, 3);
    assert.equal(spec.paused, false);
    assert.equal(spec.ratio, 0.5);
    // A string that itself carries quotes is written single-quoted and stays a string.
    assert.equal(spec.quoted, '"3"');
  });

  test("Flux's ${quote} workaround keeps a number a string", () => {
    const [out] = substitute(
      [configMap({ version: '${quote}${VERSION}${quote}' })],
      { VERSION: '1.20', quote: '"' },
      {
        strict: true,
      },
    );
    assert.deepEqual((out as Obj).data, { version: '1.20' });
  });

  test('the text is re-read with YAML 1.1 rules like go-yaml v2, timestamps and base-60 stay strings', () => {
    const vars = {
      YES: 'yes',
      ON: 'on',
      OCT: '0777',
      HEX: '0x1F',
      DATE: '2024-01-02',
      TIME: '1:20',
      NULL: '~',
    };
    const data = Object.fromEntries(Object.keys(vars).map((k) => [k.toLowerCase(), `\${${k}}`]));
    const [out] = substitute([configMap(data)], vars, { strict: true });
    assert.deepEqual((out as Obj).data, {
      yes: true,
      on: true,
      oct: 511,
      hex: 31,
      date: '2024-01-02',
      time: '1:20',
      null: null,
    });
  });

  test('non-strict: an unset variable is the empty string, which reads back as null', () => {
    const [out] = substitute(
      [configMap({ a: '${MISSING}', b: 'x-${MISSING}-y' })],
      { OTHER: '1' },
      { strict: false },
    );
    assert.deepEqual((out as Obj).data, { a: null, b: 'x--y' });
  });

  test('strict: an unset variable fails naming the variable and kind/namespace/name', () => {
    assert.throws(
      () => substitute([configMap({ a: '${MISSING}' })], { OTHER: '1' }, { strict: true }),
      (err: unknown) =>
        isSubstitutionError(
          'VariableNotSet',
          /^ConfigMap\/apps\/cm: .*variable not set \(strict mode\): "MISSING"$/,
        )(err) &&
        (err as SubstitutionError).object === 'ConfigMap/apps/cm' &&
        (err as SubstitutionError).variable === 'MISSING',
    );
    assert.throws(
      () =>
        substitute(
          [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: '${NS}' } }],
          { X: '1' },
          { strict: true },
        ),
      isSubstitutionError('VariableNotSet', /^Namespace\/\$\{NS\}: /),
    );
  });

  test('objects annotated or labelled substitute: disabled are skipped (exact value only)', () => {
    const vars = { X: 'v' };
    const annotated = configMap(
      { a: '${X}', b: '${MISSING}' },
      {
        annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' },
      },
    );
    const labelled = configMap(
      { a: '${X}' },
      { labels: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } },
    );
    const other = configMap(
      { a: '${X}' },
      { annotations: { 'kustomize.toolkit.fluxcd.io/substitute': 'Disabled' } },
    );
    const out = substitute([annotated, labelled, other], vars, { strict: true });
    assert.equal(out[0], annotated);
    assert.equal(out[1], labelled);
    assert.deepEqual((out[2] as Obj).data, { a: 'v' });
  });

  test('objects with nothing to substitute are returned as they are', () => {
    const obj = configMap({ a: 'plain', b: '$NOT_A_VAR' });
    assert.equal(substitute([obj], { X: '1' }, { strict: true })[0], obj);
  });

  test('an invalid variable name fails, but only when an object is substituted', () => {
    assert.throws(
      () => substitute([configMap({ a: '1' })], { '1BAD': 'x' }, { strict: true }),
      isSubstitutionError('InvalidVariableName', /'1BAD' var name is invalid/),
    );
    assert.throws(() => substitute([configMap({})], { 'with-dash': 'x' }, { strict: false }), /with-dash/);
    const skipped = configMap({}, { labels: { 'kustomize.toolkit.fluxcd.io/substitute': 'disabled' } });
    assert.doesNotThrow(() => substitute([skipped], { 'with-dash': 'x' }, { strict: true }));
    assert.doesNotThrow(() =>
      substitute([configMap({ a: '${_ok_1}' })], { _ok_1: 'x', Ab9: 'y' }, { strict: true }),
    );
  });

  test('a malformed expression fails naming the object', () => {
    assert.throws(
      () => substitute([configMap({ script: 'echo ${var-default}' })], { X: '1' }, { strict: true }),
      isSubstitutionError('InvalidSubstitution', /^ConfigMap\/apps\/cm: .*missing closing brace/),
    );
  });

  describe('values with YAML-special characters are pasted into the YAML text, as in Flux', () => {
    const run = (value: string, field: unknown = '${V}') =>
      ((substitute([configMap({ f: field })], { V: value }, { strict: true })[0] as Obj).data as Obj).f;

    test('": " in a plain scalar makes the YAML invalid: an error naming the object', () => {
      assert.throws(
        () => run('a: b'),
        isSubstitutionError('InvalidSubstitution', /^ConfigMap\/apps\/cm: the substituted YAML is invalid/),
      );
    });
    test('" #" starts a comment and truncates the value; "#" without a space does not', () => {
      assert.equal(run('value #comment'), 'value');
      assert.equal(run('a#b'), 'a#b');
    });
    test('quotes around a value quote the scalar; an inner quote is kept', () => {
      assert.equal(run('"a: b"'), 'a: b');
      assert.equal(run("it's"), "it's");
    });
    test('inside a quoted scalar the value must respect the quoting', () => {
      // "${V}: x" has ": " so it is written single-quoted; a single quote in the value breaks it.
      assert.equal(run('ab', '${V}: x'), 'ab: x');
      assert.throws(() => run("a'b", '${V}: x'), isSubstitutionError('InvalidSubstitution'));
    });
    test('a value that starts a flow collection changes the type', () => {
      assert.deepEqual(run('[a, b]'), ['a', 'b']);
    });
    test('long strings folded by the serializer are still substituted', () => {
      const long = `${'word '.repeat(30)}\${V} ${'tail '.repeat(10)}`.trim();
      assert.equal(run('X', long), long.replace('${V}', 'X'));
    });
    test('a multi-line string is a literal block, and the value lands in it verbatim', () => {
      assert.equal(run('a: b #c', 'line1\n${V}\n'), 'line1\na: b #c\n');
    });
  });

  // What Flux makes of values that YAML reads as syntax (go-yaml v2 behind sigs.k8s.io/yaml's
  // YAMLToJSON): fluxcd/flux2#4830 is a Secret value starting with `*` failing the build.
  describe('values that YAML reads as syntax come out as in Flux, and no error quotes them', () => {
    const secret = 'hunter2-5f1e9c';
    const run = (value: string) =>
      ((substitute([configMap({ f: '${V}' })], { V: value }, { strict: true })[0] as Obj).data as Obj).f;
    const failure = (value: string): SubstitutionError => {
      try {
        run(value);
      } catch (err) {
        assert.ok(err instanceof SubstitutionError);
        return err;
      }
      assert.fail(`${value} did not fail`);
    };

    test('digits become an integer (as `replicas: ${N}` relies on)', () => {
      assert.equal(run('12345'), 12345);
    });
    test('`!tag` is a tag on an empty value: the empty string; `!tag text` keeps the text', () => {
      assert.equal(run(`!${secret}`), '');
      assert.equal(run(`!!${secret}`), '');
      assert.equal(run(`!${secret} rest`), 'rest');
    });
    test('`&anchor` is an anchor on an empty value: null; `&anchor text` keeps the text', () => {
      assert.equal(run(`&${secret}`), null);
      assert.equal(run(`&${secret} rest`), 'rest');
    });
    test('`*alias` names no anchor: an error naming the object, position and variable, not the value', () => {
      const err = failure(`*${secret}`);
      assert.equal(err.reason, 'InvalidSubstitution');
      assert.equal(
        err.message,
        'ConfigMap/apps/cm: the substituted YAML is invalid: an alias (*) names no anchor at line 3, column 6, in the value of ${V}',
      );
    });
    test('no parse error quotes the substituted text', () => {
      for (const value of [
        `*${secret}'x)`,
        `${secret}: x`,
        `"${secret}`,
        `[${secret}`,
        `{${secret}`,
        `@${secret}`,
        `%${secret}`,
        `\`${secret}`,
        `? ${secret}`,
        `- ${secret}`,
        `&${secret} &${secret}2 x`,
        `!${secret} !${secret}2 x`,
      ]) {
        const err = failure(value);
        assert.ok(!err.message.includes(secret), `${JSON.stringify(value)}: ${err.message}`);
        assert.match(
          err.message,
          /^ConfigMap\/apps\/cm: the substituted YAML is invalid: .* (in|after) the value of \$\{V\}$/,
        );
      }
    });
  });
});

describe('collectVars', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const store: Record<string, Record<string, string>> = {
    'ConfigMap/first': { A: 'cm1', B: 'cm1', C: 'cm1' },
    'ConfigMap/second': { B: 'cm2', ML: 'line1\nline2\n' },
    'Secret/creds': { C: b64('s3cr3t'), PASS: b64('p@ss: #word\n') },
  };
  const read: SubstituteSourceReader = async (kind, name) => store[`${kind}/${name}`];

  test('later substituteFrom entries override earlier ones, inline overrides all', async () => {
    const vars = await collectVars(
      { A: 'inline' },
      [
        { kind: 'ConfigMap', name: 'first' },
        { kind: 'ConfigMap', name: 'second' },
        { kind: 'Secret', name: 'creds' },
      ],
      read,
    );
    assert.deepEqual(vars, { A: 'inline', B: 'cm2', C: 's3cr3t', ML: 'line1line2', PASS: 'p@ss: #word' });
  });

  test('Secret values are base64-decoded and newlines are stripped from every value', async () => {
    const vars = await collectVars({ I: 'x\ny\n' }, [{ kind: 'Secret', name: 'creds' }], read);
    assert.equal(vars.PASS, 'p@ss: #word');
    assert.equal(vars.I, 'xy');
  });

  test('a missing non-optional source fails; an optional one is skipped', async () => {
    await assert.rejects(
      collectVars(undefined, [{ kind: 'ConfigMap', name: 'nope' }], read),
      isSubstitutionError('SubstituteSourceNotFound', /^substituteFrom ConfigMap 'nope' not found$/),
    );
    await assert.rejects(
      collectVars(undefined, [{ kind: 'Secret', name: 'nope', optional: false }], read),
      /substituteFrom Secret 'nope' not found/,
    );
    const vars = await collectVars(
      { Z: '1' },
      [
        { kind: 'Secret', name: 'nope', optional: true },
        { kind: 'ConfigMap', name: 'first' },
      ],
      read,
    );
    assert.deepEqual(vars, { A: 'cm1', B: 'cm1', C: 'cm1', Z: '1' });
  });

  test('a reader failure names the source', async () => {
    await assert.rejects(
      collectVars(undefined, [{ kind: 'ConfigMap', name: 'x' }], async () => {
        throw new Error('forbidden');
      }),
      isSubstitutionError('SubstituteSourceFailed', /^substituteFrom ConfigMap 'x': forbidden$/),
    );
  });

  test('a variable named __proto__ is an ordinary variable', async () => {
    const vars = await collectVars(undefined, [{ kind: 'ConfigMap', name: 'proto' }], async () =>
      JSON.parse('{"__proto__":"p","A":"a"}'),
    );
    assert.ok(Object.hasOwn(vars, '__proto__'));
    assert.equal(Object.getPrototypeOf(vars), Object.prototype);
    const [out] = substitute([configMap({ x: '${__proto__}-${A}' })], vars, { strict: true });
    assert.deepEqual((out as Obj).data, { x: 'p-a' });
  });

  test('no sources and no inline map give no variables', async () => {
    assert.deepEqual(await collectVars(undefined, [], read), {});
  });

  test('collected variables feed substitute end to end', async () => {
    const vars = await collectVars({ REPLICAS: '2', quote: '"' }, [{ kind: 'Secret', name: 'creds' }], read);
    // The source's quotes around "${PASS}" would not survive the build; ${quote} does.
    const [out] = substitute(
      [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'w' },
          spec: { replicas: '${REPLICAS}', pw: '${quote}${PASS}${quote}' },
        },
      ],
      vars,
      { strict: true },
    );
    assert.deepEqual((out as Obj).spec, { replicas: 2, pw: 'p@ss: #word' });
  });
});

describe('envsubst globs: the linear matcher agrees with the regular expression it replaced', () => {
  // The previous implementation, kept as the oracle: the glob translated to a JavaScript RegExp
  // and tried on every prefix (exponential on `*a*a…b`, fine on these short inputs).
  function oracleMatch(pattern: string, s: string): boolean | undefined {
    const esc = (c: string) => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    let re = '^';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*') re += '[\\s\\S]*';
      else if (c === '?') re += '[\\s\\S]';
      else if (c === '\\') {
        i++;
        if (i >= pattern.length) return undefined;
        re += esc(pattern[i]!);
      } else if (c === '[') {
        let cls = '[';
        i++;
        if (pattern[i] === '^') {
          cls += '^';
          i++;
        }
        let closed = false;
        for (let first = true; i < pattern.length; i++, first = false) {
          const d = pattern[i]!;
          if (d === ']' && !first) {
            closed = true;
            break;
          }
          if (d === '\\') {
            i++;
            if (i >= pattern.length) return undefined;
            cls += esc(pattern[i]!);
          } else cls += d === '-' ? '-' : esc(d);
        }
        if (!closed) return undefined;
        re += `${cls}]`;
      } else re += esc(c);
    }
    try {
      return new RegExp(`${re}$`).test(s);
    } catch {
      return undefined;
    }
  }
  function oracleTrim(s: string, pattern: string, longest: boolean): string {
    let found = '';
    for (let i = 0; i < s.length; i++) {
      const prefix = s.slice(0, s.length - i);
      const m = oracleMatch(pattern, prefix);
      if (m === undefined) return s;
      if (m && longest) return s.slice(prefix.length);
      if (m) found = prefix;
    }
    return found !== '' ? s.slice(found.length) : s;
  }

  test('5,000 random globs and values, # and ##', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const glob = ['a', 'b', '-', '*', '?', '[', ']', '^', '\\', 'z'];
    const text = ['a', 'b', '-', ']', '^', '\\', 'z', '*'];
    const pick = (alphabet: string[], max: number) => {
      let out = '';
      for (let n = rand(max + 1); n > 0; n--) out += alphabet[rand(alphabet.length)];
      return out;
    };
    for (let i = 0; i < 5000; i++) {
      const pattern = pick(glob, 6);
      const value = pick(text, 8);
      if (pattern === '' || pattern.includes('}')) continue;
      for (const op of ['#', '##'] as const) {
        let got: string;
        try {
          got = envsubst(`\${V${op}${pattern}}`, () => value);
        } catch {
          continue; // the template itself does not parse (e.g. a lone backslash before `}`)
        }
        const want = oracleTrim(value, pattern, op === '##');
        assert.equal(got, want, `\${V${op}${pattern}} with V=${JSON.stringify(value)}`);
      }
    }
  });
});
