// config/default and config/lockdown on the real apiserver: a server-side dry-run, then a real
// server-side apply, both without errors or warnings; what the server stored is what we built.
// The CRDs are shared with every other test file, so they are applied but never deleted.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { eventually, useCluster } from '../helpers/cluster.js';
import { mooringBin } from '../helpers/controller.js';
import { installCrds, kubectl, kubectlOk } from '../helpers/crds.js';
import { repoRoot } from './dashboard.js';

const execFileP = promisify(execFile);
const state = await useCluster();
// Other test files apply the same CRDs (with --force-conflicts); have them in place first so the
// two field managers agree on every value and no apply can conflict.
await installCrds(state);

const FIELD_MANAGER = 'mooring-config-test';
const ns = 'mooring-system';

async function noTerminatingNamespace(): Promise<void> {
  await eventually(
    `namespace ${ns} gone or active`,
    async () => {
      const r = await kubectl(state, ['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}']);
      return r.code !== 0 || r.stdout === 'Active';
    },
    60_000,
  );
}

async function serverSideApply(source: string[], input?: string, dryRun = false): Promise<string> {
  const r = await kubectl(
    state,
    [
      'apply',
      '--server-side',
      `--field-manager=${FIELD_MANAGER}`,
      ...(dryRun ? ['--dry-run=server'] : []),
      ...source,
    ],
    input,
  );
  assert.equal(r.code, 0, `kubectl apply ${source.join(' ')} failed: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /warning/i, 'no warnings from the server');
  return r.stdout;
}

after(async () => {
  await kubectl(state, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
  await kubectl(state, [
    'delete',
    'clusterrole,clusterrolebinding',
    'mooring-controller',
    'mooring-apply',
    '--ignore-not-found',
  ]);
});

async function deploymentArgs(): Promise<string[]> {
  const out = await kubectlOk(state, [
    '-n',
    ns,
    'get',
    'deployment',
    'mooring-controller',
    '-o',
    'jsonpath={.spec.template.spec.containers[0].args}',
  ]);
  return JSON.parse(out) as string[];
}

test('kubectl apply --server-side -k config/default: dry-run, then for real', async () => {
  await noTerminatingNamespace();
  const dir = join(repoRoot, 'config/default');
  // The dry-run cannot create namespaced objects in a namespace that does not exist yet, as
  // kubectl's own `apply --dry-run=server` of a fresh install; create the Namespace first.
  await serverSideApply(['-f', join(dir, 'namespace.yaml')]);
  const dry = await serverSideApply(['-k', dir], undefined, true);
  assert.match(dry, /deployment\.apps\/mooring-controller serverside-applied \(server dry run\)/);
  const applied = await serverSideApply(['-k', dir]);
  for (const what of [
    'customresourcedefinition.apiextensions.k8s.io/gitrepositories.source.toolkit.fluxcd.io',
    'customresourcedefinition.apiextensions.k8s.io/kustomizations.kustomize.toolkit.fluxcd.io',
    'serviceaccount/mooring-controller',
    'clusterrole.rbac.authorization.k8s.io/mooring-controller',
    'clusterrole.rbac.authorization.k8s.io/mooring-apply',
    'clusterrolebinding.rbac.authorization.k8s.io/mooring-controller',
    'clusterrolebinding.rbac.authorization.k8s.io/mooring-apply',
    'role.rbac.authorization.k8s.io/mooring-leader-election',
    'rolebinding.rbac.authorization.k8s.io/mooring-leader-election',
    'service/mooring-controller',
    'service/mooring-controller-metrics',
    'service/mooring-webhook',
    'deployment.apps/mooring-controller',
    'networkpolicy.networking.k8s.io/mooring-controller',
  ]) {
    assert.ok(applied.includes(`${what} serverside-applied`), `${what} applied:\n${applied}`);
  }
  const args = await deploymentArgs();
  assert.ok(args.includes('--enable-leader-election'));
  assert.ok(!args.includes('--no-cross-namespace-refs'));
  // Least privilege of the controller's own role (mooring-apply, bound too, is what objects are
  // applied with when not impersonating: docs/security.md): Secrets and ConfigMaps read, never written
  // (and listed/watched, only with the watch label, for --watch-configs-label-selector), the Lease only
  // in the controller's namespace.
  interface Rule {
    apiGroups?: string[];
    resources?: string[];
    verbs?: string[];
  }
  const rulesOf = async (what: string[]) =>
    (JSON.parse(await kubectlOk(state, ['get', ...what, '-o', 'json'])) as { rules: Rule[] }).rules;
  const controllerRules = await rulesOf(['clusterrole', 'mooring-controller']);
  const secrets = controllerRules.filter((r) =>
    r.resources?.some((x) => x === 'secrets' || x === 'configmaps'),
  );
  assert.deepEqual(
    secrets.map((r) => r.verbs),
    [['get', 'list', 'watch']],
  );
  assert.ok(!controllerRules.some((r) => r.resources?.includes('leases')), 'no cluster-wide Lease rule');
  const leaseRules = await rulesOf(['-n', ns, 'role', 'mooring-leader-election']);
  assert.deepEqual(leaseRules, [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  ]);
  const sa = `system:serviceaccount:${ns}:mooring-controller`;
  const can = async (...what: string[]) =>
    (await kubectl(state, ['auth', 'can-i', ...what, '--as', sa])).stdout.trim();
  for (const verb of ['get', 'create', 'update'])
    assert.equal(await can(verb, 'leases.coordination.k8s.io', '-n', ns), 'yes', `${verb} leases`);
  // Bounded disk: both writable volumes have a size limit.
  const volumes = JSON.parse(
    await kubectlOk(state, [
      '-n',
      ns,
      'get',
      'deployment',
      'mooring-controller',
      '-o',
      'jsonpath={.spec.template.spec.volumes}',
    ]),
  ) as { name: string; emptyDir?: { sizeLimit?: string } }[];
  assert.deepEqual(
    volumes.map((v) => [v.name, v.emptyDir?.sizeLimit]),
    [
      ['data', '2Gi'],
      ['tmp', '2Gi'],
    ],
  );
  // Applying the same thing again changes nothing on the server.
  const before = await kubectlOk(state, ['-n', ns, 'get', 'deployment', 'mooring-controller', '-o', 'json']);
  await serverSideApply(['-k', dir]);
  const again = await kubectlOk(state, ['-n', ns, 'get', 'deployment', 'mooring-controller', '-o', 'json']);
  assert.equal(
    (JSON.parse(again) as { metadata: { generation: number } }).metadata.generation,
    (JSON.parse(before) as { metadata: { generation: number } }).metadata.generation,
  );
});

test('mooring build config/lockdown applied server-side on top: the lockdown flags are live', async () => {
  const { stdout: manifests } = await execFileP(
    process.execPath,
    [mooringBin, 'build', join(repoRoot, 'config/lockdown')],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  await serverSideApply(['-f', '-'], manifests, true);
  await serverSideApply(['-f', '-'], manifests);
  const args = await deploymentArgs();
  for (const flag of ['--no-cross-namespace-refs', '--no-remote-bases', '--default-service-account=default'])
    assert.ok(args.includes(flag), `${flag} in ${args.join(' ')}`);
});
