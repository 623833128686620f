// Drift as information: which objects changed in the cluster while their manifest in Git did not,
// whether this Kustomization corrects them (the default) or only reports them (the annotation
// `mooring.dev/drift: report`), and how that shows in the `Drifted` condition. Pure.
import { conditionTime, getCondition, removeCondition, setCondition } from '../api/conditions.js';
import type { Kustomization } from '../api/kustomization.js';
import type { DriftedObject } from '../apply/apply.js';

export const DRIFT_ANNOTATION = 'mooring.dev/drift';
export const DriftedCondition = 'Drifted';

export const DriftReason = {
  /** Report-only: objects differ from their manifests and were left as they are. */
  Detected: 'DriftDetected',
  /** The last pass that found drift wrote the objects back. */
  Corrected: 'DriftCorrected',
  /** Report-only, nothing drifted. */
  None: 'NoDrift',
} as const;

export type DriftMode = 'correct' | 'report';

export class InvalidDriftMode extends Error {}

/** The annotation's mode; an unknown value is refused (never silently corrected). */
export function driftMode(obj: Kustomization): DriftMode {
  const value = obj.metadata.annotations?.[DRIFT_ANNOTATION];
  if (value === undefined || value === 'correct') return 'correct';
  if (value === 'report') return 'report';
  throw new InvalidDriftMode(
    `annotation ${DRIFT_ANNOTATION}: "${value.slice(0, 64)}" is not one of "report", "correct"`,
  );
}

const MAX_LISTED = 20;
const MAX_MESSAGE = 4000;

/** `Deployment/ns/app (spec.replicas), ConfigMap/ns/cfg (data.color)`: names and paths, no values. */
export function describeDrift(drift: readonly DriftedObject[], separator = ', '): string {
  const parts = drift.slice(0, MAX_LISTED).map((d) => `${d.subject} (${d.paths.join(', ')})`);
  if (drift.length > MAX_LISTED) parts.push(`and ${drift.length - MAX_LISTED} more`);
  const text = parts.join(separator);
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 3)}...` : text;
}

const objects = (n: number) => `${n} object${n === 1 ? '' : 's'}`;

/**
 * Sets the `Drifted` condition after a full apply pass. Report-only: True (DriftDetected) or False
 * (NoDrift). Correcting: False DriftCorrected with the time of the correction when this pass
 * corrected something; otherwise the last correction stays visible, and a report-only True left
 * over from before the annotation was removed turns into NoDrift.
 */
export function recordDrift(
  obj: Kustomization,
  mode: DriftMode,
  drift: readonly DriftedObject[],
  now = new Date(),
): void {
  if (mode === 'report') {
    if (drift.length > 0)
      setCondition(obj, {
        type: DriftedCondition,
        status: 'True',
        reason: DriftReason.Detected,
        message: `${objects(drift.length)} drifted, left as they are (${DRIFT_ANNOTATION}: report): ${describeDrift(drift)}`,
      });
    else
      setCondition(obj, {
        type: DriftedCondition,
        status: 'False',
        reason: DriftReason.None,
        message: 'No object differs from its applied manifest',
      });
    return;
  }
  const corrected = drift.filter((d) => d.corrected);
  if (corrected.length > 0) {
    // A new correction gets its own transition time, so "when" is always the last one.
    removeCondition(obj, DriftedCondition);
    setCondition(
      obj,
      {
        type: DriftedCondition,
        status: 'False',
        reason: DriftReason.Corrected,
        message: `${objects(corrected.length)} corrected: ${describeDrift(corrected)}`,
        lastTransitionTime: conditionTime(now),
      },
      { now },
    );
    return;
  }
  const current = getCondition(obj, DriftedCondition);
  if (current && current.reason !== DriftReason.Corrected)
    setCondition(obj, {
      type: DriftedCondition,
      status: 'False',
      reason: DriftReason.None,
      message: 'No object differs from its applied manifest',
    });
}

/** The DRIFT column of `mooring get kustomizations`: `2 drifted`, `1 corrected 5m`, or empty. */
export function driftColumn(
  conditions: ReadonlyArray<{ type: string; reason?: string; message?: string; lastTransitionTime?: string }>,
  age: (since: string | undefined) => string,
): string {
  const c = conditions.find((x) => x.type === DriftedCondition);
  if (!c) return '-';
  const count = /^\d+/.exec(c.message ?? '')?.[0] ?? '0';
  if (c.reason === DriftReason.Detected) return `${count} drifted`;
  if (c.reason === DriftReason.Corrected) return `${count} corrected ${age(c.lastTransitionTime)} ago`;
  return '0 drifted';
}

/** What a full apply pass says about drift beyond status: the event, the metrics, what to remember. */
export interface DriftNotice {
  /** The drift the next pass compares with (report-only), or undefined to forget it. */
  reported: string | undefined;
  /** The drifted-objects gauge. */
  drifted: number;
  /** Objects corrected by this pass (counted when > 0). */
  corrected: number;
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/**
 * Correcting: an event and the counter when something was corrected. Report-only: the gauge, and
 * an event only when the drift differs from `reportedBefore` (one event per change, not per pass).
 */
export function driftNotice(
  mode: DriftMode,
  drift: readonly DriftedObject[],
  reportedBefore: string | undefined,
): DriftNotice {
  const describe = (list: readonly DriftedObject[]) =>
    list.map((d) => `${d.subject}: ${d.paths.join(', ')}`).join('\n');
  if (mode === 'report') {
    const now = describe(drift);
    return {
      reported: now,
      drifted: drift.length,
      corrected: 0,
      ...(drift.length > 0 && now !== reportedBefore
        ? {
            event: {
              type: 'Warning',
              reason: DriftReason.Detected,
              message: `Drift left in place (report-only):\n${now}`,
            },
          }
        : {}),
    };
  }
  const corrected = drift.filter((d) => d.corrected);
  return {
    reported: undefined,
    drifted: 0,
    corrected: corrected.length,
    ...(corrected.length > 0
      ? {
          event: {
            type: 'Normal',
            reason: DriftReason.Corrected,
            message: `Drift corrected:\n${describe(corrected)}`,
          },
        }
      : {}),
  };
}
