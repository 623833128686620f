// The CRDs on a real kube-apiserver: installed server-side, defaults applied, invalid objects
// rejected by the server with its own message, printer columns, short names and categories.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { conditionTime, markReady } from '../../src/api/conditions.js';
import {
  GITREPOSITORY_API_VERSION,
  GITREPOSITORY_KIND,
  type GitRepository,
  type GitRepositoryStatus,
} from '../../src/api/gitrepository.js';
import {
  KUSTOMIZATION_API_VERSION,
  KUSTOMIZATION_KIND,
  type Kustomization,
  type KustomizationStatus,
} from '../../src/api/kustomization.js';
import type { ClusterState } from '../cluster/cluster.js';
import { kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { crdDir, installCrds, type KubectlResult, kubectl, kubectlOk, readCrds } from '../helpers/crds.js';

// Top level, not in before(): the helpers register after() hooks (cluster stop, namespace
// deletion) that must belong to the file, not to a hook.
const state: ClusterState = await useCluster();
await installCrds(state);
const ns = await testNamespace(kubeConfigFor(state), 'crds');

const samples = join(crdDir(), '..', 'samples');

/** kubectl create with client-side validation off, so any rejection comes from the apiserver. */
function serverCreate(obj: object): Promise<KubectlResult> {
  return kubectl(state, ['create', '--validate=false', '-n', ns, '-f', '-'], JSON.stringify(obj));
}

async function getJson<T>(resource: string, name: string): Promise<T> {
  return JSON.parse(await kubectlOk(state, ['get', resource, name, '-n', ns, '-o', 'json'])) as T;
}

/** Header and rows of a kubectl table, split on runs of 2+ spaces (cells may contain one). */
function table(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

function gitRepository(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: GITREPOSITORY_API_VERSION, kind: GITREPOSITORY_KIND, metadata: { name }, spec };
}

function kustomization(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: KUSTOMIZATION_API_VERSION, kind: KUSTOMIZATION_KIND, metadata: { name }, spec };
}

test('installing the CRDs is idempotent and they carry Flux names and our labels', async () => {
  await installCrds(state); // second call: digests match, nothing re-applied
  for (const crd of readCrds()) {
    const live = JSON.parse(await kubectlOk(state, ['get', 'crd', crd.name, '-o', 'json']));
    assert.equal(live.metadata.labels['app.kubernetes.io/part-of'], 'mooring');
    assert.ok(live.metadata.labels['app.kubernetes.io/component']);
    assert.equal(live.metadata.annotations['kustomize.toolkit.fluxcd.io/substitute'], 'disabled');
    assert.deepEqual(
      live.spec.versions.map((v: { name: string; served: boolean; storage: boolean }) => [
        v.name,
        v.served,
        v.storage,
      ]),
      [['v1', true, true]],
    );
    assert.deepEqual(live.status.storedVersions, ['v1']);
  }
});

test('the samples are accepted and the server applies the CRD defaults', async () => {
  await kubectlOk(state, [
    'apply',
    '--server-side',
    '-n',
    ns,
    '-f',
    join(samples, 'gitrepository.yaml'),
    '-f',
    join(samples, 'kustomization.yaml'),
  ]);
  const repo = await getJson<GitRepository>('gitrepositories', 'demo');
  assert.equal(repo.spec.timeout, '60s', 'spec.timeout defaults to 60s');
  assert.equal(repo.spec.url, 'http://127.0.0.1:8000/demo.git');
  assert.equal(repo.status?.observedGeneration, -1, 'status defaults to {observedGeneration: -1}');

  const ks = await getJson<Kustomization>('kustomizations', 'demo');
  assert.equal(ks.spec.force, false, 'spec.force defaults to false');
  assert.equal(ks.spec.prune, true);
  assert.equal(ks.spec.path, './deploy');
  assert.deepEqual(ks.spec.sourceRef, { kind: 'GitRepository', name: 'demo' });
  assert.equal(ks.status?.observedGeneration, -1);
});

test('nested defaults: verify.mode HEAD and substituteFrom optional false', async () => {
  await kubectlOk(
    state,
    ['create', '-n', ns, '-f', '-'],
    JSON.stringify(
      gitRepository('verified', {
        url: 'ssh://git@github.com/x/y.git',
        interval: '5m',
        timeout: '1m30s',
        verify: { secretRef: { name: 'keys' } },
      }),
    ),
  );
  const repo = await getJson<GitRepository>('gitrepo', 'verified');
  assert.equal(repo.spec.verify?.mode, 'HEAD');
  assert.equal(repo.spec.timeout, '1m30s', 'an explicit timeout is kept');

  await kubectlOk(
    state,
    ['create', '-n', ns, '-f', '-'],
    JSON.stringify(
      kustomization('substituted', {
        interval: '1h',
        prune: false,
        sourceRef: { kind: 'GitRepository', name: 'demo' },
        postBuild: { substituteFrom: [{ kind: 'ConfigMap', name: 'vars' }] },
      }),
    ),
  );
  const ks = await getJson<Kustomization>('ks', 'substituted');
  assert.equal(ks.spec.postBuild?.substituteFrom?.[0]?.optional, false);
});

test('a Flux manifest using every spec field is accepted unchanged (nothing pruned)', async () => {
  const repoSpec = {
    url: 'https://github.com/stefanprodan/podinfo',
    secretRef: { name: 'auth' },
    provider: 'generic',
    interval: '1m0s',
    timeout: '60s',
    ref: { branch: 'master', tag: '6.0.0', semver: '>=6.0.0', name: 'refs/heads/master', commit: 'abc' },
    verify: { mode: 'TagAndHEAD', secretRef: { name: 'pgp' } },
    proxySecretRef: { name: 'proxy' },
    ignore: '/*\n!/deploy\n',
    suspend: false,
    recurseSubmodules: true,
    include: [{ repository: { name: 'lib' }, fromPath: 'src', toPath: 'vendor/lib' }],
    sparseCheckout: ['deploy/'],
  };
  await kubectlOk(
    state,
    ['apply', '--server-side', '-n', ns, '-f', '-'],
    JSON.stringify(gitRepository('full', repoSpec)),
  );
  assert.deepEqual((await getJson<GitRepository>('gitrepositories', 'full')).spec, repoSpec);

  const selector = {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    name: 'podinfo',
    namespace: 'apps',
    labelSelector: 'a=b',
    annotationSelector: 'c=d',
  };
  const ksSpec = {
    sourceRef: {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      name: 'full',
      namespace: ns,
    },
    path: './kustomize',
    interval: '10m',
    retryInterval: '2m',
    timeout: '5m',
    prune: true,
    deletionPolicy: 'WaitForTermination',
    force: true,
    wait: true,
    suspend: false,
    serviceAccountName: 'deployer',
    targetNamespace: 'apps',
    namePrefix: 'p-',
    nameSuffix: '-s',
    commonMetadata: { labels: { team: 'a' }, annotations: { note: 'x' } },
    dependsOn: [{ name: 'infra', namespace: 'flux-system', readyExpr: 'dep.status.ready' }],
    healthChecks: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo', namespace: 'apps' }],
    healthCheckExprs: [
      { apiVersion: 'example.com/v1', kind: 'Widget', current: 'true', inProgress: 'false', failed: 'false' },
    ],
    patches: [{ patch: '- op: add\n  path: /metadata/labels/x\n  value: y\n', target: selector }],
    images: [{ name: 'podinfo', newName: 'ghcr.io/podinfo', newTag: '6.1.0', digest: 'sha256:abc' }],
    components: ['../components/a'],
    ignoreMissingComponents: true,
    buildMetadata: ['originAnnotations', 'transformerAnnotations'],
    postBuild: {
      substituteStrategy: 'Always',
      substitute: { cluster_env: 'prod' },
      substituteFrom: [{ kind: 'Secret', name: 'vars', optional: true }],
    },
    decryption: { provider: 'sops', secretRef: { name: 'sops-age' }, serviceAccountName: 'kms' },
    kubeConfig: { secretRef: { name: 'remote', key: 'value.yaml' } },
    ignore: [{ paths: ['/spec/replicas'], target: selector }],
  };
  await kubectlOk(
    state,
    ['apply', '--server-side', '-n', ns, '-f', '-'],
    JSON.stringify(kustomization('full', ksSpec)),
  );
  assert.deepEqual((await getJson<Kustomization>('kustomizations', 'full')).spec, ksSpec);
});

test('the server rejects a GitRepository url that is not http(s):// or ssh://', async () => {
  for (const url of ['git@github.com:x/y', 'ftp://example.com/repo.git']) {
    const r = await serverCreate(gitRepository('bad-url', { url, interval: '1m' }));
    assert.notEqual(r.code, 0, `${url} must be rejected`);
    assert.match(r.stderr, /The GitRepository "bad-url" is invalid/);
    assert.ok(
      r.stderr.includes(
        `spec.url: Invalid value: "${url}": spec.url in body should match '^(http|https|ssh)://.*$'`,
      ),
      r.stderr,
    );
  }
});

test('the server rejects intervals and timeouts that are not durations', async () => {
  const r = await serverCreate(gitRepository('bad-interval', { url: 'https://x/y', interval: '5 minutes' }));
  assert.notEqual(r.code, 0);
  assert.ok(
    r.stderr.includes(`spec.interval: Invalid value: "5 minutes": spec.interval in body should match`),
    r.stderr,
  );
  // GitRepository timeouts have no hours, as in Flux.
  const t = await serverCreate(
    gitRepository('bad-timeout', { url: 'https://x/y', interval: '1m', timeout: '1h' }),
  );
  assert.notEqual(t.code, 0);
  assert.match(t.stderr, /spec\.timeout: Invalid value: "1h"/);

  const k = await serverCreate(
    kustomization('bad-interval', {
      interval: '1 day',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'x' },
    }),
  );
  assert.notEqual(k.code, 0);
  assert.match(
    k.stderr,
    /The Kustomization "bad-interval" is invalid: spec\.interval: Invalid value: "1 day"/,
  );
});

test('the server rejects missing required fields', async () => {
  const noUrl = await serverCreate(gitRepository('no-url', { interval: '1m' }));
  assert.notEqual(noUrl.code, 0);
  assert.match(noUrl.stderr, /The GitRepository "no-url" is invalid: spec\.url: Required value/);

  const noInterval = await serverCreate(gitRepository('no-interval', { url: 'https://x/y' }));
  assert.match(noInterval.stderr, /spec\.interval: Required value/);

  const noPrune = await serverCreate(kustomization('no-prune', { interval: '5m' }));
  assert.notEqual(noPrune.code, 0);
  assert.match(noPrune.stderr, /The Kustomization "no-prune" is invalid/);
  assert.match(noPrune.stderr, /spec\.prune: Required value/);
  assert.match(noPrune.stderr, /spec\.sourceRef: Required value/);

  const noName = await serverCreate(
    kustomization('no-source-name', { interval: '5m', prune: true, sourceRef: { kind: 'GitRepository' } }),
  );
  assert.match(noName.stderr, /spec\.sourceRef\.name: Required value/);
});

test('the server rejects enum and length violations', async () => {
  const kind = await serverCreate(
    kustomization('bad-kind', {
      interval: '5m',
      prune: true,
      sourceRef: { kind: 'HelmRepository', name: 'x' },
    }),
  );
  assert.notEqual(kind.code, 0);
  assert.match(kind.stderr, /spec\.sourceRef\.kind: Unsupported value: "HelmRepository"/);

  const ns64 = await serverCreate(
    kustomization('long-ns', {
      interval: '5m',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'x' },
      targetNamespace: 'n'.repeat(64),
    }),
  );
  assert.notEqual(ns64.code, 0);
  // Wording differs across server versions (v1.20: "should be at most 63 chars long").
  assert.match(
    ns64.stderr,
    /spec\.targetNamespace: (Too long: may not be (longer|more) than 63|Invalid value: "n{64}": .*at most 63 chars long)/,
  );

  const provider = await serverCreate(
    gitRepository('bad-provider', { url: 'https://x/y', interval: '1m', provider: 'gitlab' }),
  );
  assert.match(provider.stderr, /spec\.provider: Unsupported value: "gitlab"/);
});

test('kubectl get prints the Flux columns, and READY/STATUS follow the Ready condition', async () => {
  const repos = table(await kubectlOk(state, ['get', 'gitrepositories', '-n', ns]));
  assert.deepEqual(repos[0], ['NAME', 'URL', 'AGE', 'READY', 'STATUS']);
  const ks = table(await kubectlOk(state, ['get', 'ks', '-n', ns]));
  assert.deepEqual(ks[0], ['NAME', 'AGE', 'READY', 'STATUS']);

  // Write a Ready condition the way the controllers will: through /status, built by our helpers.
  const repo = await getJson<GitRepository>('gitrepositories', 'demo');
  const revision = 'main@sha1:132f4e719209eb10b9485302f8593fc0e680f4fc';
  markReady(repo, 'True', 'Succeeded', `stored artifact for revision '${revision}'`);
  const status: GitRepositoryStatus = {
    observedGeneration: repo.metadata.generation,
    conditions: repo.status?.conditions,
    artifact: {
      digest: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
      lastUpdateTime: conditionTime(),
      path: `gitrepository/${ns}/demo/132f4e719209eb10b9485302f8593fc0e680f4fc.tar.gz`,
      revision,
      size: 1234,
      url: `http://127.0.0.1:9090/gitrepository/${ns}/demo/132f4e719209eb10b9485302f8593fc0e680f4fc.tar.gz`,
    },
    observedIgnore: '/*\n!/deploy/\n',
    lastHandledReconcileAt: '2024-05-01T10:00:00Z',
  };
  await kubectlOk(state, [
    'patch',
    'gitrepository',
    'demo',
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
  const row = table(await kubectlOk(state, ['get', 'gitrepo', 'demo', '-n', ns]))[1]!;
  assert.equal(row[0], 'demo');
  assert.equal(row[1], 'http://127.0.0.1:8000/demo.git');
  assert.equal(row[3], 'True');
  assert.equal(row[4], `stored artifact for revision '${revision}'`);
  const stored = await getJson<GitRepository>('gitrepository', 'demo');
  assert.deepEqual(stored.status, status, 'the whole status round-trips through the schema');

  const k = await getJson<Kustomization>('kustomization', 'demo');
  markReady(k, 'False', 'ArtifactFailed', 'Source artifact not found, retrying in 30s');
  const ksStatus: KustomizationStatus = {
    observedGeneration: k.metadata.generation,
    conditions: k.status?.conditions,
    lastAttemptedRevision: revision,
    lastAppliedRevision: revision,
    inventory: {
      entries: [
        { id: 'default_demo_apps_Deployment', v: 'v1' },
        { id: 'default_demo__Service', v: 'v1' },
      ],
    },
    history: [
      {
        digest: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
        firstReconciled: '2024-05-01T10:00:00Z',
        lastReconciled: '2024-05-01T10:10:00Z',
        lastReconciledDuration: '1.2s',
        lastReconciledStatus: 'ReconciliationSucceeded',
        totalReconciliations: 3,
        metadata: { revision },
      },
    ],
  };
  await kubectlOk(state, [
    'patch',
    'ks',
    'demo',
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: ksStatus }),
  ]);
  const ksRow = table(await kubectlOk(state, ['get', 'ks', 'demo', '-n', ns]))[1]!;
  assert.deepEqual(
    [ksRow[0], ksRow[2], ksRow[3]],
    ['demo', 'False', 'Source artifact not found, retrying in 30s'],
  );
  assert.deepEqual((await getJson<Kustomization>('ks', 'demo')).status, ksStatus);
});

test('status writes are validated too: bad condition status and artifact digest are rejected', async () => {
  const badCondition = await kubectl(state, [
    'patch',
    'gitrepository',
    'demo',
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        conditions: [
          { type: 'Ready', status: 'Maybe', reason: 'X', message: '', lastTransitionTime: conditionTime() },
        ],
      },
    }),
  ]);
  assert.notEqual(badCondition.code, 0);
  assert.match(badCondition.stderr, /status\.conditions(\[0\])?\.status: Unsupported value: "Maybe"/);

  const badDigest = await kubectl(state, [
    'patch',
    'gitrepository',
    'demo',
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        artifact: {
          digest: 'not a digest',
          lastUpdateTime: conditionTime(),
          path: 'p',
          revision: 'r',
          url: 'u',
        },
      },
    }),
  ]);
  assert.notEqual(badDigest.code, 0);
  assert.match(badDigest.stderr, /status\.artifact\.digest: Invalid value: "not a digest"/);
});

test('short names and the fluxcd categories list both kinds', async () => {
  const byShort = await kubectlOk(state, ['get', 'gitrepo,ks', '-n', ns, '-o', 'name']);
  assert.match(byShort, /^gitrepository\.source\.toolkit\.fluxcd\.io\/demo$/m);
  assert.match(byShort, /^kustomization\.kustomize\.toolkit\.fluxcd\.io\/demo$/m);

  const fluxcd = await kubectlOk(state, ['get', 'fluxcd', '-n', ns, '-o', 'name']);
  assert.match(fluxcd, /^gitrepository\.source\.toolkit\.fluxcd\.io\/demo$/m);
  assert.match(fluxcd, /^kustomization\.kustomize\.toolkit\.fluxcd\.io\/demo$/m);

  const sources = await kubectlOk(state, ['get', 'fluxcd-sources', '-n', ns, '-o', 'name']);
  assert.match(sources, /gitrepository\.source\.toolkit\.fluxcd\.io\/demo/);
  assert.doesNotMatch(sources, /kustomization/);
  const appliers = await kubectlOk(state, ['get', 'fluxcd-appliers', '-n', ns, '-o', 'name']);
  assert.match(appliers, /kustomization\.kustomize\.toolkit\.fluxcd\.io\/demo/);
  assert.doesNotMatch(appliers, /gitrepository/);

  const all = await kubectlOk(state, ['get', 'all', '-n', ns, '-o', 'name']);
  assert.match(all, /gitrepository\.source\.toolkit\.fluxcd\.io\/demo/);
});

test('the demo app is an nginx:1.27.0 Deployment with one replica and a Service on port 80', async () => {
  const docs = ['deployment.yaml', 'service.yaml'].map((f) =>
    parse(readFileSync(join(samples, 'demo-app', f), 'utf8')),
  );
  const [deployment, service] = docs;
  assert.equal(deployment.kind, 'Deployment');
  assert.equal(deployment.spec.replicas, 1);
  assert.equal(deployment.spec.template.spec.containers[0].image, 'nginx:1.27.0');
  assert.equal(service.kind, 'Service');
  assert.equal(service.spec.ports[0].port, 80);
  const dryRun = await kubectlOk(state, [
    'apply',
    '--dry-run=server',
    '-n',
    ns,
    '-k',
    join(samples, 'demo-app'),
  ]);
  assert.match(dryRun, /deployment\.apps\/demo created \(server dry run\)/);
  assert.match(dryRun, /service\/demo created \(server dry run\)/);
});

// Guards the go-openapi empty-string fix in test/cluster/build.sh.
test('empty strings are valid values (condition message, spec.ignore)', async () => {
  const r = await serverCreate(
    gitRepository('empty-ignore', { url: 'https://x/y', interval: '1m', ignore: '' }),
  );
  assert.equal(r.code, 0, r.stderr);
  const patch = await kubectl(state, [
    'patch',
    'gitrepository',
    'demo',
    '-n',
    ns,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'Unknown',
            reason: 'Progressing',
            message: '',
            lastTransitionTime: conditionTime(),
          },
        ],
      },
    }),
  ]);
  assert.equal(patch.code, 0, patch.stderr);
});
