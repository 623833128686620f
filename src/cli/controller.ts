import { createHash } from 'node:crypto';
import { parseDuration } from '../api/duration.js';
import type { GitRepository } from '../api/gitrepository.js';
import { GitRepositoryType } from '../api/gitrepository.js';
import { loadKubeConfig } from '../kube/config.js';
import { DEFAULT_BUILD_MEMORY_MB, defaultBuildWorkers } from '../kustomization/buildpool.js';
import { setupKustomizeController } from '../kustomization/setup.js';
import { createLogger, errorMessage, type LogEncoding, type LogLevel } from '../runtime/logger.js';
import { Manager } from '../runtime/manager.js';
import { parseEventsAddr } from '../runtime/notify.js';
import type { GitBackendFlag } from '../source/git/backend.js';
import { setupSourceController } from '../source/setup.js';
import { advertisedAddress } from '../source/storage.js';
import { WebhookReceiver } from '../webhook/receiver.js';
import { CliError, type Command, wantsHelp } from './command.js';
import { type FlagSpecs, flagsHelp, type ParsedFlags, parseFlags } from './flags.js';

export const controllerFlags = {
  kubeconfig: {
    type: 'string',
    help: 'Path to a kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)',
    value: 'PATH',
  },
  'watch-all-namespaces': {
    type: 'boolean',
    default: true,
    help: 'Watch every namespace; when false only $RUNTIME_NAMESPACE',
  },
  namespace: { type: 'string', help: 'Watch only this namespace', value: 'NS' },
  'watch-label-selector': {
    type: 'string',
    default: '',
    help: 'Only reconcile objects matching this label selector (sharding)',
    value: 'SEL',
  },
  concurrent: { type: 'string', default: '4', help: 'Reconciles run in parallel per controller', value: 'N' },
  'requeue-dependency': {
    type: 'string',
    default: '30s',
    help: 'Requeue delay when a dependency or artifact is not ready',
    value: 'DURATION',
  },
  controllers: {
    type: 'string',
    default: 'source,kustomize',
    help: 'Controllers to run (comma-separated)',
    value: 'LIST',
  },
  'storage-path': { type: 'string', default: './data', help: 'Directory for artifacts', value: 'DIR' },
  'storage-addr': { type: 'string', default: ':9090', help: 'Artifact server listen address', value: 'ADDR' },
  'storage-adv-addr': {
    type: 'string',
    default: '',
    help: 'Host:port put into artifact URLs',
    value: 'HOST:PORT',
  },
  'metrics-addr': {
    type: 'string',
    default: ':8080',
    help: 'Prometheus /metrics listen address',
    value: 'ADDR',
  },
  'health-addr': {
    type: 'string',
    default: ':9440',
    help: '/healthz and /readyz listen address',
    value: 'ADDR',
  },
  'webhook-addr': {
    type: 'string',
    default: ':9292',
    help: 'Push webhook receiver listen address',
    value: 'ADDR',
  },
  'events-addr': {
    type: 'string',
    default: '',
    help: "Also post every event to this URL in Flux's format (notification-controller)",
    value: 'URL',
  },
  'enable-leader-election': { type: 'boolean', default: false, help: 'Only one replica reconciles (Lease)' },
  'leader-election-namespace': {
    type: 'string',
    default: '',
    help: 'Namespace of the Lease (default $RUNTIME_NAMESPACE)',
    value: 'NS',
  },
  'leader-election-lease-duration': {
    type: 'string',
    default: '35s',
    help: 'How long standbys wait after the last renewal seen before taking the Lease (whole seconds)',
    value: 'DURATION',
  },
  'leader-election-renew-deadline': {
    type: 'string',
    default: '30s',
    help: 'How long the leader retries renewing before it gives up leadership',
    value: 'DURATION',
  },
  'leader-election-retry-period': {
    type: 'string',
    default: '5s',
    help: 'Interval between tries to acquire or renew the Lease',
    value: 'DURATION',
  },
  'log-level': { type: 'string', default: 'info', help: 'error, info, debug or trace', value: 'LEVEL' },
  'log-encoding': { type: 'string', default: 'json', help: 'json or console', value: 'ENC' },
  'no-cross-namespace-refs': {
    type: 'boolean',
    default: false,
    help: 'Refuse references to objects in other namespaces',
  },
  'watch-configs-label-selector': {
    type: 'string',
    default: 'reconcile.fluxcd.io/watch=Enabled',
    help: 'ConfigMaps and Secrets matching it trigger the Kustomizations substituting from them at once (empty: off)',
    value: 'SEL',
  },
  'no-remote-bases': { type: 'boolean', default: false, help: 'Refuse remote bases in kustomizations' },
  'sops-age-key-file': {
    type: 'string',
    default: process.env.SOPS_AGE_KEY_FILE ?? '',
    help: 'age identities every Kustomization with spec.decryption may use (default: $SOPS_AGE_KEY_FILE)',
    value: 'FILE',
  },
  'default-service-account': {
    type: 'string',
    default: '',
    help: 'Impersonate this ServiceAccount when spec.serviceAccountName is unset',
    value: 'NAME',
  },
  'insecure-kubeconfig-tls': {
    type: 'boolean',
    default: false,
    help: 'Allow remote kubeconfigs (spec.kubeConfig) to set insecure-skip-tls-verify',
  },
  'http-retry': { type: 'string', default: '9', help: 'Retries when downloading an artifact', value: 'N' },
  'git-backend': {
    type: 'string',
    default: 'auto',
    help: 'auto, git or isomorphic (auto = system git when found)',
    value: 'NAME',
  },
  'artifact-retention-ttl': {
    type: 'string',
    default: '60s',
    help: 'How long superseded artifacts are kept',
    value: 'DURATION',
  },
  'artifact-retention-records': {
    type: 'string',
    default: '2',
    help: 'How many artifacts are kept per object',
    value: 'N',
  },
  'build-workers': {
    type: 'string',
    default: '',
    help: 'Threads for kustomize builds and substitution (default: the number of CPUs; 0: on the main thread, without limits)',
    value: 'N',
  },
  'build-timeout': {
    type: 'string',
    default: '60s',
    help: 'Wall time one build may take before its Kustomization fails',
    value: 'DURATION',
  },
  'build-memory-limit': {
    type: 'string',
    default: String(DEFAULT_BUILD_MEMORY_MB),
    help: 'Heap one build thread may use, in MiB',
    value: 'MIB',
  },
} satisfies FlagSpecs;

export type ControllerConfig = ParsedFlags<typeof controllerFlags>;

const knownControllers = ['source', 'kustomize'];

/** Flux appends a hash of the selector so that shards hold distinct Leases. */
export function leaseName(selector: string): string {
  const base = 'mooring-leader-election';
  return selector ? `${base}-${createHash('sha256').update(selector).digest('hex').slice(0, 8)}` : base;
}

function validate(cfg: ControllerConfig): void {
  for (const [flag, min] of [
    ['concurrent', 1],
    ['artifact-retention-records', 1],
    ['http-retry', 0],
    ['build-memory-limit', 16],
    ['build-workers', 0],
  ] as const) {
    if (flag === 'build-workers' && cfg[flag] === '') continue;
    const n = Number(cfg[flag]);
    if (!Number.isInteger(n) || n < min)
      throw new CliError(`--${flag} must be an integer ≥ ${min}, got "${cfg[flag]}"`, 2);
  }
  durationFlag(cfg, 'requeue-dependency');
  durationFlag(cfg, 'artifact-retention-ttl');
  durationFlag(cfg, 'build-timeout', { positive: true });
  leaderElectionTimings(cfg);
  for (const c of cfg.controllers.split(',').filter(Boolean)) {
    if (!knownControllers.includes(c))
      throw new CliError(
        `--controllers: unknown controller "${c}" (known: ${knownControllers.join(', ')})`,
        2,
      );
  }
  if (cfg['events-addr']) {
    try {
      parseEventsAddr(cfg['events-addr']);
    } catch (err) {
      throw new CliError(errorMessage(err), 2);
    }
  }
  if (!['error', 'info', 'debug', 'trace'].includes(cfg['log-level']))
    throw new CliError(`--log-level: unknown level "${cfg['log-level']}"`, 2);
  if (!['json', 'console'].includes(cfg['log-encoding']))
    throw new CliError(`--log-encoding: unknown encoding "${cfg['log-encoding']}"`, 2);
  if (!['auto', 'git', 'isomorphic'].includes(cfg['git-backend']))
    throw new CliError(`--git-backend: unknown backend "${cfg['git-backend']}"`, 2);
}

type DurationFlag =
  | 'requeue-dependency'
  | 'artifact-retention-ttl'
  | 'build-timeout'
  | `leader-election-${'lease-duration' | 'renew-deadline' | 'retry-period'}`;

/** A duration flag in ms; a malformed (or, when asked, non-positive) value is a usage error. */
function durationFlag(cfg: ControllerConfig, flag: DurationFlag, o: { positive?: boolean } = {}): number {
  let ms: number;
  try {
    ms = parseDuration(cfg[flag]);
  } catch (err) {
    throw new CliError(`--${flag}: ${errorMessage(err)}`, 2);
  }
  if (o.positive && ms <= 0) throw new CliError(`--${flag} must be positive, got "${cfg[flag]}"`, 2);
  return ms;
}

/** The Lease timings in ms; client-go's rules: lease > renew deadline > 1.2 × retry period > 0. */
function leaderElectionTimings(cfg: ControllerConfig): {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
} {
  const leaseDurationMs = durationFlag(cfg, 'leader-election-lease-duration', { positive: true });
  const renewDeadlineMs = durationFlag(cfg, 'leader-election-renew-deadline', { positive: true });
  const retryPeriodMs = durationFlag(cfg, 'leader-election-retry-period', { positive: true });
  // The Lease records its duration in whole seconds (spec.leaseDurationSeconds).
  if (leaseDurationMs % 1000 !== 0)
    throw new CliError(
      `--leader-election-lease-duration must be whole seconds, got "${cfg['leader-election-lease-duration']}"`,
      2,
    );
  if (leaseDurationMs <= renewDeadlineMs)
    throw new CliError(
      '--leader-election-lease-duration must be greater than --leader-election-renew-deadline',
      2,
    );
  if (renewDeadlineMs <= 1.2 * retryPeriodMs)
    throw new CliError(
      '--leader-election-renew-deadline must be greater than 1.2 × --leader-election-retry-period',
      2,
    );
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

export const controllerCommand: Command = {
  name: 'controller',
  usage: `Run the Mooring controllers (source and kustomize) against a cluster.

Usage: mooring controller [flags]

Examples:
  mooring controller --kubeconfig ~/.kube/config --storage-adv-addr localhost:9090
  mooring controller --enable-leader-election --watch-label-selector sharding.fluxcd.io/key=shard1

Flags:
${flagsHelp(controllerFlags)}`,

  async run(argv) {
    if (wantsHelp(argv)) {
      console.log(this.usage);
      return 0;
    }
    const { flags: cfg, positionals } = parseFlags(controllerFlags, argv);
    if (positionals.length) throw new CliError(`unexpected argument "${positionals[0]}"`, 2);
    validate(cfg);
    const logger = createLogger({
      level: cfg['log-level'] as LogLevel,
      encoding: cfg['log-encoding'] as LogEncoding,
    });
    const kubeConfig = loadKubeConfig({ kubeconfig: cfg.kubeconfig });
    const runtimeNamespace = process.env.RUNTIME_NAMESPACE ?? 'mooring-system';
    const namespace = cfg.namespace ?? (cfg['watch-all-namespaces'] ? undefined : runtimeNamespace);

    const manager = new Manager({
      kubeConfig,
      logger,
      component: 'mooring',
      metricsAddr: cfg['metrics-addr'] || undefined,
      healthAddr: cfg['health-addr'] || undefined,
      eventsAddr: cfg['events-addr'] || undefined,
      namespace,
      watchLabelSelector: cfg['watch-label-selector'] || undefined,
      concurrency: Number(cfg.concurrent),
      leaderElection: cfg['enable-leader-election']
        ? {
            namespace: cfg['leader-election-namespace'] || runtimeNamespace,
            name: leaseName(cfg['watch-label-selector']),
            ...leaderElectionTimings(cfg),
          }
        : undefined,
    });
    const enabled = new Set(cfg.controllers.split(',').filter(Boolean));
    if (enabled.has('source')) {
      setupSourceController(manager, {
        storagePath: cfg['storage-path'],
        storageAddr: cfg['storage-addr'],
        storageAdvAddr: advertisedAddress(cfg['storage-addr'], cfg['storage-adv-addr']),
        gitBackend: cfg['git-backend'] as GitBackendFlag,
        retentionTtlMs: parseDuration(cfg['artifact-retention-ttl']),
        retentionRecords: Number(cfg['artifact-retention-records']),
      });
    }
    if (enabled.has('source') && cfg['webhook-addr']) {
      const sources = manager.informerFor<GitRepository>(GitRepositoryType);
      manager.addRunnable(
        new WebhookReceiver(
          manager.client,
          sources,
          cfg['webhook-addr'],
          logger.child({ controller: 'webhook' }),
        ),
      );
    }
    if (enabled.has('kustomize')) {
      setupKustomizeController(manager, {
        requeueDependencyMs: parseDuration(cfg['requeue-dependency']),
        noCrossNamespaceRefs: cfg['no-cross-namespace-refs'],
        defaultServiceAccount: cfg['default-service-account'] || undefined,
        httpRetry: Number(cfg['http-retry']),
        strictSubstitution: true,
        builds: {
          workers: cfg['build-workers'] === '' ? defaultBuildWorkers() : Number(cfg['build-workers']),
          timeoutMs: parseDuration(cfg['build-timeout']),
          memoryMb: Number(cfg['build-memory-limit']),
        },
        sopsAgeKeyFile: cfg['sops-age-key-file'] || undefined,
        insecureKubeConfigTLS: cfg['insecure-kubeconfig-tls'],
        watchConfigsLabelSelector: cfg['watch-configs-label-selector'] || undefined,
      });
    }

    let exitCode = 0;
    const stopped = new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) process.exit(1);
        logger.info('shutting down', { signal: sig });
        manager.stop().then(resolve, resolve);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      manager.onLostLeadership(() => {
        exitCode = 1;
        manager.stop().then(resolve, resolve);
      });
    });
    await manager.start();
    logger.info('controller started', {
      metricsPort: manager.metricsPort,
      healthPort: manager.healthPort,
      namespace: namespace ?? '*',
      leaderElection: cfg['enable-leader-election'],
    });
    await stopped;
    return exitCode;
  },
};
