// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// Bad input in Git: each case is a repository holding one valid ConfigMap next to the bad thing.
// The Kustomization must end Ready=False with a message that names the file or object at fault,
// and NOTHING of that revision may reach the cluster (the valid ConfigMap is absent, no object
// carries the Kustomization's labels, nothing is recorded as applied).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { KustomizationSpec } from '../../src/api/kustomization.js';
import { eventually } from '../helpers/cluster.js';
import type { FileContent } from '../helpers/gitserver.js';
import {
  configMapYaml,
  kustomizationEnv,
  OWNER_NAME_LABEL,
  readyOf,
  type Source,
} from '../kustomization/harness.js';

const env = await kustomizationEnv({ prefix: 'rel-bad' });

interface BadCase {
  name: string;
  /** Files besides app/good.yaml (a valid ConfigMap `<name>-good`). */
  files: Record<string, FileContent>;
  reason: string;
  message: RegExp;
  spec?: Partial<KustomizationSpec>;
  /** Keep app/good.yaml out (e.g. when a kustomization.yaml lists the resources itself). */
  noGood?: boolean;
}

const service = (name: string, port: number) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: web
  ports:
    - port: ${port}
`;

function yamlBomb(): string {
  let y = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n';
  y += '  a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++)
    y += `  a${i}: &a${i} [${Array(10)
      .fill(`*a${i - 1}`)
      .join(',')}]\n`;
  return y;
}

function deeplyNested(depth: number): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nx: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;
}

function deepMap(depth: number): string {
  let y = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep900\ndata:\n';
  for (let i = 0; i < depth; i++) y += `${'  '.repeat(i + 1)}k${i}:\n`;
  return `${y}${'  '.repeat(depth + 1)}v: "1"\n`;
}

function manyObjects(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) docs.push(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-${i}\n`);
  return docs.join('---\n');
}

const cases: BadCase[] = [
  {
    name: 'invalid-yaml',
    files: { 'app/broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [unclosed\n' },
    reason: 'BuildFailed',
    message: /broken\.yaml/,
  },
  {
    name: 'no-kind',
    files: { 'app/nokind.yaml': 'apiVersion: v1\nmetadata:\n  name: nokind\ndata:\n  a: "1"\n' },
    reason: 'BuildFailed',
    message: /nokind/,
  },
  {
    name: 'no-name',
    files: {
      'app/noname.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {a: b}\ndata:\n  a: "1"\n',
    },
    reason: 'BuildFailed',
    message: /noname\.yaml|ConfigMap/,
  },
  {
    name: 'duplicate',
    files: {
      'app/one.yaml': configMapYaml('dup', { a: '1' }),
      'app/two.yaml': configMapYaml('dup', { a: '2' }),
    },
    reason: 'BuildFailed',
    message: /already registered id.*ConfigMap.*dup|ConfigMap.*dup.*already registered/,
  },
  {
    name: 'rejected',
    files: { 'app/bad-svc.yaml': service('bad-svc', 99999) },
    reason: 'ReconciliationFailed',
    message: /Service\/[^/]+\/bad-svc/,
  },
  {
    name: 'missing-path',
    files: {},
    spec: { path: './does-not-exist' },
    reason: 'ArtifactFailed',
    message: /does-not-exist/,
  },
  {
    name: 'kustomize-error',
    files: { 'app/kustomization.yaml': 'resources:\n  - good.yaml\n  - absent.yaml\n' },
    reason: 'BuildFailed',
    message: /absent\.yaml/,
  },
  {
    name: 'strict-var',
    files: { 'app/vars.yaml': configMapYaml('vars', { v: '${NOT_DEFINED_ANYWHERE}' }) },
    spec: { postBuild: { substitute: { SOMETHING: 'set' } } },
    reason: 'BuildFailed',
    message: /NOT_DEFINED_ANYWHERE/,
  },
  {
    name: 'yaml-bomb',
    files: { 'app/bomb.yaml': yamlBomb() },
    reason: 'BuildFailed',
    message: /bomb\.yaml.*excessive aliasing/,
  },
  {
    name: 'deep-nesting',
    files: { 'app/deep.yaml': deeplyNested(50_000) },
    reason: 'BuildFailed',
    message: /deep\.yaml/,
  },
  {
    // Deep enough to pass the YAML reader and the build, then reach the apply engine and the server.
    name: 'deep-parseable',
    files: { 'app/deep900.yaml': deepMap(900) },
    reason: 'ReconciliationFailed',
    message: /ConfigMap\/[^/]+\/deep900/,
  },
  {
    // Readable (the build process has a 4 MB stack) but past what the controller walks safely.
    name: 'deeper-than-applied',
    files: { 'app/deep900.yaml': deepMap(2_000) },
    reason: 'BuildFailed',
    message: /ConfigMap\/[^/]+\/deep900 nests more than 1,000 levels deep/,
  },
  {
    name: 'too-many',
    files: { 'app/many.yaml': manyObjects(20_001) },
    reason: 'BuildFailed',
    message: /more than 20000 resources/,
  },
  {
    name: 'missing-secret',
    files: {},
    spec: { postBuild: { substituteFrom: [{ kind: 'Secret', name: 'absent-secret' }] } },
    reason: 'BuildFailed',
    message: /Secret 'absent-secret' not found/,
  },
  {
    name: 'missing-configmap',
    files: {},
    spec: { postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'absent-cm' }] } },
    reason: 'BuildFailed',
    message: /ConfigMap 'absent-cm' not found/,
  },
];

describe('bad input: Ready=False naming the culprit, nothing applied', { concurrency: 4 }, () => {
  // The cases are independent: all their repositories, GitRepositories and Kustomizations are
  // created at once (one kubectl apply), then each case waits for and checks its own outcome.
  let sources: Map<string, Source>;
  before(
    async () => {
      sources = await env.sourcesWithKustomizations(
        cases.map((c) => {
          const files: Record<string, FileContent> = { ...c.files };
          if (!c.noGood) files['app/good.yaml'] = configMapYaml(`${c.name}-good`, { ok: 'yes' });
          return {
            name: c.name,
            files,
            spec: {
              sourceRef: { kind: 'GitRepository', name: c.name },
              path: './app',
              targetNamespace: env.ns,
              ...c.spec,
            },
          };
        }),
      );
    },
    { timeout: 120_000 },
  );
  for (const c of cases) {
    test(c.name, { timeout: 120_000 }, async (t) => {
      const src = sources.get(c.name)!;
      // Wait for this reason AND message: "Source … not ready" is ArtifactFailed too, for a moment.
      const ks = await env.waitKustomization(
        c.name,
        `Ready=False ${c.reason} matching ${c.message}`,
        (k) =>
          readyOf(k)?.status === 'False' &&
          readyOf(k)?.reason === c.reason &&
          c.message.test(readyOf(k)!.message),
        { timeoutMs: 100_000 },
      );
      const ready = readyOf(ks)!;
      t.diagnostic(`${ready.reason}: ${ready.message.slice(0, 300)}`);
      assert.match(ready.message, c.message, `message names the culprit: ${ready.message}`);
      assert.equal(ks.status?.lastAppliedRevision, undefined, 'nothing recorded as applied');
      if (c.reason !== 'ArtifactFailed' || c.name === 'missing-path')
        assert.equal(ks.status?.lastAttemptedRevision, src.revision);
      assert.equal(await env.configMap(`${c.name}-good`), undefined, 'the valid object was not applied');
      const owned = await env.client.get<{ items: unknown[] }>(
        `/api/v1/namespaces/${env.ns}/configmaps?labelSelector=${encodeURIComponent(`${OWNER_NAME_LABEL}=${c.name}`)}`,
      );
      assert.equal(owned.items.length, 0, 'no object carries the Kustomization labels');
      assert.equal(ks.status?.inventory?.entries?.length ?? 0, 0, 'empty inventory');
      // Events are recorded next to the status patch, not necessarily before it.
      await eventually(
        `a Warning event for ${c.name}`,
        async () => (await env.events(c.name)).some((e) => e.type === 'Warning'),
        20_000,
      );
    });
  }
});
