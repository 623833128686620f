// kstatus-compatible health of a live object (sigs.k8s.io/cli-utils pkg/kstatus/status rules):
// generic checks first (deletion, observedGeneration, Reconciling/Stalled), then per-kind rules
// for the built-in workload kinds, then a Ready condition for custom resources. Pure.
import type { Manifest } from '../kube/dynamic.js';

export type HealthStatus = 'Current' | 'InProgress' | 'Failed' | 'Terminating' | 'NotFound' | 'Unknown';

export interface Health {
  status: HealthStatus;
  message: string;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

type Obj = Record<string, unknown>;

function field(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Obj)[p];
  }
  return cur;
}

function int(obj: unknown, path: string, dflt: number): number {
  const v = field(obj, path);
  return typeof v === 'number' ? v : dflt;
}

function conditions(obj: unknown): Condition[] {
  const c = field(obj, 'status.conditions');
  return Array.isArray(c) ? (c as Condition[]) : [];
}

function condition(obj: unknown, type: string): Condition | undefined {
  return conditions(obj).find((c) => c.type === type);
}

const current = (message: string): Health => ({ status: 'Current', message });
const inProgress = (message: string): Health => ({ status: 'InProgress', message });
const failed = (message: string): Health => ({ status: 'Failed', message });

export function computeHealth(obj: Manifest | undefined): Health {
  if (!obj) return { status: 'NotFound', message: 'object not found' };
  if (obj.metadata.deletionTimestamp)
    return { status: 'Terminating', message: 'object scheduled for deletion' };

  const generation = obj.metadata.generation;
  const observed = field(obj, 'status.observedGeneration');
  if (typeof observed === 'number' && typeof generation === 'number' && observed !== generation)
    return inProgress(
      `${obj.kind} generation is ${generation}, but latest observed generation is ${observed}`,
    );

  for (const c of conditions(obj)) {
    if (c.type === 'Reconciling' && c.status === 'True')
      return inProgress(c.message || c.reason || 'Reconciling');
    if (c.type === 'Stalled' && c.status === 'True') return failed(c.message || c.reason || 'Stalled');
  }

  const group = (obj.apiVersion ?? '').includes('/') ? obj.apiVersion.split('/')[0] : '';
  const rule = group !== undefined ? KIND_RULES[`${group}/${obj.kind}`] : undefined;
  if (rule) return rule(obj);
  return readyCondition(obj);
}

/** Custom resources: a Ready condition, when present, decides; without one the object is Current. */
function readyCondition(obj: Manifest): Health {
  const ready = condition(obj, 'Ready');
  if (!ready) return current('Resource is current');
  if (
    typeof ready.observedGeneration === 'number' &&
    typeof obj.metadata.generation === 'number' &&
    ready.observedGeneration !== obj.metadata.generation
  )
    return inProgress('Ready condition is stale (observedGeneration differs from generation)');
  if (ready.status === 'True') return current(ready.message || 'Resource is Ready');
  return inProgress(ready.message || ready.reason || `Ready is ${ready.status ?? 'Unknown'}`);
}

function deployment(obj: Manifest): Health {
  let progressing = false;
  let available = false;
  for (const c of conditions(obj)) {
    if (c.type === 'Progressing') {
      if (c.reason === 'ProgressDeadlineExceeded') return failed('Progress deadline exceeded');
      if (c.status === 'True' && c.reason === 'NewReplicaSetAvailable') progressing = true;
    }
    if (c.type === 'Available' && c.status === 'True') available = true;
  }
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const avail = int(obj, 'status.availableReplicas', 0);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > updated) return inProgress(`Updated: ${updated}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  if (spec > avail) return inProgress(`Available: ${avail}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (!progressing) return inProgress('ReplicaSet not Available');
  if (!available) return inProgress('Deployment not Available');
  return current(`Deployment is available. Replicas: ${replicas}`);
}

function statefulSet(obj: Manifest): Health {
  if (field(obj, 'spec.updateStrategy.type') === 'OnDelete')
    return current('StatefulSet is using the ondelete update strategy');
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  const currentReplicas = int(obj, 'status.currentReplicas', 0);
  const updated = int(obj, 'status.updatedReplicas', 0);
  if (spec > replicas) return inProgress(`Replicas: ${replicas}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  const partition = int(obj, 'spec.updateStrategy.rollingUpdate.partition', -1);
  if (partition !== -1) {
    if (updated < replicas - partition) return inProgress(`updated: ${updated}/${replicas - partition}`);
    return current(`Partition rollout complete. updated: ${updated}`);
  }
  if (spec > currentReplicas) return inProgress(`Current: ${currentReplicas}/${spec}`);
  if (field(obj, 'status.currentRevision') !== field(obj, 'status.updateRevision'))
    return inProgress('Waiting for updated revision to match current');
  return current(`All replicas scheduled as expected. Replicas: ${replicas}`);
}

function daemonSet(obj: Manifest): Health {
  const desired = int(obj, 'status.desiredNumberScheduled', -1);
  if (desired === -1) return inProgress('Missing .status.desiredNumberScheduled');
  const scheduled = int(obj, 'status.currentNumberScheduled', 0);
  const updated = int(obj, 'status.updatedNumberScheduled', 0);
  const available = int(obj, 'status.numberAvailable', 0);
  const ready = int(obj, 'status.numberReady', 0);
  if (desired > scheduled) return inProgress(`Current: ${scheduled}/${desired}`);
  if (desired > updated) return inProgress(`Updated: ${updated}/${desired}`);
  if (desired > ready) return inProgress(`Ready: ${ready}/${desired}`);
  if (desired > available) return inProgress(`Available: ${available}/${desired}`);
  return current(`All replicas scheduled as expected. Replicas: ${desired}`);
}

function replicaSet(obj: Manifest): Health {
  const failure = condition(obj, 'ReplicaFailure');
  if (failure?.status === 'True')
    return inProgress('Replica Failure condition. See resource events for details.');
  const spec = int(obj, 'spec.replicas', 1);
  const replicas = int(obj, 'status.replicas', 0);
  const labelled = int(obj, 'status.fullyLabeledReplicas', 0);
  const available = int(obj, 'status.availableReplicas', 0);
  const ready = int(obj, 'status.readyReplicas', 0);
  if (spec > labelled) return inProgress(`Labelled: ${labelled}/${spec}`);
  if (spec > available) return inProgress(`Available: ${available}/${spec}`);
  if (spec > ready) return inProgress(`Ready: ${ready}/${spec}`);
  if (replicas > spec) return inProgress(`Pending termination: ${replicas - spec}`);
  return current(`ReplicaSet is available. Replicas: ${replicas}`);
}

function job(obj: Manifest): Health {
  const parallelism = int(obj, 'spec.parallelism', 1);
  const completions = int(obj, 'spec.completions', parallelism);
  const succeeded = int(obj, 'status.succeeded', 0);
  const failedPods = int(obj, 'status.failed', 0);
  for (const c of conditions(obj)) {
    if (c.type === 'Complete' && c.status === 'True')
      return current(`Job Completed. succeeded: ${succeeded}/${completions}`);
    if (c.type === 'Failed' && c.status === 'True')
      return failed(`Job Failed. failed: ${failedPods}/${completions}`);
  }
  if (field(obj, 'status.startTime') === undefined) return inProgress('Job not started');
  return inProgress(
    `Job in progress. success:${succeeded}, active: ${int(obj, 'status.active', 0)}, failed: ${failedPods}`,
  );
}

function pod(obj: Manifest): Health {
  const phase = field(obj, 'status.phase');
  if (phase === 'Succeeded') return current('Pod has completed successfully');
  if (phase === 'Failed') return failed('Pod has completed, but not successfully');
  if (phase === 'Running') {
    if (condition(obj, 'Ready')?.status === 'True') return current('Pod is Ready');
    const statuses = field(obj, 'status.containerStatuses');
    if (Array.isArray(statuses))
      for (const s of statuses as Obj[])
        if (field(s, 'state.waiting.reason') === 'CrashLoopBackOff')
          return failed(`Container ${String(s.name)} is in CrashLoopBackOff`);
    return inProgress('Pod is running but is not Ready');
  }
  const scheduled = condition(obj, 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable')
    return inProgress('Pod could not be scheduled');
  return inProgress('Pod has not been scheduled');
}

function pvc(obj: Manifest): Health {
  return field(obj, 'status.phase') === 'Bound' ? current('PVC is Bound') : inProgress('PVC is not Bound');
}

function service(obj: Manifest): Health {
  if (field(obj, 'spec.type') === 'LoadBalancer') {
    const ingress = field(obj, 'status.loadBalancer.ingress');
    if (!Array.isArray(ingress) || ingress.length === 0)
      return inProgress('LoadBalancer has no external address yet');
  }
  return current('Service is ready');
}

function crd(obj: Manifest): Health {
  for (const c of conditions(obj)) {
    if (c.type === 'NamesAccepted' && c.status === 'False')
      return failed(c.message || 'CRD names not accepted');
    if (c.type === 'Established') {
      if (c.status === 'False' && c.reason !== 'Installing')
        return failed(c.message || 'CRD not established');
      if (c.status === 'True') return current('CRD is established');
    }
  }
  return inProgress('Install in progress');
}

const KIND_RULES: Record<string, (obj: Manifest) => Health> = {
  'apps/Deployment': deployment,
  'extensions/Deployment': deployment,
  'apps/StatefulSet': statefulSet,
  'apps/DaemonSet': daemonSet,
  'extensions/DaemonSet': daemonSet,
  'apps/ReplicaSet': replicaSet,
  'extensions/ReplicaSet': replicaSet,
  'batch/Job': job,
  '/Pod': pod,
  '/PersistentVolumeClaim': pvc,
  '/Service': service,
  'apiextensions.k8s.io/CustomResourceDefinition': crd,
};
