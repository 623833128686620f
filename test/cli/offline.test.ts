// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are envsubst syntax, not templates
// `mooring diff --offline` on a real Git repository: the fleet's own Kustomizations (found under
// clusters/…) built at two revisions and compared; Secrets masked; substituteFrom variables left
// unresolved and listed; other sources skipped; text, markdown and json output; exit codes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { normalizeRepoUrl, offlineDiff } from '../../src/cli/fleet.js';
import { commitFiles, makeRepo, tempDir } from '../helpers/gitserver.js';
import { mooring } from './mooring.js';

const ks = (name: string, path: string, extra = '') => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  path: ${path}
  sourceRef:
    kind: GitRepository
    name: flux-system
${extra}`;

const deployment = (replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: apps
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:\${version}"}]
`;

const v1 = {
  'clusters/prod/apps.yaml': ks(
    'apps',
    './apps',
    `  dependsOn: [{name: infra}]
  postBuild:
    substitute: {version: "1.25"}
    substituteFrom: [{kind: ConfigMap, name: cluster-vars}]
`,
  ),
  'clusters/prod/infra.yaml': ks('infra', './infra'),
  'clusters/prod/oci.yaml': `${ks('charts', './charts').replace('kind: GitRepository', 'kind: OCIRepository')}`,
  'apps/kustomization.yaml': 'resources: [deploy.yaml, cm.yaml, secret.yaml]\n',
  'apps/deploy.yaml': deployment(1),
  'apps/cm.yaml':
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: apps}\ndata: {region: "${region}"}\n',
  'apps/secret.yaml':
    'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\nstringData: {password: hunter2}\n',
  'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n',
  'infra/old.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: old, namespace: apps}\ndata: {a: b}\n',
};

const repo = await makeRepo(join(tempDir('mooring-offline-'), 'fleet.git'), { commits: [{ files: v1 }] });
const base = await repo.rev('main');
const head = await commitFiles(
  repo,
  {
    'apps/deploy.yaml': deployment(3),
    'apps/secret.yaml':
      'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: apps}\nstringData: {password: correct-horse}\n',
    'infra/old.yaml': null,
    'infra/svc.yaml':
      'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: apps}\nspec: {ports: [{port: 80}]}\n',
  },
  'change',
);

test('the repository Kustomizations, both revisions built and compared', async () => {
  const report = await offlineDiff({ repo: repo.dir, from: base, to: head });
  const names = report.kustomizations.map((k) => `${k.name}:${k.status}`);
  assert.deepEqual(names, ['infra:changed', 'apps:changed', 'charts:skipped'], 'dependencies first');
  const apps = report.kustomizations.find((k) => k.name === 'apps')!;
  assert.equal(apps.file, 'clusters/prod/apps.yaml');
  assert.deepEqual(apps.unresolvedVariables, ['region']);
  const web = apps.objects.find((o) => o.subject === 'Deployment/apps/web')!;
  assert.equal(web.action, 'changed');
  assert.deepEqual(web.fields, ['spec.replicas']);
  assert.match(web.diff, /^-\s+replicas: 1$/m);
  assert.match(web.diff, /^\+\s+replicas: 3$/m);
  assert.doesNotMatch(web.diff, /\$\{version\}/, 'inline substitute applied');
  const secret = apps.objects.find((o) => o.subject === 'Secret/apps/db')!;
  assert.ok(!secret.diff.includes('hunter2') && !secret.diff.includes('correct-horse'), 'masked');
  assert.match(secret.diff, /\*\*\* \(after\)/);
  assert.equal(
    apps.objects.find((o) => o.subject === 'ConfigMap/apps/settings'),
    undefined,
    'unchanged',
  );
  const infra = report.kustomizations.find((k) => k.name === 'infra')!;
  assert.deepEqual(infra.objects.map((o) => `${o.subject} ${o.action}`).sort(), [
    'ConfigMap/apps/old deleted',
    'Service/apps/web created',
  ]);
  assert.match(report.kustomizations[2]!.reason ?? '', /OCIRepository/);
});

test('the CLI: exit 1 with changes, 0 without, 2 on a bad revision; markdown and json', {
  skip: !existsSync(join(process.cwd(), 'dist/cli/main.js')) && 'dist not built',
}, async () => {
  const text = await mooring(['diff', '--offline', '--from', base, '--to', head, '--path', repo.dir]);
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, /^► Deployment\/apps\/web drifted$/m);
  assert.ok(!text.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');
  assert.match(text.stderr, /1 created, 2 changed, 1 deleted/);

  const same = await mooring(['diff', '--offline', '--from', head, '--to', head, '--path', repo.dir]);
  assert.equal(same.code, 0, same.stderr);
  assert.match(same.stderr, /no changes/);

  const bad = await mooring(['diff', '--offline', '--from', 'no-such-ref', '--path', repo.dir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: unknown revision "no-such-ref"/);

  const md = await mooring([
    'diff',
    '--offline',
    '--from',
    base,
    '--to',
    head,
    '--path',
    repo.dir,
    '-o',
    'markdown',
  ]);
  assert.equal(md.code, 1);
  assert.match(
    md.stdout,
    /^\| `flux-system\/apps \(clusters\/prod\/apps\.yaml\)` \| `\.\/apps` \| 0 \| 2 \| 0 \| changes \|$/m,
  );
  assert.match(md.stdout, /<details><summary><code>Deployment\/apps\/web<\/code> changed — spec\.replicas/);
  assert.match(md.stdout, /```diff\n/);
  assert.match(md.stdout, /\$\{region\}/);

  const js = await mooring([
    'diff',
    '--offline',
    '--from',
    base,
    '--to',
    head,
    '--path',
    repo.dir,
    '-o',
    'json',
  ]);
  const parsed = JSON.parse(js.stdout) as {
    changed: boolean;
    summary: Record<string, number>;
    kustomizations: Array<{
      name: string;
      objects: Array<{ subject: string; action: string; fields: string[] }>;
    }>;
  };
  assert.equal(parsed.changed, true);
  assert.deepEqual(parsed.summary, {
    created: 1,
    changed: 2,
    deleted: 1,
    orphaned: 0,
    skipped: 1,
    errors: 0,
  });
});

test('repository URLs of one repository compare equal', () => {
  const forms = [
    'https://github.com/org/fleet.git',
    'https://user@github.com/org/fleet',
    'ssh://git@github.com/org/fleet.git',
    'git@github.com:org/fleet.git',
    'ssh://git@GitHub.com:22/org/fleet/',
  ];
  for (const f of forms) assert.equal(normalizeRepoUrl(f), 'github.com/org/fleet', f);
  assert.notEqual(normalizeRepoUrl('https://github.com/org/other'), 'github.com/org/fleet');
});
