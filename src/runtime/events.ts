// Kubernetes Events for the objects we reconcile. Repeats of the same event (same object, reason
// and message) within the aggregation window update one Event's count instead of creating new ones.
import { randomBytes } from 'node:crypto';
import { ContentType, type KubeClient } from '../kube/client.js';
import { CoreTypes, collectionPath, type KubeObject, objectPath } from '../kube/resource.js';
import { errorMessage, type Logger } from './logger.js';
import type { EventForwarder } from './notify.js';

export type EventType = 'Normal' | 'Warning';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  first: string;
  at: number;
}

const WINDOW_MS = 10 * 60_000;

/** Object annotations with this prefix travel with every event (Flux RFC-0008). */
const EVENT_ANNOTATION_PREFIX = 'event.toolkit.fluxcd.io/';

/** The event metadata Flux adds from the object: its `event.toolkit.fluxcd.io/` annotations. */
export function eventMetadata(obj: KubeObject, annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...annotations };
  for (const [k, v] of Object.entries(obj.metadata.annotations ?? {})) {
    if (k.startsWith(EVENT_ANNOTATION_PREFIX)) out[k] = v;
  }
  return out;
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly log: Logger,
    private readonly forwarder?: EventForwarder,
  ) {}

  /** Delivers queued events to the events address (on shutdown). */
  async close(): Promise<void> {
    await this.forwarder?.close();
  }

  /**
   * Posts an event to the events address only, with no Kubernetes Event: for a per-pass heartbeat
   * that notification-controller needs (commit statuses) but that would otherwise write the
   * apiserver on every pass of every object.
   */
  notify(
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    annotations: Record<string, string> = {},
  ): void {
    this.forward(obj, type, reason, message, eventMetadata(obj, annotations));
  }

  /** Records an event; failures are logged, never thrown (events are best effort). */
  async record(
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    annotations = eventMetadata(obj, annotations);
    this.forward(obj, type, reason, message, annotations);
    const namespace = obj.metadata.namespace ?? 'default';
    const key = `${obj.metadata.uid}|${type}|${reason}|${message}`;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    try {
      const prev = this.seen.get(key);
      if (prev && Date.now() - prev.at < WINDOW_MS) {
        prev.count++;
        prev.at = Date.now();
        await this.client.patch(
          objectPath(CoreTypes.event, prev.namespace, prev.name),
          { count: prev.count, lastTimestamp: now },
          ContentType.mergePatch,
        );
        return;
      }
      const name = `${obj.metadata.name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
      await this.client.post(collectionPath(CoreTypes.event, namespace), {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace, annotations },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace: obj.metadata.namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        reason,
        message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
        type,
        source: { component: this.component },
        reportingComponent: this.component,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      this.seen.set(key, { name, namespace, count: 1, first: now, at: Date.now() });
      if (this.seen.size > 4096) this.evict();
    } catch (err) {
      this.seen.delete(key);
      this.log.error('failed to record event', { reason, error: errorMessage(err) });
    }
  }

  /** Every event goes to the events address too, aggregated or not (as Flux's recorder does). */
  private forward(
    obj: KubeObject,
    type: EventType,
    reason: string,
    message: string,
    metadata: Record<string, string>,
  ): void {
    const { namespace } = obj.metadata;
    // Flux refuses events without kind or namespace too (notification-controller needs both).
    if (!this.forwarder || !namespace || !obj.kind) return;
    this.forwarder.send({
      involvedObject: {
        apiVersion: obj.apiVersion ?? '',
        kind: obj.kind,
        name: obj.metadata.name,
        namespace,
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
        ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
      },
      severity: type === 'Warning' ? 'error' : 'info',
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      message,
      reason,
      ...(Object.keys(metadata).length ? { metadata } : {}),
    });
  }

  private evict(): void {
    const cutoff = Date.now() - WINDOW_MS;
    for (const [k, v] of this.seen) if (v.at < cutoff) this.seen.delete(k);
  }
}
