// What every Kustomization integration test needs, as a user would have it: a namespace, a Git
// server with repositories, the real `mooring controller` process, `kubectl apply` of
// GitRepositories and Kustomizations, and reads of what ended up in the cluster. Call
// `kustomizationEnv` at the top level of a test file: it registers its own cleanup.
import { join } from 'node:path';
import { after } from 'node:test';
import type { Kustomization, KustomizationSpec } from '../../src/api/kustomization.js';
import type { Condition } from '../../src/api/meta.js';
import { KubeClient } from '../../src/kube/client.js';
import type { KubeConfig } from '../../src/kube/kubeconfig.js';
import type { ClusterState } from '../cluster/cluster.js';
import { eventually, kubeConfigFor, testNamespace, useCluster } from '../helpers/cluster.js';
import { type RunningController, startController } from '../helpers/controller.js';
import { installCrds, kubectlOk } from '../helpers/crds.js';
import {
  commitFiles,
  type FileContent,
  type GitHttpServer,
  makeRepo,
  type Repo,
  startGitHttpServer,
  tempDir,
} from '../helpers/gitserver.js';

export const KS_API = '/apis/kustomize.toolkit.fluxcd.io/v1';
export const OWNER_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';
export const OWNER_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';

export interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace?: string };
  metadata: { annotations?: Record<string, string> };
}

/** A live object as read back from the cluster (only what the tests look at). */
export interface LiveObject {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    uid?: string;
  };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

export interface KsEnv {
  state: ClusterState;
  kc: KubeConfig;
  client: KubeClient;
  ns: string;
  git: GitHttpServer;
  /** The controller watching `ns` (undefined when started with `controller: false`). */
  controller: RunningController | undefined;
  /** kubectl in the test namespace (or another with `-n`, which wins). */
  kubectl(args: string[], input?: string): Promise<string>;
  /** A bare repository `<name>.git` with a first commit, and a GitRepository `name` serving it. */
  source(name: string, files: Record<string, FileContent>, opts?: SourceOptions): Promise<Source>;
  /** `kubectl apply` of a Kustomization with defaults (interval 10m, prune true). */
  applyKustomization(name: string, spec: Partial<KustomizationSpec>, opts?: KsOptions): Promise<void>;
  /**
   * Many `source` + `applyKustomization` pairs (in the test namespace) with a single `kubectl apply`
   * of all the objects: for files with many independent cases, where a kubectl process per object
   * is most of the time. Returns the sources by name.
   */
  sourcesWithKustomizations(
    entries: Array<{ name: string; files: Record<string, FileContent>; spec: Partial<KustomizationSpec> }>,
  ): Promise<Map<string, Source>>;
  /** One `kubectl apply` of all these objects (a List), in the test namespace unless they name one. */
  applyList(items: object[]): Promise<void>;
  /** Many `applyKustomization`s with a single `kubectl apply`. */
  applyKustomizations(entries: Array<{ name: string; spec: Partial<KustomizationSpec> }>): Promise<void>;
  kustomization(name: string, namespace?: string): Promise<Kustomization | undefined>;
  /** Polls until `check` accepts the Kustomization; returns it. */
  waitKustomization(
    name: string,
    what: string,
    check: (k: Kustomization) => boolean,
    opts?: { namespace?: string; timeoutMs?: number },
  ): Promise<Kustomization>;
  /** Ready=True with `Applied revision: <revision>`. */
  waitApplied(
    name: string,
    revision: string,
    opts?: { namespace?: string; timeoutMs?: number },
  ): Promise<Kustomization>;
  /** Ready=False with this reason (and, if given, for this attempted revision). */
  waitFailed(
    name: string,
    reason: string,
    opts?: { namespace?: string; revision?: string; timeoutMs?: number },
  ): Promise<Kustomization>;
  /** Annotates a Kustomization (or GitRepository) with reconcile.fluxcd.io/requestedAt; returns the token. */
  requestReconcile(
    kind: 'kustomization' | 'gitrepository',
    name: string,
    namespace?: string,
  ): Promise<string>;
  get(apiPath: string): Promise<LiveObject | undefined>;
  configMap(name: string, namespace?: string): Promise<LiveObject | undefined>;
  events(name: string, namespace?: string): Promise<KubeEvent[]>;
  /** The first event of this Kustomization matching `match`; events are recorded after the status patch. */
  waitEvent(
    name: string,
    what: string,
    match: (e: KubeEvent) => boolean,
    opts?: { namespace?: string; timeoutMs?: number },
  ): Promise<KubeEvent>;
}

export interface SourceOptions {
  namespace?: string;
  labels?: Record<string, string>;
}

export interface KsOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Source {
  repo: Repo;
  name: string;
  namespace: string;
  /** The first commit's revision, `main@sha1:<sha>`. */
  revision: string;
  /** Commits files (null deletes) and asks the GitRepository to sync; returns the new revision. */
  push(files: Record<string, FileContent>, message?: string): Promise<string>;
  /** Waits until the GitRepository's artifact is at `revision`. */
  waitArtifact(revision: string): Promise<void>;
}

export function readyOf(k: { status?: { conditions?: Condition[] } } | undefined): Condition | undefined {
  return conditionOf(k, 'Ready');
}

export function conditionOf(
  k: { status?: { conditions?: Condition[] } } | undefined,
  type: string,
): Condition | undefined {
  return k?.status?.conditions?.find((c) => c.type === type);
}

export const revisionOf = (sha: string): string => `main@sha1:${sha}`;

export async function kustomizationEnv(opts: {
  prefix: string;
  controllerArgs?: string[];
  /** Environment variables for the controller process. */
  controllerEnv?: Record<string, string>;
  /** false: the test file starts its own controllers. */
  controller?: boolean;
}): Promise<KsEnv> {
  const state = await useCluster();
  await installCrds(state);
  const kc = kubeConfigFor(state);
  const client = new KubeClient(kc);
  const ns = await testNamespace(kc, opts.prefix);
  const gitRoot = tempDir(`mooring-${opts.prefix}-`);
  const git = await startGitHttpServer({ root: gitRoot });
  const controller =
    opts.controller === false
      ? undefined
      : await startController({
          kubeconfig: state.kubeconfig,
          namespace: ns,
          args: opts.controllerArgs,
          ...(opts.controllerEnv ? { env: opts.controllerEnv } : {}),
        });
  after(async () => {
    await controller?.stop();
    await git.stop();
    client.close();
  });

  const kubectl = (args: string[], input?: string) => kubectlOk(state, ['-n', ns, ...args], input);
  const get = (path: string) => client.getOptional<LiveObject>(path);
  const kustomization = (name: string, namespace = ns) =>
    client.getOptional<Kustomization>(`${KS_API}/namespaces/${namespace}/kustomizations/${name}`);

  const waitKustomization: KsEnv['waitKustomization'] = (name, what, check, o = {}) =>
    eventually(
      `Kustomization ${name}: ${what}`,
      async () => {
        const k = await kustomization(name, o.namespace);
        return k && check(k) ? k : undefined;
      },
      o.timeoutMs ?? 60_000,
    ).catch(async (err: Error) => {
      const k = await kustomization(name, o.namespace).catch(() => undefined);
      throw new Error(
        `${err.message}\nlast status: ${JSON.stringify(k?.status?.conditions ?? k?.status)}${controllerState()}`,
      );
    });

  /** When a wait fails: whether the controller still runs, and its last log lines. */
  const controllerState = (): string => {
    if (!controller) return '';
    const p = controller.process;
    const state =
      p.exitCode === null && p.signalCode === null ? 'running' : `exited (${p.signalCode ?? p.exitCode})`;
    const last = controller.logs().trim().split('\n').slice(-8).join('\n');
    return `\ncontroller ${state}; its last log lines:\n${last}`;
  };

  const requestReconcile: KsEnv['requestReconcile'] = async (kind, name, namespace = ns) => {
    const token = `${Date.now()}-${Math.random().toString(16).slice(2, 6)}`;
    await kubectlOk(state, [
      '-n',
      namespace,
      'annotate',
      '--overwrite',
      kind,
      name,
      `reconcile.fluxcd.io/requestedAt=${token}`,
    ]);
    return token;
  };

  const gitRepositoryManifest = (name: string, namespace: string, labels: Record<string, string> = {}) => ({
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name, namespace, labels },
    spec: { interval: '10m', url: git.url(`${namespace}-${name}.git`), ref: { branch: 'main' } },
  });
  const kustomizationManifest = (name: string, spec: Partial<KustomizationSpec>, o: KsOptions = {}) => ({
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: {
      name,
      namespace: o.namespace ?? ns,
      labels: o.labels ?? {},
      annotations: o.annotations ?? {},
    },
    spec: { interval: '10m', prune: true, ...spec },
  });

  const source: KsEnv['source'] = async (name, files, o = {}) => {
    const namespace = o.namespace ?? ns;
    const created = await sourceRepo(name, namespace, files);
    await kubectlOk(
      state,
      ['-n', namespace, 'apply', '-f', '-'],
      JSON.stringify(gitRepositoryManifest(name, namespace, o.labels)),
    );
    return created;
  };

  /** The repository behind a GitRepository `name`, and the Source handle (without applying it). */
  const sourceRepo = async (
    name: string,
    namespace: string,
    files: Record<string, FileContent>,
  ): Promise<Source> => {
    const repo = await makeRepo(join(gitRoot, `${namespace}-${name}.git`), {
      commits: [{ files, message: 'first' }],
    });
    const waitArtifact = async (revision: string) => {
      await eventually(
        `GitRepository ${namespace}/${name} at ${revision}`,
        async () => {
          const r = await get(
            `/apis/source.toolkit.fluxcd.io/v1/namespaces/${namespace}/gitrepositories/${name}`,
          );
          const status = (r as { status?: { artifact?: { revision?: string } } } | undefined)?.status;
          return status?.artifact?.revision === revision;
        },
        60_000,
      );
    };
    return {
      repo,
      name,
      namespace,
      revision: revisionOf(await repo.rev('main')),
      waitArtifact,
      async push(changes, message = 'change') {
        const sha = await commitFiles(repo, changes, message);
        await requestReconcile('gitrepository', name, namespace);
        return revisionOf(sha);
      },
    };
  };

  const applyKustomization: KsEnv['applyKustomization'] = async (name, spec, o = {}) => {
    const namespace = o.namespace ?? ns;
    await kubectlOk(
      state,
      ['-n', namespace, 'apply', '-f', '-'],
      JSON.stringify(kustomizationManifest(name, spec, o)),
    );
  };

  const applyList: KsEnv['applyList'] = async (items) => {
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  };

  const sourcesWithKustomizations: KsEnv['sourcesWithKustomizations'] = async (entries) => {
    const sources = await Promise.all(entries.map((e) => sourceRepo(e.name, ns, e.files)));
    const items = entries.flatMap((e) => [
      gitRepositoryManifest(e.name, ns),
      kustomizationManifest(e.name, e.spec),
    ]);
    await applyList(items);
    return new Map(sources.map((s) => [s.name, s]));
  };

  const applyKustomizations: KsEnv['applyKustomizations'] = (entries) =>
    applyList(entries.map((e) => kustomizationManifest(e.name, e.spec)));

  async function eventsOf(name: string, namespace = ns): Promise<KubeEvent[]> {
    const list = await client.get<{ items: KubeEvent[] }>(`/api/v1/namespaces/${namespace}/events`);
    return list.items.filter(
      (e) => e.involvedObject.kind === 'Kustomization' && e.involvedObject.name === name,
    );
  }

  return {
    state,
    kc,
    client,
    ns,
    git,
    controller,
    kubectl,
    source,
    applyKustomization,
    sourcesWithKustomizations,
    applyList,
    applyKustomizations,
    kustomization,
    waitKustomization,
    waitApplied: (name, revision, o = {}) =>
      waitKustomization(
        name,
        `Ready=True at ${revision}`,
        (k) =>
          readyOf(k)?.status === 'True' &&
          readyOf(k)?.message === `Applied revision: ${revision}` &&
          k.status?.lastAppliedRevision === revision,
        o,
      ),
    waitFailed: (name, reason, o = {}) =>
      waitKustomization(
        name,
        `Ready=False ${reason}${o.revision ? ` at ${o.revision}` : ''}`,
        (k) =>
          readyOf(k)?.status === 'False' &&
          readyOf(k)?.reason === reason &&
          (o.revision === undefined || k.status?.lastAttemptedRevision === o.revision),
        o,
      ),
    requestReconcile,
    get,
    configMap: (name, namespace = ns) => get(`/api/v1/namespaces/${namespace}/configmaps/${name}`),
    events: eventsOf,
    waitEvent: (name, what, match, o = {}) =>
      eventually(
        `${name}: ${what}`,
        async () => (await eventsOf(name, o.namespace ?? ns)).find(match),
        o.timeoutMs ?? 20_000,
      ),
  };
}

/** A ConfigMap manifest (YAML) with the given data. */
export function configMapYaml(name: string, data: Record<string, string>, extraMeta = ''): string {
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
${extraMeta}data:
${lines.join('\n')}
`;
}
