// What every cluster-facing subcommand shares: kubectl's connection flags, kind names, one-line
// error messages for API and network failures, tables, ages and -o yaml|json output.

import { stringify } from 'yaml';
import { getCondition } from '../api/conditions.js';
import { InvalidDurationError, parseDuration } from '../api/duration.js';
import { GitRepositoryType } from '../api/gitrepository.js';
import { KustomizationType } from '../api/kustomization.js';
import type { Condition } from '../api/meta.js';
import { KubeClient } from '../kube/client.js';
import { contextNamespace, loadKubeConfig } from '../kube/config.js';
import type { KubeConfig } from '../kube/kubeconfig.js';
import type { ResourceType } from '../kube/resource.js';
import { CliError } from './command.js';
import { describeError } from './errors.js';
import type { FlagSpecs } from './flags.js';

/** --kubeconfig, --context and -n: every command that talks to the cluster takes these. */
export const connectionFlags = {
  kubeconfig: {
    type: 'string',
    help: 'Path to the kubeconfig file (default $KUBECONFIG or ~/.kube/config)',
    value: 'PATH',
  },
  context: { type: 'string', help: 'The kubeconfig context to use', value: 'NAME' },
  namespace: {
    type: 'string',
    short: 'n',
    help: "The object's namespace (default: the context's namespace, else default)",
    value: 'NS',
  },
} satisfies FlagSpecs;

export const outputFlag = {
  output: {
    type: 'string',
    short: 'o',
    default: 'table',
    help: 'Output format: table, yaml or json',
    value: 'FORMAT',
  },
} satisfies FlagSpecs;

/** An open connection to the cluster and the namespace the command works in. */
export interface Session {
  kubeConfig: KubeConfig;
  client: KubeClient;
  namespace: string;
  close(): void;
}

export function connect(flags: { kubeconfig?: string; context?: string; namespace?: string }): Session {
  let kubeConfig: KubeConfig;
  try {
    kubeConfig = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  } catch (err) {
    throw new CliError(`cannot load kubeconfig: ${firstLine(err)}`);
  }
  const client = new KubeClient(kubeConfig);
  return {
    kubeConfig,
    client,
    namespace: flags.namespace || contextNamespace(kubeConfig),
    close: () => client.close(),
  };
}

/** Runs `body` with a session that is always closed (keep-alive sockets would hold the process). */
export async function withSession<T>(
  flags: { kubeconfig?: string; context?: string; namespace?: string },
  body: (s: Session) => Promise<T>,
): Promise<T> {
  const session = connect(flags);
  try {
    return await body(session);
  } catch (err) {
    throw describeError(err, session);
  } finally {
    session.close();
  }
}

const firstLine = (err: unknown): string =>
  (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

// ---- Kinds ----------------------------------------------------------------------------------

export interface KindInfo {
  type: ResourceType;
  /** `GitRepository`, as in messages. */
  kind: string;
  /** Lower-case singular used in suggested commands. */
  word: string;
}

export const GitRepositoryKind: KindInfo = {
  type: GitRepositoryType,
  kind: 'GitRepository',
  word: 'gitrepository',
};
export const KustomizationKind: KindInfo = {
  type: KustomizationType,
  kind: 'Kustomization',
  word: 'kustomization',
};

const kindAliases: Record<string, KindInfo> = {
  gitrepository: GitRepositoryKind,
  gitrepositories: GitRepositoryKind,
  gitrepo: GitRepositoryKind,
  gitrepos: GitRepositoryKind,
  source: GitRepositoryKind,
  sources: GitRepositoryKind,
  kustomization: KustomizationKind,
  kustomizations: KustomizationKind,
  ks: KustomizationKind,
};

/** The kind named on the command line (singular, plural or short name), or a usage error. */
export function parseKind(word: string | undefined, allowed = 'gitrepository|kustomization'): KindInfo {
  if (!word) throw new CliError(`missing kind: expected ${allowed}`, 2);
  const kind = kindAliases[word.toLowerCase()];
  if (!kind) throw new CliError(`unknown kind "${word}": expected ${allowed}`, 2);
  return kind;
}

/** `Kustomization 'ns/name'`, as Flux names objects in messages. */
export function describeObject(kind: KindInfo, namespace: string, name: string): string {
  return `${kind.kind} '${namespace}/${name}'`;
}

// ---- Flags ----------------------------------------------------------------------------------

export function parseTimeout(value: string, flag = 'timeout'): number {
  try {
    const ms = parseDuration(value);
    if (ms <= 0) throw new InvalidDurationError(value);
    return ms;
  } catch (err) {
    throw new CliError(`--${flag}: ${firstLine(err)}`, 2);
  }
}

export type OutputFormat = 'table' | 'yaml' | 'json';

export function parseOutput(value: string): OutputFormat {
  if (value === 'table' || value === 'yaml' || value === 'json') return value;
  throw new CliError(`--output: unknown format "${value}" (expected table, yaml or json)`, 2);
}

/** Exactly `count` positional arguments, else a usage error naming what is missing. */
export function expectArgs(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length)
    throw new CliError(`missing ${names.slice(positionals.length).join(' and ')}`, 2);
  if (positionals.length > names.length)
    throw new CliError(`unexpected argument "${positionals[names.length]}"`, 2);
  return positionals;
}

// ---- Output ---------------------------------------------------------------------------------

/** kubectl's table: upper-case headers, columns padded to the widest cell, three spaces apart. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** kubectl's age (k8s.io/apimachinery duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8)
    return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

export function age(timestamp: string | undefined, now = Date.now()): string {
  if (!timestamp) return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

/** An object without managedFields (noise in yaml/json output, as kubectl ≥ 1.21 hides them). */
export function withoutManagedFields<T extends { metadata?: { managedFields?: unknown } }>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _m, ...metadata } = obj.metadata;
  return { ...obj, metadata } as T;
}

export function printObjects(format: 'yaml' | 'json', value: unknown): void {
  process.stdout.write(
    format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : stringify(value, { version: '1.1' }),
  );
}

/** Ready's status and message as `get` shows them; Unknown when the object has no Ready yet. */
export function readiness(obj: {
  metadata: { generation?: number };
  status?: { conditions?: Condition[] };
}): {
  ready: string;
  message: string;
} {
  const c = getCondition(obj, 'Ready');
  return { ready: c?.status ?? 'Unknown', message: c?.message ?? '' };
}

/** Flux's request token: RFC 3339 with nanoseconds (time.RFC3339Nano), unique per call. */
export function requestToken(now = new Date()): string {
  const iso = now.toISOString(); // …T12:00:00.123Z
  const nanos = (process.hrtime.bigint() % 1_000_000n).toString().padStart(6, '0');
  const frac = `${iso.slice(20, 23)}${nanos}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}
