// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Seeded random fuzzing (no extra dependency; fast-check is not in package.json) of the YAML reader,
// the substitution parser and the kustomize engine: whatever the input, each either succeeds or
// fails with its own clean error class (never a TypeError, RangeError or another crash), and each
// input is handled quickly (no hang). A failure prints the seed and the input to replay it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envsubst, SubstitutionError, substitute } from '../../src/kustomization/substitute.js';
import { build } from '../../src/kustomize/build.js';
import { KustomizeFsError, MemoryFileSystem } from '../../src/kustomize/fs.js';
import { KustomizeError } from '../../src/kustomize/resource.js';
import { parseYamlStream, YamlError } from '../../src/kustomize/yaml.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const PER_INPUT_MS = 2_000;

/** mulberry32: a small, fast, seedable PRNG. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SAMPLES = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: {x: "1"}\ndata:\n  k: v\n  n: "0644"\n',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.25\n        args: [a, "b", \'c\']\n',
  'a: &x {b: [1, 2, {c: d}]}\ne: *x\nf:\n  <<: *x\n  g: |\n    multi\n    line\n---\n- 1\n- !!str 2\n- ~\n',
  'resources:\n- cm.yaml\nnamePrefix: p-\nnamespace: n\ncommonLabels:\n  a: b\nimages:\n- name: nginx\n  newTag: "1.26"\n',
];
const ALPHABET = ' \n\t:-{}[],&*!|>\'"#%@`?<=~.0123456789abcxyz\\${}';

function mutate(r: () => number, text: string): string {
  let s = text;
  const n = 1 + Math.floor(r() * 8);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.35) s = s.slice(0, at) + ALPHABET[Math.floor(r() * ALPHABET.length)] + s.slice(at);
    else if (op < 0.6) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 4));
    else if (op < 0.8) {
      const from = Math.floor(r() * s.length);
      s = s.slice(0, at) + s.slice(from, from + Math.floor(r() * 20)) + s.slice(at);
    } else s = s.slice(0, at) + (r() < 0.5 ? '\n  ' : ': ') + s.slice(at);
  }
  return s;
}

function randomString(r: () => number, max: number, alphabet = ALPHABET): string {
  let s = '';
  const n = Math.floor(r() * max);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/** Runs `fn` on RUNS generated inputs; only errors accepted by `clean` may be thrown. */
function fuzz<I>(
  name: string,
  gen: (r: () => number) => I,
  fn: (input: I) => unknown,
  clean: (err: unknown) => boolean,
): void {
  const r = rng(SEED ^ name.length);
  for (let i = 0; i < RUNS; i++) {
    const input = gen(r);
    const started = Date.now();
    try {
      fn(input);
    } catch (err) {
      if (!clean(err)) {
        assert.fail(
          `${name} run ${i} (FUZZ_SEED=${SEED}) threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}\ninput: ${JSON.stringify(input).slice(0, 2000)}`,
        );
      }
    }
    const took = Date.now() - started;
    assert.ok(
      took < PER_INPUT_MS,
      `${name} run ${i} took ${took} ms\ninput: ${JSON.stringify(input).slice(0, 2000)}`,
    );
  }
}

test('YAML reader: mutated documents parse or fail with YamlError', { timeout: 60_000 }, () => {
  fuzz(
    'yaml',
    (r) => mutate(r, SAMPLES[Math.floor(r() * SAMPLES.length)]!),
    (text) => parseYamlStream(text, 'fuzz.yaml'),
    (err) => err instanceof YamlError && err.message.startsWith('fuzz.yaml: '),
  );
});

test('substitution parser: random ${...} templates expand or fail with SubstitutionError', {
  timeout: 60_000,
}, () => {
  const pieces = [
    '${',
    '}',
    '$',
    'var',
    'VAR_1',
    ':-',
    ':=',
    '-',
    '=',
    '+',
    '?',
    '#',
    '%',
    '/',
    '^',
    ',',
    '$$',
    '{',
    'x',
    ' ',
  ];
  fuzz(
    'envsubst',
    (r) => {
      let s = '';
      const n = Math.floor(r() * 12);
      for (let i = 0; i < n; i++) s += pieces[Math.floor(r() * pieces.length)];
      return s;
    },
    (text) => envsubst(text, (name) => (name.startsWith('V') ? `val-${name}` : undefined)),
    (err) => err instanceof SubstitutionError,
  );
});

test('substitute: hostile variable values never crash and never smuggle in other objects', {
  timeout: 60_000,
}, () => {
  const base = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'ns' } };
  fuzz(
    'substitute',
    (r) => ({
      data: { a: '${A}', b: 'x-${B:=d}', c: r() < 0.5 ? '${C}' : 'plain' },
      vars: {
        A: randomString(r, 30, `${ALPHABET}\n---\n`),
        B: randomString(r, 10),
        ...(r() < 0.5 ? { C: randomString(r, 10) } : {}),
      },
      strict: r() < 0.5,
    }),
    ({ data, vars, strict }) => {
      const out = substitute([{ ...base, data }], vars, { strict });
      assert.equal(out.length, 1, 'one object in, one object out');
      assert.equal(out[0]!.kind, 'ConfigMap');
    },
    (err) => err instanceof SubstitutionError,
  );
});

test('kustomize engine: random kustomizations build or fail with a kustomize error', {
  timeout: 90_000,
}, () => {
  const fields = [
    'namePrefix: p-\n',
    'nameSuffix: [x]\n',
    'namespace: other\n',
    'commonLabels:\n  app: fuzz\n',
    'commonLabels: 3\n',
    'resources:\n- cm.yaml\n',
    'resources:\n- ../outside\n',
    'resources: cm.yaml\n',
    'patches:\n- target: {kind: ConfigMap}\n  patch: |\n    - op: add\n      path: /data/z\n      value: "1"\n',
    'patches:\n- patch: "{bad"\n',
    'patchesStrategicMerge:\n- "apiVersion: v1\\nkind: ConfigMap\\nmetadata: {name: a}\\ndata: {k: w}"\n',
    'images:\n- name: nginx\n  newTag: "2"\n',
    'replicas:\n- name: web\n  count: 5\n',
    'replicas:\n- name: web\n  count: many\n',
    'configMapGenerator:\n- name: gen\n  literals: [a=b, "c"]\n',
    'secretGenerator:\n- name: s\n  files: [missing.txt]\n',
    'components:\n- comp\n',
    'vars:\n- name: V\n  objref: {kind: ConfigMap, name: a, apiVersion: v1}\n',
    'replacements:\n- source: {kind: ConfigMap, fieldPath: data.k}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.spec.containers.0.image]\n',
  ];
  fuzz(
    'kustomize',
    (r) => {
      let k = '';
      for (const f of fields) if (r() < 0.25) k += f;
      if (r() < 0.3) k = mutate(r, k);
      return {
        '/app/kustomization.yaml': k,
        '/app/cm.yaml': r() < 0.7 ? SAMPLES[0]! : mutate(r, SAMPLES[Math.floor(r() * 2)]!),
        '/app/web.yaml': SAMPLES[1]!,
        '/app/comp/kustomization.yaml':
          'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nnamePrefix: c-\n',
        '/outside/kustomization.yaml': 'resources: []\n',
      };
    },
    (files) => build(new MemoryFileSystem(files), '/app', { maxResources: 1000 }),
    (err) => err instanceof KustomizeError || err instanceof YamlError || err instanceof KustomizeFsError,
  );
});
