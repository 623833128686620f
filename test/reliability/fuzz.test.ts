// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Seeded random fuzzing (no extra dependency; fast-check is not in package.json) of the YAML reader,
// the substitution parser and the kustomize engine: whatever the input, each either succeeds or
// fails with its own clean error class (never a TypeError, RangeError or another crash), and each
// input is handled quickly (no hang). A failure prints the seed and the input to replay it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { envsubst } from '../../src/kustomization/envsubst.js';
import { substitute } from '../../src/kustomization/substitute.js';
import { SubstitutionError } from '../../src/kustomization/substitution-error.js';
import { build, toYaml } from '../../src/kustomize/build.js';
import { KustomizeFsError, MemoryFileSystem } from '../../src/kustomize/fs.js';
import { KustomizeError } from '../../src/kustomize/resource.js';
import { parseYamlStream, YamlError } from '../../src/kustomize/yaml-read.js';

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

test('kustomize engine: __proto__, constructor and prototype keys in every transformer stay data', {
  timeout: 120_000,
}, () => {
  const keys = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
  const pristine = Object.getOwnPropertyNames(Object.prototype).sort();
  const sentinel = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sentinel\ndata:\n${keys.map((k) => `  ${k}: kept-${k}\n`).join('')}`;
  // Each snippet uses one of the keys; `K` is replaced by a random one. Config files go beside.
  const snippets: { k: string; config?: string }[] = [
    { k: 'commonLabels:\n  K: v\n' },
    { k: 'commonAnnotations:\n  K: v\n' },
    { k: 'labels:\n- pairs: {K: v}\n  includeSelectors: true\n' },
    { k: 'namespace: ns\n', config: 'namespace:\n- path: spec/K/namespace\n  create: true\n' },
    { k: 'commonLabels: {app: x}\n', config: 'commonLabels:\n- path: metadata/K/labels\n  create: true\n' },
    { k: 'commonLabels: {app: x}\n', config: 'commonLabels:\n- path: spec/K\n  create: true\n' },
    { k: 'namePrefix: p-\n', config: 'namePrefix:\n- path: spec/K/name\n' },
    {
      k: 'replicas:\n- {name: web, count: 2}\n',
      config: 'replicas:\n- path: spec/K/replicas\n  create: true\n',
    },
    { k: 'images:\n- {name: nginx, newTag: "2"}\n', config: 'images:\n- path: spec/K/image\n' },
    ...['/K/x', '/spec/K', '/spec/K/x', '/metadata/K', '/constructor/prototype/x'].map((path) => ({
      k: `patches:\n- target: {kind: Deployment}\n  patch: |\n    - op: add\n      path: ${path}\n      value: {polluted: true}\n`,
    })),
    {
      k: 'patchesJson6902:\n- target: {kind: Deployment, name: web}\n  patch: "[{op: copy, from: /metadata, path: /spec/K}]"\n',
    },
    { k: 'patchesJson6902:\n- target: {kind: Deployment, name: web}\n  patch: "[{op: remove, path: /K}]"\n' },
    {
      k: 'patches:\n- patch: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {K: v}}, spec: {K: {polluted: true}}}"\n',
    },
    { k: 'patches:\n- target: {labelSelector: K}\n  patch: "[{op: add, path: /selected, value: true}]"\n' },
    {
      k: 'patches:\n- target: {annotationSelector: "K=v"}\n  patch: "[{op: add, path: /selected, value: true}]"\n',
    },
    {
      k: 'replacements:\n- source: {kind: Deployment, fieldPath: metadata.name}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.K.x, K.polluted, metadata.labels.K]\n    options: {create: true}\n',
    },
    {
      k: 'vars:\n- name: V\n  objref: {kind: Deployment, name: web, apiVersion: apps/v1}\n  fieldref: {fieldpath: spec.K.x}\n',
    },
    { k: 'configMapGenerator:\n- name: gen\n  literals: [K=v]\n' },
    {
      k: 'transformers:\n- |\n  apiVersion: builtin\n  kind: ValueAddTransformer\n  metadata: {name: v}\n  value: polluted\n  targets:\n  - fieldPath: metadata/K/x\n    selector: {kind: Deployment}\n',
    },
    {
      k: 'crds: [crd.yaml]\n',
      config:
        'definitions:\n  K:\n    properties:\n      kind: {}\n      metadata: {}\n      spec:\n        properties:\n          K: {x-kubernetes-object-ref-kind: ConfigMap}\n',
    },
    {
      k: 'openapi: {path: openapi.yaml}\npatches:\n- patch: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {K: [{name: a}]}}"\n',
      config:
        'definitions:\n  K:\n    x-kubernetes-group-version-kind: [{group: apps, version: v1, kind: Deployment}]\n    properties:\n      spec: {$ref: "#/definitions/K"}\n      K: {type: array, x-kubernetes-patch-merge-key: K, x-kubernetes-patch-strategy: merge}\n',
    },
  ];
  const probe = {} as Record<string, unknown>;
  let succeeded = 0;
  fuzz(
    'kustomize-prototype',
    (r) => {
      const pick = () => keys[Math.floor(r() * keys.length)]!;
      let k = 'resources:\n- web.yaml\n- sentinel.yaml\n';
      const configs: string[] = [];
      const extra: Record<string, string> = {};
      for (const s of snippets) {
        if (r() >= 0.3) continue;
        const key = pick();
        const text = s.k.replaceAll('K', key);
        // One kustomization field once; later picks of the same field are dropped.
        const field = text.slice(0, text.indexOf(':'));
        if (k.includes(`\n${field}:`) || k.startsWith(`${field}:`)) continue;
        k += text;
        if (!s.config) continue;
        const config = s.config.replaceAll('K', key);
        if (text.startsWith('crds')) extra['/app/crd.yaml'] = config;
        else if (text.startsWith('openapi')) extra['/app/openapi.yaml'] = config;
        else configs.push(config);
      }
      if (configs.length) k += `configurations:\n${configs.map((_, i) => `- config${i}.yaml\n`).join('')}`;
      const files: Record<string, string> = {
        '/app/kustomization.yaml': r() < 0.15 ? mutate(r, k) : k,
        '/app/web.yaml': SAMPLES[1]!,
        '/app/sentinel.yaml': sentinel,
        ...extra,
      };
      configs.forEach((c, i) => {
        files[`/app/config${i}.yaml`] = c;
      });
      return files;
    },
    (files) => {
      let built: ReturnType<typeof build> | undefined;
      try {
        built = build(new MemoryFileSystem(files), '/app', { maxResources: 1000 });
      } finally {
        assert.deepEqual(
          Object.getOwnPropertyNames(Object.prototype).sort(),
          pristine,
          'Object.prototype was written',
        );
        for (const k of [
          'x',
          'polluted',
          'name',
          'labels',
          'namespace',
          'replicas',
          'image',
          'selected',
          'app',
        ]) {
          assert.equal(probe[k], undefined, `({}).${k} is defined: Object.prototype was polluted`);
        }
      }
      const out = built.find((r) => r.kind === 'ConfigMap' && r.name.endsWith('sentinel'))?.obj.data;
      assert.ok(out && typeof out === 'object', 'the sentinel ConfigMap lost its data');
      for (const key of keys) {
        assert.ok(Object.hasOwn(out, key), `sentinel data.${key} is not an own key`);
        assert.equal((out as Record<string, unknown>)[key], `kept-${key}`);
      }
      const yaml = toYaml(built);
      for (const key of keys)
        assert.ok(yaml.includes(`\n  ${key}: kept-${key}\n`), `no ${key} in the output YAML`);
      succeeded++;
    },
    (err) => err instanceof KustomizeError || err instanceof YamlError || err instanceof KustomizeFsError,
  );
  // Most combinations are valid kustomizations: the output checks above really ran.
  assert.ok(succeeded > RUNS / 4, `only ${succeeded} of ${RUNS} builds succeeded`);
});
