// What one pass of the Kustomization pipeline ends with: the objects applied, or the step that
// failed with Flux's Ready reason. `summarize` turns it into status, the event and the requeue.
import type { DriftedObject } from '../apply/apply.js';
import type { ChangeSet } from '../apply/changeset.js';
import type { InventoryEntry } from '../apply/inventory.js';
import { StepError } from '../runtime/steperror.js';
import type { DriftMode } from './drift.js';

export type StepReason =
  | 'ArtifactFailed'
  | 'BuildFailed'
  | 'ReconciliationFailed'
  | 'PruneFailed'
  | 'HealthCheckFailed'
  | 'DependencyNotReady'
  | 'AccessDenied'
  | 'InvalidCELExpression'
  | 'DecryptionFailed';

/** A failed step with Flux's Ready reason. `retryAfterMs` overrides retryInterval; `stalled` means no retry. */
export class KustomizationStepError extends StepError<StepReason> {
  constructor(
    reason: StepReason,
    message: string,
    readonly opts: {
      retryAfterMs?: number;
      stalled?: boolean;
      inventory?: InventoryEntry[];
      /** Status and log only, no Event (as Flux, for a source that has no artifact yet). */
      quiet?: boolean;
    } = {},
  ) {
    super(reason, message);
  }
}

export interface Applied {
  kind: 'applied';
  revision: string;
  changeSet: ChangeSet;
  inventory: InventoryEntry[];
  digest: string;
  healthMessage?: string;
  changed: boolean;
  /** Set after a full apply pass: what drifted and whether it was corrected. */
  drift?: { mode: DriftMode; objects: DriftedObject[] };
}

export interface Failed {
  kind: 'failed';
  error: KustomizationStepError;
  revision?: string;
}

export type Outcome = Applied | Failed;
