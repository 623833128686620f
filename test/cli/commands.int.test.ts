// `mooring` subcommands as a user runs them against the real apiserver, without a controller:
// help and usage errors, no cluster reachable, get tables and -o, suspend/resume, and the sync
// wait loop (timeout, failure and success as reported in status by a stand-in controller).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { packageRoot } from '../../src/cli/install.js';
import { KubeClient } from '../../src/kube/client.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import { mooring, unreachableKubeconfig } from './mooring.js';

const state = await useCluster();
await installCrds(state);
const kc = kubeConfigFor(state);
const client = new KubeClient(kc);
const ns = await testNamespace(kc, 'cli');
const emptyNs = await testNamespace(kc, 'cli-empty');
const kubeconfig = state.kubeconfig;

after(() => client.close());

const kubectl = (args: string[], input?: string) => kubectlOk(state, ['-n', ns, ...args], input);
const run = (args: string[]) => mooring([...args, '--kubeconfig', kubeconfig, '-n', ns]);

const REV = `main@sha1:${'a'.repeat(40)}`;

async function setStatus(plural: string, group: string, name: string, status: unknown): Promise<void> {
  await client.patch(
    `/apis/${group}/v1/namespaces/${ns}/${plural}/${name}/status`,
    { status },
    'application/merge-patch+json',
  );
}

const readyStatus = (message: string, extra: Record<string, unknown>) => ({
  observedGeneration: 1,
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'Succeeded',
      message,
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      observedGeneration: 1,
    },
  ],
  ...extra,
});

await kubectl(
  ['apply', '-f', '-'],
  `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
spec:
  interval: 1m
  url: https://example.invalid/podinfo.git
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
spec:
  interval: 10m
  path: ./deploy
  prune: true
  sourceRef:
    kind: GitRepository
    name: podinfo
`,
);
await setStatus(
  'gitrepositories',
  'source.toolkit.fluxcd.io',
  'podinfo',
  readyStatus(`stored artifact for revision '${REV}'`, {
    artifact: {
      digest: `sha256:${'b'.repeat(64)}`,
      lastUpdateTime: new Date().toISOString(),
      path: `gitrepository/${ns}/podinfo/${'a'.repeat(40)}.tar.gz`,
      revision: REV,
      url: 'http://127.0.0.1:1/x.tar.gz',
    },
  }),
);
await setStatus(
  'kustomizations',
  'kustomize.toolkit.fluxcd.io',
  'apps',
  readyStatus(`Applied revision: ${REV}`, { lastAppliedRevision: REV }),
);

describe('help and usage', () => {
  test('mooring --help lists every command', async () => {
    const r = await mooring(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['identity', 'sync', 'get', 'build', 'diff', 'suspend', 'resume', 'install', 'version'])
      assert.match(r.stdout, new RegExp(`^  ${c}\\s`, 'm'), c);
  });

  test('every command has --help with usage and examples', async () => {
    for (const c of ['identity', 'sync', 'get', 'diff', 'suspend', 'resume', 'install', 'build']) {
      const r = await mooring([c, '--help']);
      assert.equal(r.code, 0, `${c}: ${r.stderr}`);
      assert.match(r.stdout, /Usage: mooring /, c);
      assert.match(r.stdout, /Examples:/, c);
    }
  });

  test('usage errors exit 2 with one error line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['sync'], /^error: missing KIND and NAME$/],
      [['sync', 'kustomization'], /^error: missing NAME$/],
      [['sync', 'helmrelease', 'x'], /^error: unknown kind "helmrelease"/],
      [['sync', 'ks', 'apps', '--timeout', 'soon'], /^error: --timeout: invalid duration "soon"/],
      [['sync', 'gitrepository', 'x', '--with-source'], /--with-source applies to a kustomization only/],
      [['get'], /^error: missing kind/],
      [['get', 'ks', '-o', 'wide'], /^error: --output: unknown format "wide"/],
      [['get', 'ks', '--bogus'], /^error: unknown flag: --bogus$/],
      [['diff', 'kustomization', 'apps'], /^error: --path DIR is required$/],
      [['identity', 'key', '--url', 'https://example.com/x.git'], /is not an SSH URL/],
      [['frobnicate'], /^error: unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const r = await mooring([...args, '--kubeconfig', kubeconfig]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.trim(), message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, args.join(' '));
    }
  });
});

describe('no cluster reachable', () => {
  test('each cluster command fails with one line naming the server, exit 1', async () => {
    const { path, server } = await unreachableKubeconfig();
    for (const args of [
      ['get', 'kustomizations'],
      ['sync', 'kustomization', 'apps'],
      ['suspend', 'gitrepository', 'podinfo'],
      ['identity', 'key', '--url', 'ssh://git@127.0.0.1:1/x.git'],
      ['diff', 'kustomization', 'apps', '--path', '.'],
      ['install'],
    ]) {
      const r = await mooring([...args, '--kubeconfig', path]);
      // diff: 0 no change, 1 changes, 2 errors (like diff and kubectl diff).
      assert.equal(r.code, args[0] === 'diff' ? 2 : 1, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      const last = lines[lines.length - 1]!;
      assert.match(last, new RegExp(`^error: cannot reach the Kubernetes API at ${server}: .*ECONNREFUSED`));
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    }
  });

  test('a missing kubeconfig file is one clear line', async () => {
    const r = await mooring(['get', 'sources', '--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot load kubeconfig: .*\/nonexistent\/kubeconfig/);
  });
});

describe('get', () => {
  test('sources: a table with revision, suspended, ready, message and age', async () => {
    const r = await run(['get', 'sources']);
    assert.equal(r.code, 0, r.stderr);
    const [header, row, ...rest] = r.stdout.trimEnd().split('\n');
    assert.match(header!, /^NAME\s+REVISION\s+SUSPENDED\s+READY\s+MESSAGE\s+AGE$/);
    assert.match(
      row!,
      new RegExp(`^podinfo\\s+${REV}\\s+false\\s+True\\s+stored artifact for revision '${REV}'\\s+\\d+s$`),
    );
    assert.equal(rest.length, 0);
    const withoutAge = (out: string) => out.replace(/\s+\S+$/gm, '');
    for (const alias of ['source', 'gitrepositories', 'gitrepository', 'gitrepo']) {
      const a = await run(['get', alias]);
      assert.equal(withoutAge(a.stdout), withoutAge(r.stdout), alias);
    }
  });

  test('kustomizations (ks): the applied revision', async () => {
    const r = await run(['get', 'ks']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^apps\\s+${REV}\\s+false\\s+True\\s+-\\s+Applied revision: ${REV}\\s+\\d+s$`, 'm'),
    );
  });

  test('-A adds a NAMESPACE column first', async () => {
    const r = await mooring(['get', 'kustomizations', '-A', '--kubeconfig', kubeconfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAMESPACE\s+NAME\s+REVISION\s+SUSPENDED\s+READY\s+DRIFT\s+MESSAGE\s+AGE$/m);
    assert.match(r.stdout, new RegExp(`^${ns}\\s+apps\\s+${REV}\\s`, 'm'));
  });

  test('-o json and -o yaml print the objects', async () => {
    const j = await run(['get', 'ks', '-o', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const list = JSON.parse(j.stdout) as {
      kind: string;
      items: Array<{ kind: string; apiVersion: string; metadata: { name: string; managedFields?: unknown } }>;
    };
    assert.equal(list.kind, 'List');
    assert.deepEqual(
      list.items.map((i) => [i.apiVersion, i.kind, i.metadata.name]),
      [['kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'apps']],
    );
    assert.equal(list.items[0]!.metadata.managedFields, undefined);
    const y = await run(['get', 'source', 'podinfo', '-o', 'yaml']);
    assert.equal(y.code, 0, y.stderr);
    assert.match(y.stdout, /^kind: GitRepository$/m);
    assert.match(y.stdout, new RegExp(`revision: ${REV}`));
  });

  test('a missing named object exits 1; an empty namespace is not an error', async () => {
    const r = await run(['get', 'ks', 'nope']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: Kustomization '${ns}/nope' not found\n`);
    const e = await mooring(['get', 'ks', '--kubeconfig', kubeconfig, '-n', emptyNs]);
    assert.equal(e.code, 0);
    assert.equal(e.stdout, '');
    assert.equal(e.stderr, `No resources found in ${emptyNs} namespace.\n`);
  });
});

describe('sync without a controller', () => {
  test('a missing object exits 1', async () => {
    const r = await run(['sync', 'gitrepository', 'missing']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: GitRepository '${ns}/missing' not found$`, 'm'));
  });

  test('nobody handles the request: timeout, exit 1, and the token is RFC 3339 with nanoseconds', async () => {
    const started = Date.now();
    const r = await run(['sync', 'gitrepository', 'podinfo', '--timeout', '2s']);
    assert.equal(r.code, 1);
    assert.ok(Date.now() - started < 15_000);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: timed out waiting for GitRepository '${ns}/podinfo' to be reconciled after 2s`,
        'm',
      ),
    );
    assert.match(r.stderr, /► annotating GitRepository podinfo/);
    assert.match(
      r.stderr,
      /◎ waiting for GitRepository reconciliation/,
      'plain progress lines when not a TTY',
    );
    const token = await kubectl([
      'get',
      'gitrepository',
      'podinfo',
      '-o',
      'jsonpath={.metadata.annotations.reconcile\\.fluxcd\\.io/requestedAt}',
    ]);
    assert.match(token, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/);
  });

  test('the handled request decides: Ready=False fails with its message, Ready=True prints the revision', async () => {
    // A stand-in controller: copies the token into lastHandledReconcileAt with the given Ready.
    const handle = async (ready: 'True' | 'False', message: string) => {
      const token = await eventually('a new requestedAt', async () => {
        const o = await client.get<{
          metadata: { annotations?: Record<string, string> };
          status?: { lastHandledReconcileAt?: string };
        }>(`/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/${ns}/kustomizations/apps`);
        const t = o.metadata.annotations?.['reconcile.fluxcd.io/requestedAt'];
        return t && t !== o.status?.lastHandledReconcileAt ? t : undefined;
      });
      await setStatus('kustomizations', 'kustomize.toolkit.fluxcd.io', 'apps', {
        lastHandledReconcileAt: token,
        conditions: [
          {
            type: 'Ready',
            status: ready,
            reason: ready === 'True' ? 'ReconciliationSucceeded' : 'BuildFailed',
            message,
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      });
    };
    const [failed] = await Promise.all([
      run(['sync', 'kustomization', 'apps', '--timeout', '30s']),
      handle('False', 'kustomize build failed in deploy: broken.yaml: bad indentation'),
    ]);
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      new RegExp(
        `^error: Kustomization '${ns}/apps' reconciliation failed: kustomize build failed in deploy: broken.yaml: bad indentation$`,
        'm',
      ),
    );
    const [ok] = await Promise.all([
      run(['sync', 'kustomization', 'apps', '--timeout', '30s']),
      handle('True', `Applied revision: ${REV}`),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `✔ applied revision ${REV}\n`);
  });
});

describe('suspend and resume', () => {
  test('suspend sets spec.suspend; sync then refuses; resume --wait=false clears it and requests a sync', async () => {
    const s = await run(['suspend', 'kustomization', 'apps']);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, `✔ Kustomization '${ns}/apps' suspended\n`);
    assert.equal(await kubectl(['get', 'ks', 'apps', '-o', 'jsonpath={.spec.suspend}']), 'true');
    const g = await run(['get', 'ks']);
    assert.match(g.stdout, /^apps\s+\S+\s+true\s/m);

    const refused = await run(['sync', 'ks', 'apps']);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: Kustomization '${ns}/apps' is suspended; resume it with 'mooring resume kustomization apps -n ${ns}'$`,
        'm',
      ),
    );

    const before = await kubectl(['get', 'ks', 'apps', '-o', 'jsonpath={.metadata.annotations}']);
    const r = await run(['resume', 'kustomization', 'apps', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `✔ Kustomization '${ns}/apps' resumed\n`);
    assert.equal(await kubectl(['get', 'ks', 'apps', '-o', 'jsonpath={.spec.suspend}']), 'false');
    const afterAnn = await kubectl(['get', 'ks', 'apps', '-o', 'jsonpath={.metadata.annotations}']);
    assert.notEqual(afterAnn, before, 'a new requestedAt');
  });

  test('resume waits by default and times out when nobody reconciles', async () => {
    const r = await run(['resume', 'gitrepository', 'podinfo', '--timeout', '1s']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /timed out waiting for GitRepository/);
  });

  test('missing objects exit 1', async () => {
    for (const c of ['suspend', 'resume']) {
      const r = await run([c, 'gitrepository', 'ghost']);
      assert.equal(r.code, 1, c);
      assert.match(r.stderr, new RegExp(`^error: GitRepository '${ns}/ghost' not found$`, 'm'), c);
    }
  });
});

describe('install', () => {
  test('--export prints the CRDs and config/default, each object once, without a cluster', async () => {
    const r = await mooring(['install', '--export', '--kubeconfig', '/nonexistent']);
    assert.equal(r.code, 0, r.stderr);
    for (const crd of [
      'gitrepositories.source.toolkit.fluxcd.io',
      'kustomizations.kustomize.toolkit.fluxcd.io',
    ])
      assert.equal(r.stdout.split(`\n  name: ${crd}\n`).length, 2, `${crd} exactly once`);
    assert.match(r.stdout, /^---$/m);
    if (existsSync(join(packageRoot(), 'config', 'default'))) {
      assert.match(r.stdout, /^kind: Deployment$/m);
      assert.match(r.stdout, /^kind: Namespace$/m);
    }
    const crds = await mooring(['install', '--export', '--crds-only']);
    assert.deepEqual([...new Set(crds.stdout.match(/^kind: .*$/gm))], ['kind: CustomResourceDefinition']);
  });

  // The full install (config/default) is not applied here: its Namespace and cluster-wide RBAC are
  // shared with test/config, which applies and deletes them; --crds-only applies what the CLI
  // tests own in common with every other test file.
  test('applies server-side with field manager mooring and waits for the CRDs', async () => {
    const r = await mooring(['install', '--crds-only', '--kubeconfig', kubeconfig, '--timeout', '60s']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /CustomResourceDefinition\/gitrepositories\.source\.toolkit\.fluxcd\.io (created|configured|unchanged)/,
    );
    assert.match(r.stdout, /^✔ installed /m);
    if (/gitrepositories\.source\.toolkit\.fluxcd\.io (created|configured)/.test(r.stdout)) {
      const managers = await kubectlOk(state, [
        'get',
        'crd',
        'gitrepositories.source.toolkit.fluxcd.io',
        '-o',
        'jsonpath={.metadata.managedFields[*].manager}',
      ]);
      assert.match(managers, /\bmooring\b/);
    }
    const again = await mooring(['install', '--crds-only', '--kubeconfig', kubeconfig]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /gitrepositories\.source\.toolkit\.fluxcd\.io unchanged/, 'idempotent');
  });
});
