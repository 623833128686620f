import type { GitRepository } from '../api/gitrepository.js';
import { GitRepositoryType } from '../api/gitrepository.js';
import { objectKey } from '../kube/resource.js';
import type { Controller } from '../runtime/controller.js';
import type { Manager } from '../runtime/manager.js';
import { type GitBackendFlag, selectBackend } from './git/backend.js';
import { GitRepositoryReconciler } from './reconciler.js';
import { ArtifactServer } from './server.js';
import { Storage } from './storage.js';

export interface SourceControllerOptions {
  storagePath: string;
  storageAddr: string;
  /** host:port written into artifact URLs. */
  storageAdvAddr: string;
  gitBackend: GitBackendFlag;
  retentionTtlMs: number;
  retentionRecords: number;
  concurrency?: number;
}

export interface SourceController {
  controller: Controller<GitRepository>;
  storage: Storage;
  server: ArtifactServer;
}

/** Registers the GitRepository controller and the (leader-only) artifact server on the manager. */
export function setupSourceController(manager: Manager, opts: SourceControllerOptions): SourceController {
  const storage = new Storage(opts.storagePath, opts.storageAdvAddr);
  const informer = manager.informerFor<GitRepository>(GitRepositoryType, { primary: true });
  const reconciler = new GitRepositoryReconciler({
    client: manager.client,
    informer,
    storage,
    git: selectBackend(opts.gitBackend),
    events: manager.events,
    metrics: manager.metrics,
    retention: { ttlMs: opts.retentionTtlMs, records: opts.retentionRecords },
  });
  const controller = manager.addController<GitRepository>(GitRepositoryType, {
    name: 'gitrepository',
    reconcile: reconciler.reconcile,
    concurrency: opts.concurrency,
  });
  // An included repository's new artifact rebuilds the repositories that include it at once
  // (source-controller waits for their interval; the resulting artifact is the same).
  informer.on((event, repo, old) => {
    if (event === 'deleted' || event === 'resync') return;
    const digest = repo.status?.artifact?.digest;
    if (!digest || digest === old?.status?.artifact?.digest) return;
    const namespace = repo.metadata.namespace;
    for (const other of informer.list()) {
      if (other.metadata.namespace !== namespace) continue;
      if (other.spec.include?.some((inc) => inc.repository.name === repo.metadata.name)) {
        controller.enqueue(objectKey(other));
      }
    }
  });
  const server = new ArtifactServer(
    storage,
    opts.storageAddr,
    manager.log.child({ controller: 'artifact-server' }),
  );
  manager.addLeaderRunnable(server);
  return { controller, storage, server };
}
