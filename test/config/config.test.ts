// The kustomize install in config/: our engine builds it exactly as kubectl's kustomize does, the
// CRD copies match crds/, and the Deployment holds what the docs promise (flags the controller
// knows, restricted securityContext, probes and ports that match the Services and NetworkPolicy).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { controllerFlags } from '../../src/cli/controller.js';
import { parseFlags } from '../../src/cli/flags.js';
import { mooringBin } from '../helpers/controller.js';
import { dashboardMetricNames, repoRoot } from './dashboard.js';

const execFileP = promisify(execFile);

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are checked field by field below
  spec?: any;
}

function parseStream(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors[0]!.message);
      return d.toJSON() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

async function kubectlKustomize(dir: string): Promise<string> {
  const { stdout } = await execFileP('kubectl', ['kustomize', join(repoRoot, dir)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

async function mooringBuild(dir: string): Promise<string> {
  const { stdout } = await execFileP(process.execPath, [mooringBin, 'build', join(repoRoot, dir)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

const overlays = ['config/default', 'config/lockdown', 'config/monitoring', 'config/crd', 'config/rbac'];

for (const dir of overlays) {
  test(`mooring build ${dir} equals kubectl kustomize ${dir}`, async () => {
    const [ours, theirs] = await Promise.all([mooringBuild(dir), kubectlKustomize(dir)]);
    assert.deepEqual(parseStream(ours), parseStream(theirs));
  });
}

test('config/crd/bases holds exactly the CRDs of crds/', () => {
  const crds = readdirSync(join(repoRoot, 'crds')).sort();
  assert.deepEqual(readdirSync(join(repoRoot, 'config/crd/bases')).sort(), crds);
  for (const f of crds) {
    assert.equal(
      readFileSync(join(repoRoot, 'config/crd/bases', f), 'utf8'),
      readFileSync(join(repoRoot, 'crds', f), 'utf8'),
      `config/crd/bases/${f} differs from crds/${f}: copy crds/${f} over it`,
    );
  }
});

async function built(dir: string): Promise<Obj[]> {
  return parseStream(await mooringBuild(dir));
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `${kind}/${name} missing`);
  return o;
}

test('config/default: namespace, labels, and a Deployment the controller accepts', async () => {
  const objs = await built('config/default');
  for (const o of objs) {
    assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'mooring', `${o.kind}/${o.metadata.name}`);
    if (!['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))
      assert.equal(o.metadata.namespace, 'mooring-system', `${o.kind}/${o.metadata.name}`);
  }
  find(objs, 'Namespace', 'mooring-system');
  assert.equal(objs.filter((o) => o.kind === 'CustomResourceDefinition').length, 2);
  find(objs, 'ServiceAccount', 'mooring-controller');
  for (const name of ['mooring-controller', 'mooring-apply']) {
    const binding = find(objs, 'ClusterRoleBinding', name) as Obj & { subjects?: unknown };
    assert.deepEqual(binding.subjects, [
      { kind: 'ServiceAccount', name: 'mooring-controller', namespace: 'mooring-system' },
    ]);
    find(objs, 'ClusterRole', name);
  }

  const deploy = find(objs, 'Deployment', 'mooring-controller');
  const pod = deploy.spec.template.spec;
  assert.equal(pod.serviceAccountName, 'mooring-controller');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  const [container] = pod.containers;
  assert.equal(container.image, 'ghcr.io/mooring-dev/mooring:0.1.0');
  assert.deepEqual(container.securityContext, {
    runAsNonRoot: true,
    runAsUser: 65534,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.ok(container.resources.requests && container.resources.limits);
  assert.deepEqual(container.env.find((e: { name: string }) => e.name === 'RUNTIME_NAMESPACE').valueFrom, {
    fieldRef: { fieldPath: 'metadata.namespace' },
  });
  // The memory tuning (docs/benchmarks.md): node flags this node accepts, then the CLI.
  assert.equal(container.command[0], 'node');
  assert.equal(container.command.at(-1), 'dist/cli/main.js');
  const nodeFlags = container.command.slice(1, -1);
  assert.ok(nodeFlags.includes('--max-semi-space-size=4') && nodeFlags.includes('--heap-growing-percent=50'));
  await promisify(execFile)(process.execPath, [...nodeFlags, '-e', '0']);
  const mounts = Object.fromEntries(
    container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]),
  );
  for (const path of ['/tmp', '/data']) {
    const vol = pod.volumes.find((v: { name: string }) => v.name === mounts[path]);
    assert.deepEqual(vol?.emptyDir, { sizeLimit: '2Gi' }, `${path} is an emptyDir with a size limit`);
  }

  // The args are `controller` plus flags that `mooring controller` parses.
  const [cmd, ...flags] = container.args as string[];
  assert.equal(cmd, 'controller');
  const { flags: cfg, positionals } = parseFlags(controllerFlags, flags);
  assert.deepEqual(positionals, []);
  assert.equal(cfg['enable-leader-election'], true);
  assert.equal(cfg['storage-path'], '/data');
  assert.equal(cfg['storage-adv-addr'], 'mooring-controller.$(RUNTIME_NAMESPACE).svc.cluster.local.');
  const mountsByPath = new Set(Object.keys(mounts));
  assert.ok(mountsByPath.has(cfg['storage-path']));

  // Probes and ports line up with the flags' default addresses and with the Services.
  const ports = Object.fromEntries(
    container.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
  );
  const portOf = (addr: string) => Number(addr.slice(addr.lastIndexOf(':') + 1));
  assert.equal(ports.http, portOf(cfg['storage-addr']));
  assert.equal(ports['http-prom'], portOf(cfg['metrics-addr']));
  assert.equal(ports.healthz, portOf(cfg['health-addr']));
  assert.equal(ports.webhook, portOf(cfg['webhook-addr']));
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'healthz' });
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'healthz' });

  const selector = deploy.spec.selector.matchLabels;
  const services = {
    'mooring-controller': [80, 'http'],
    'mooring-controller-metrics': [8080, 'http-prom'],
    'mooring-webhook': [80, 'webhook'],
  } as const;
  for (const [name, [port, target]] of Object.entries(services)) {
    const svc = find(objs, 'Service', name);
    assert.deepEqual(svc.spec.selector, selector);
    assert.equal(svc.spec.ports[0].port, port);
    assert.equal(svc.spec.ports[0].targetPort, target);
  }
  assert.ok(cfg['storage-adv-addr'].startsWith('mooring-controller.'), 'artifact URLs name the Service');

  // Only the controller's namespace reaches the artifact port.
  const np = find(objs, 'NetworkPolicy', 'mooring-controller');
  assert.deepEqual(np.spec.podSelector.matchLabels, selector);
  const artifactRule = np.spec.ingress.find((r: { ports: Array<{ port: number }> }) =>
    r.ports.some((p) => p.port === ports.http),
  );
  assert.deepEqual(artifactRule.from, [{ podSelector: {} }]);
  assert.equal(artifactRule.ports.length, 1);
});

test('config/lockdown adds the multi-tenancy flags to the controller', async () => {
  const deploy = find(await built('config/lockdown'), 'Deployment', 'mooring-controller');
  const [, ...flags] = deploy.spec.template.spec.containers[0].args as string[];
  const { flags: cfg } = parseFlags(controllerFlags, flags);
  assert.equal(cfg['no-cross-namespace-refs'], true);
  assert.equal(cfg['no-remote-bases'], true);
  assert.equal(cfg['default-service-account'], 'default');
  assert.equal(cfg['enable-leader-election'], true);
});

test('the dashboard queries only metrics Mooring exports by name', () => {
  const names = dashboardMetricNames();
  assert.ok(names.includes('controller_runtime_reconcile_total'));
  assert.ok(names.includes('workqueue_depth'));
  assert.ok(names.includes('gotk_reconcile_duration_seconds_bucket'));
  const docs = readFileSync(join(repoRoot, 'docs/metrics.md'), 'utf8');
  for (const n of names) {
    const family = n.replace(/_(bucket|sum|count)$/, '');
    assert.ok(docs.includes(`\`${family}\``), `${family} is documented in docs/metrics.md`);
  }
});
