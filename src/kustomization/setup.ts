// Wires the Kustomization controller into the manager: its reconciler, and the watches that make
// it react at once — a source's new revision enqueues the Kustomizations using it (dependencies
// first), and a Kustomization becoming ready enqueues those that depend on it.

import { getCondition } from '../api/conditions.js';
import type { GitRepository } from '../api/gitrepository.js';
import { GitRepositoryType } from '../api/gitrepository.js';
import type { Kustomization } from '../api/kustomization.js';
import { KustomizationType } from '../api/kustomization.js';
import { reconcileRequestedAt } from '../api/meta.js';
import { CoreTypes, type KubeObject, objectKey } from '../kube/resource.js';
import type { Controller, EnqueuePredicate } from '../runtime/controller.js';
import type { Manager } from '../runtime/manager.js';
import { ClientFactory } from './clients.js';
import { dependsOn, usesSource } from './dependencies.js';
import { ReconcileMemo } from './memo.js';
import { KustomizationReconciler, type KustomizationReconcilerOptions } from './reconciler.js';

export interface KustomizeControllerOptions extends KustomizationReconcilerOptions {
  concurrency?: number;
  /** Flux's --insecure-kubeconfig-tls: remote kubeconfigs may skip TLS verification. */
  insecureKubeConfigTLS?: boolean;
  /**
   * Flux's --watch-configs-label-selector: ConfigMaps and Secrets matching it trigger, when they
   * change, the Kustomizations whose postBuild.substituteFrom names them. Empty: no watch.
   */
  watchConfigsLabelSelector?: string;
}

/** Flux's default --watch-configs-label-selector. */
export const WATCH_CONFIGS_SELECTOR = 'reconcile.fluxcd.io/watch=Enabled';

interface ConfigObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Whether a watched ConfigMap or Secret changed in a way a substitution can see. */
export function configChanged(obj: ConfigObject, old: ConfigObject | undefined): boolean {
  if (!old) return true;
  return JSON.stringify([obj.data, obj.binaryData]) !== JSON.stringify([old.data, old.binaryData]);
}

/** Kustomizations whose postBuild.substituteFrom names this ConfigMap or Secret. */
export function usersOfConfig(
  kustomizations: Kustomization[],
  kind: 'ConfigMap' | 'Secret',
  namespace: string,
  name: string,
): Kustomization[] {
  return kustomizations.filter(
    (k) =>
      (k.metadata.namespace ?? 'default') === namespace &&
      (k.spec.postBuild?.substituteFrom ?? []).some((r) => r.kind === kind && r.name === name),
  );
}

/** Kustomizations in dependency order (dependencies before dependents; cycles keep input order). */
export function dependencyOrder(items: Kustomization[]): Kustomization[] {
  const byKey = new Map(items.map((k) => [objectKey(k), k]));
  const out: Kustomization[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (k: Kustomization) => {
    const key = objectKey(k);
    if (state.get(key)) return;
    state.set(key, 'visiting');
    for (const d of k.spec.dependsOn ?? []) {
      const dep = byKey.get(`${d.namespace || k.metadata.namespace}/${d.name}`);
      if (dep) visit(dep);
    }
    state.set(key, 'done');
    out.push(k);
  };
  for (const k of items) visit(k);
  return out;
}

/**
 * Flux's trigger for a Kustomization: a new generation or a sync request (and deletion) — not a
 * write of our own such as the finalizer, which would re-run a reconcile that is already running
 * (a failing 30s health check would then run, and fail, twice in a row).
 */
export const kustomizationChanged: EnqueuePredicate<Kustomization> = (event, k, old) => {
  if (event !== 'modified' || !old) return true;
  return (
    k.metadata.generation !== old.metadata.generation ||
    reconcileRequestedAt(k.metadata) !== reconcileRequestedAt(old.metadata) ||
    k.metadata.deletionTimestamp !== old.metadata.deletionTimestamp
  );
};

function readyState(k: Kustomization | undefined): string {
  const c = k && getCondition(k, 'Ready');
  return `${c?.status}|${k?.status?.lastAppliedRevision}|${k?.status?.observedGeneration}`;
}

export function setupKustomizeController(
  manager: Manager,
  opts: KustomizeControllerOptions,
): Controller<Kustomization> {
  const kustomizations = manager.informerFor<Kustomization>(KustomizationType, { primary: true });
  const sources = manager.informerFor<GitRepository>(GitRepositoryType);
  const reconciler = new KustomizationReconciler({
    client: manager.client,
    clients: new ClientFactory(
      manager.opts.kubeConfig,
      manager.client,
      (c) => c.onRequest(manager.metrics.countRequest),
      { insecureKubeConfigTLS: opts.insecureKubeConfigTLS ?? false },
    ),
    kustomizations,
    sources,
    events: manager.events,
    metrics: manager.metrics,
    options: opts,
    memo: new ReconcileMemo(),
  });
  // Stopped after the workers have drained, so no reconcile still reads an extracted tree.
  manager.addRunnable({
    name: 'kustomization-cleanup',
    start: async () => undefined,
    stop: async () => reconciler.close(),
  });
  const controller = manager.addController<Kustomization>(KustomizationType, {
    name: 'kustomization',
    reconcile: reconciler.reconcile,
    predicate: kustomizationChanged,
    concurrency: opts.concurrency,
  });

  sources.on((event, repo, old) => {
    if (event === 'deleted' || event === 'resync') return;
    const artifact = repo.status?.artifact;
    if (!artifact || artifact.revision === old?.status?.artifact?.revision) return;
    const pending = dependencyOrder(kustomizations.list().filter((k) => usesSource(k, repo))).filter(
      // Already working on (or done with) this revision: nothing to do.
      (k) =>
        k.status?.lastAttemptedRevision !== artifact.revision || getCondition(k, 'Ready')?.status !== 'True',
    );
    const enqueue = (first: readonly string[]) => {
      for (const key of [...first, ...pending.map(objectKey)]) controller.enqueue(key);
    };
    // Of thousands sharing a source, a commit usually changes a few: those whose last build read
    // something it changed go first, and the rest only record the revision after them. A
    // Kustomization with dependsOn keeps its place behind its dependencies.
    const movable = pending.filter((k) => !k.spec.dependsOn?.length).map(objectKey);
    if (movable.length < 2) return enqueue([]);
    const triageStarted = Date.now();
    void reconciler.touchedBy(artifact, movable).then(
      (touched) => {
        manager.log.debug('new source revision: the Kustomizations it changes go first', {
          source: objectKey(repo),
          revision: artifact.revision,
          changed: touched?.length ?? 'unknown (artifact not fetched)',
          of: movable.length,
          tookMs: Date.now() - triageStarted,
        });
        enqueue(touched ?? []);
      },
      () => enqueue([]),
    );
  });

  if (opts.watchConfigsLabelSelector) {
    for (const rt of [CoreTypes.configMap, CoreTypes.secret]) {
      const configs = manager.informerFor<ConfigObject & KubeObject>(rt, {
        labelSelector: opts.watchConfigsLabelSelector,
      });
      configs.on((event, obj, old) => {
        if (event === 'resync' || !configs.hasSynced) return;
        if (event === 'modified' && !configChanged(obj, old)) return;
        const kind = rt.kind as 'ConfigMap' | 'Secret';
        const users = usersOfConfig(
          kustomizations.list(),
          kind,
          obj.metadata.namespace ?? 'default',
          obj.metadata.name,
        );
        for (const k of dependencyOrder(users)) controller.enqueue(objectKey(k));
      });
    }
  }

  kustomizations.on((event, k, old) => {
    if (event !== 'modified' || readyState(k) === readyState(old)) return;
    if (getCondition(k, 'Ready')?.status !== 'True') return;
    for (const other of kustomizations.list()) {
      if (dependsOn(other, k.metadata.namespace ?? 'default', k.metadata.name))
        controller.enqueue(objectKey(other));
    }
  });
  return controller;
}
