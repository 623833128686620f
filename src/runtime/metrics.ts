// Prometheus metrics with controller-runtime's and Flux's names (design.md), so existing
// dashboards and alerts work unchanged.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Query } from '../kube/client.js';
import { verbOf } from '../kube/requeststats.js';
import type { QueueObserver } from './queue.js';

export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

export class Metrics {
  readonly registry = new Registry();

  readonly reconcileTotal = new Counter({
    name: 'controller_runtime_reconcile_total',
    help: 'Total number of reconciliations per controller',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'controller_runtime_reconcile_errors_total',
    help: 'Total number of reconciliation errors per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileTime = new Histogram({
    name: 'controller_runtime_reconcile_time_seconds',
    help: 'Length of time per reconciliation per controller',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly activeWorkers = new Gauge({
    name: 'controller_runtime_active_workers',
    help: 'Number of currently used workers per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly maxConcurrent = new Gauge({
    name: 'controller_runtime_max_concurrent_reconciles',
    help: 'Maximum number of concurrent reconciles per controller',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'workqueue_depth',
    help: 'Current depth of workqueue',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: 'workqueue_adds_total',
    help: 'Total number of adds handled by workqueue',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'workqueue_retries_total',
    help: 'Total number of retries handled by workqueue',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly queueDuration = new Histogram({
    name: 'workqueue_queue_duration_seconds',
    help: 'How long in seconds an item stays in workqueue before being requested',
    labelNames: ['name'] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000],
    registers: [this.registry],
  });
  readonly workDuration = new Histogram({
    name: 'workqueue_work_duration_seconds',
    help: 'How long in seconds processing an item from workqueue takes',
    labelNames: ['name'] as const,
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000],
    registers: [this.registry],
  });
  /** Sampled at scrape time from the registered queues (client-go computes them the same way). */
  private readonly queuesInProgress = new Map<
    string,
    () => { unfinishedSeconds: number; longestSeconds: number }
  >();
  readonly queueUnfinishedWork = new Gauge({
    name: 'workqueue_unfinished_work_seconds',
    help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
    labelNames: ['name'] as const,
    registers: [this.registry],
    collect: () => this.sampleQueues(),
  });
  readonly queueLongestRunning = new Gauge({
    name: 'workqueue_longest_running_processor_seconds',
    help: 'How many seconds has the longest running processor for workqueue been running.',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });
  readonly gotkReconcileDuration = new Histogram({
    name: 'gotk_reconcile_duration_seconds',
    help: 'The duration in seconds of a GitOps Toolkit resource reconciliation',
    labelNames: ['kind', 'name', 'namespace'] as const,
    // ExponentialBucketsRange(10ms, 1800s, 10), as Flux.
    buckets: exponentialBucketsRange(0.01, 1800, 10),
    registers: [this.registry],
  });
  readonly reconcileCondition = new Gauge({
    name: 'gotk_reconcile_condition',
    help: 'The current condition status of a GitOps Toolkit resource reconciliation (1 for the status it has)',
    labelNames: ['kind', 'name', 'namespace', 'type', 'status'] as const,
    registers: [this.registry],
  });
  readonly watchErrors = new Counter({
    name: 'mooring_informer_errors_total',
    help: 'List/watch failures per kind (each is followed by a re-list)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'rest_client_requests_total',
    help: 'API requests made by the controller, by HTTP method, status code and verb (dry-run counted apart)',
    labelNames: ['method', 'code', 'verb'] as const,
    registers: [this.registry],
  });
  readonly driftCorrections = new Counter({
    name: 'mooring_drift_corrections_total',
    help: 'Objects written back because they had drifted from an unchanged manifest, per Kustomization',
    labelNames: ['kind', 'namespace', 'name'] as const,
    registers: [this.registry],
  });
  readonly driftedObjects = new Gauge({
    name: 'mooring_drifted_objects',
    help: 'Objects that differ from their unchanged manifest and were left as they are (report-only drift mode)',
    labelNames: ['kind', 'namespace', 'name'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'leader_election_master_status',
    help: 'Whether this process is the leader (1) or not (0)',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Ready per object, as Flux's gotk_reconcile_condition: 1 on the current status, 0 on the others. */
  setReady(
    kind: string,
    namespace: string,
    name: string,
    status: 'True' | 'False' | 'Unknown' | undefined,
  ): void {
    for (const s of ['True', 'False', 'Unknown'] as const) {
      this.reconcileCondition.set({ kind, name, namespace, type: 'Ready', status: s }, s === status ? 1 : 0);
    }
  }

  /** Drops an object's condition series when it is deleted. */
  forgetObject(kind: string, namespace: string, name: string): void {
    for (const s of ['True', 'False', 'Unknown']) {
      this.reconcileCondition.remove({ kind, name, namespace, type: 'Ready', status: s });
    }
    this.driftCorrections.remove({ kind, namespace, name });
    this.driftedObjects.remove({ kind, namespace, name });
  }

  countDriftCorrections(namespace: string, name: string, objects: number): void {
    this.driftCorrections.inc({ kind: 'Kustomization', namespace, name }, objects);
  }

  setDriftedObjects(namespace: string, name: string, objects: number): void {
    this.driftedObjects.set({ kind: 'Kustomization', namespace, name }, objects);
  }

  /** A KubeClient onRequest hook feeding rest_client_requests_total. */
  readonly countRequest = (method: string, path: string, status: number, query?: Query): void => {
    this.apiRequests.inc({ method, code: String(status), verb: verbOf(method, path, query) });
  };

  /** Exports a queue's in-progress work as workqueue_unfinished_work_seconds and _longest_running_. */
  watchQueue(name: string, inProgress: () => { unfinishedSeconds: number; longestSeconds: number }): void {
    this.queuesInProgress.set(name, inProgress);
    this.sampleQueues();
  }

  private sampleQueues(): void {
    for (const [name, inProgress] of this.queuesInProgress) {
      const { unfinishedSeconds, longestSeconds } = inProgress();
      this.queueUnfinishedWork.set({ name }, unfinishedSeconds);
      this.queueLongestRunning.set({ name }, longestSeconds);
    }
  }

  queueObserver(name: string): QueueObserver {
    return {
      depth: (n) => this.queueDepth.set({ name }, n),
      added: () => this.queueAdds.inc({ name }),
      retried: () => this.queueRetries.inc({ name }),
      waited: (s) => this.queueDuration.observe({ name }, s),
      worked: (s) => this.workDuration.observe({ name }, s),
    };
  }
}

export function exponentialBucketsRange(min: number, max: number, count: number): number[] {
  const factor = (max / min) ** (1 / (count - 1));
  return Array.from({ length: count }, (_, i) => min * factor ** i);
}
