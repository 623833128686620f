// `mooring check`: a pre-flight like `flux check` — one line per finding, exit 1 on any failure.
// CRDs installed and serving/storing v1, no older stored versions, the controller's Deployment
// available and its Lease held and fresh, and no Flux controller still reconciling the same kinds.
import { CliError, type Command } from './command.js';
import { connectionFlags, type Session, withSession } from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';

const { namespace: _namespace, ...kubeFlags } = connectionFlags;
const flags = {
  ...kubeFlags,
  'controller-namespace': {
    type: 'string',
    default: 'mooring-system',
    help: "The controller's namespace (its Deployment and Lease)",
    value: 'NS',
  },
  'lease-name': {
    type: 'string',
    default: 'mooring-leader-election',
    help: 'The leader-election Lease (sharded controllers hold one each)',
    value: 'NAME',
  },
  'pre-install': {
    type: 'boolean',
    default: false,
    help: 'Only the checks that make sense before installing',
  },
} satisfies FlagSpecs;

export type Level = 'ok' | 'warning' | 'failure';
export interface Finding {
  level: Level;
  message: string;
}

const CRDS = ['gitrepositories.source.toolkit.fluxcd.io', 'kustomizations.kustomize.toolkit.fluxcd.io'];
/** Flux's controllers that would reconcile the same objects as Mooring. */
const FLUX_RIVALS = ['source-controller', 'kustomize-controller'];

export interface Crd {
  spec: { versions: { name: string; served: boolean; storage: boolean }[] };
  status?: { storedVersions?: string[]; conditions?: { type: string; status: string }[] };
}
interface Deployment {
  metadata: { name: string; namespace: string };
  spec?: { replicas?: number };
  status?: { availableReplicas?: number; readyReplicas?: number };
}
interface Lease {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/** What one CRD, as read from the cluster (undefined: absent), says about Mooring's readiness. */
export function crdFindings(name: string, crd: Crd | undefined): Finding[] {
  if (!crd)
    return [
      { level: 'failure', message: `CRD ${name} is not installed (run 'mooring install --crds-only')` },
    ];
  const out: Finding[] = [];
  const v1 = crd.spec.versions.find((v) => v.name === 'v1');
  const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  if (!v1?.served || !v1.storage)
    out.push({
      level: 'failure',
      message: `CRD ${name} does not serve and store v1 (run 'mooring install')`,
    });
  else if (!established) out.push({ level: 'failure', message: `CRD ${name} is not Established` });
  else out.push({ level: 'ok', message: `CRD ${name} serves and stores v1` });
  const old = (crd.status?.storedVersions ?? []).filter((v) => v !== 'v1');
  if (old.length)
    out.push({
      level: 'failure',
      message: `CRD ${name} still has objects stored as ${old.join(', ')}: rewrite them in v1 and set status.storedVersions to [v1] (docs/migrating-from-flux.md, step 0)`,
    });
  return out;
}

async function checkCrds(s: Session): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const name of CRDS) {
    const crd = await s.client.getOptional<Crd>(
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
    );
    out.push(...crdFindings(name, crd));
  }
  return out;
}

/**
 * The Lease says whether a controller runs and leads; the Deployment where it should run. A
 * fresh Lease without an available Deployment is a controller running elsewhere: a warning.
 */
async function checkController(s: Session, ns: string, leaseName: string): Promise<Finding[]> {
  const out: Finding[] = [];
  const lease = await s.client.getOptional<Lease>(
    `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/${leaseName}`,
  );
  const holder = lease?.spec?.holderIdentity;
  const renewed = Date.parse(lease?.spec?.renewTime ?? '');
  const durationMs = (lease?.spec?.leaseDurationSeconds ?? 15) * 1000;
  const leading = Boolean(holder) && renewed + durationMs > Date.now();
  if (!lease) out.push({ level: 'failure', message: `no leader: Lease ${ns}/${leaseName} not found` });
  else if (!holder)
    out.push({ level: 'failure', message: `no leader: Lease ${ns}/${leaseName} is released` });
  else if (!leading)
    out.push({
      level: 'failure',
      message: `no leader: Lease ${ns}/${leaseName} held by ${holder} expired (last renewed ${lease.spec?.renewTime ?? 'never'})`,
    });
  else out.push({ level: 'ok', message: `leader elected: ${holder} holds Lease ${ns}/${leaseName}` });

  const deploy = await s.client.getOptional<Deployment>(
    `/apis/apps/v1/namespaces/${ns}/deployments/mooring-controller`,
  );
  const available = deploy?.status?.availableReplicas ?? 0;
  const level: Level = leading ? 'warning' : 'failure';
  const elsewhere = leading ? ` (the leader ${holder} runs elsewhere)` : '';
  if (!deploy)
    out.push({
      level,
      message: `Deployment ${ns}/mooring-controller not found${elsewhere || " (run 'mooring install')"}`,
    });
  else if (available < 1)
    out.push({ level, message: `Deployment ${ns}/mooring-controller has no available replica${elsewhere}` });
  else out.push({ level: 'ok', message: `Deployment ${ns}/mooring-controller: ${available} available` });
  return out;
}

async function checkFlux(s: Session): Promise<Finding[]> {
  const list = await s.client.get<{ items: Deployment[] }>('/apis/apps/v1/deployments');
  const out: Finding[] = [];
  for (const d of list.items) {
    if (!FLUX_RIVALS.includes(d.metadata.name)) continue;
    const running = (d.status?.readyReplicas ?? 0) > 0 || (d.spec?.replicas ?? 1) > 0;
    if (running)
      out.push({
        level: 'warning',
        message: `Flux's ${d.metadata.name} is running in ${d.metadata.namespace}: it and Mooring would fight over the same objects; scale it to 0 (docs/migrating-from-flux.md)`,
      });
  }
  if (!out.length)
    out.push({ level: 'ok', message: 'no Flux source-controller or kustomize-controller running' });
  return out;
}

const MARK: Record<Level, string> = { ok: '✔', warning: '⚠', failure: '✗' };

export const checkCommand: Command = {
  name: 'check',
  usage: `Check that Mooring can run, and runs, on the cluster: its CRDs are installed and serve and
store v1, no object is still stored in an older version (v1beta2), the controller's Deployment is
available and a replica holds the leader-election Lease, and Flux's source-controller and
kustomize-controller are not running too (two controllers would fight over the same objects).

Usage: mooring check [flags]

Exit status: 0 when nothing failed (warnings included); 1 when a check failed or the cluster cannot
be reached; 2 on a usage error.

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    if (positionals.length) throw new CliError(`unexpected argument "${positionals[0]}"`, 2);
    return withSession(f, async (s) => {
      const findings = [
        ...(await checkCrds(s)),
        ...(f['pre-install'] ? [] : await checkController(s, f['controller-namespace'], f['lease-name'])),
        ...(await checkFlux(s)),
      ];
      for (const x of findings) console.log(`${MARK[x.level]} ${x.message}`);
      return findings.some((x) => x.level === 'failure') ? 1 : 0;
    });
  },
};
