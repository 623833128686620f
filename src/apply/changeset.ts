// What a verb did to each object, as data: callers log it, put the changed lines in events and
// turn it into an inventory (Flux ssa/changeset.go).
import { formatRef, type ObjectRef } from '../kube/dynamic.js';
import { type InventoryEntry, inventoryOf } from './inventory.js';

export type Action = 'created' | 'configured' | 'unchanged' | 'skipped' | 'deleted';

export interface ChangeSetEntry {
  ref: ObjectRef;
  /** `Kind/namespace/name`, as Flux prints it. */
  subject: string;
  action: Action;
  /** Why an object was skipped, or how it was configured (e.g. "recreated"). */
  note?: string;
}

const ORDER: readonly Action[] = ['created', 'configured', 'unchanged', 'skipped', 'deleted'];

export class ChangeSet {
  readonly entries: ChangeSetEntry[] = [];

  add(ref: ObjectRef, action: Action, note?: string): ChangeSetEntry {
    const entry: ChangeSetEntry = { ref, subject: formatRef(ref), action, ...(note ? { note } : {}) };
    this.entries.push(entry);
    return entry;
  }

  append(other: ChangeSet): void {
    this.entries.push(...other.entries);
  }

  count(action: Action): number {
    return this.entries.filter((e) => e.action === action).length;
  }

  /** True when any object was written (created, configured or deleted). */
  get changed(): boolean {
    return this.entries.some(
      (e) => e.action === 'created' || e.action === 'configured' || e.action === 'deleted',
    );
  }

  find(subject: string): ChangeSetEntry | undefined {
    return this.entries.find((e) => e.subject === subject);
  }

  /** `subject → action`, the `output` map Flux logs with "server-side apply completed". */
  toMap(): Record<string, Action> {
    return Object.fromEntries(this.entries.map((e) => [e.subject, e.action]));
  }

  /** One line per entry (`ConfigMap/default/foo configured`); by default only objects that changed. */
  lines(filter: (e: ChangeSetEntry) => boolean = (e) => e.action !== 'unchanged'): string[] {
    return this.entries.filter(filter).map((e) => `${e.subject} ${e.action}`);
  }

  /** `2 created, 1 configured, 997 unchanged`: actions with a count, in a fixed order. */
  summary(): string {
    const parts = ORDER.map((a) => [a, this.count(a)] as const)
      .filter(([, n]) => n > 0)
      .map(([a, n]) => `${n} ${a}`);
    return parts.length ? parts.join(', ') : 'no objects';
  }

  toString(): string {
    return this.lines(() => true).join('\n');
  }

  /** The inventory of every object in the set except deleted ones (skipped objects stay tracked). */
  toInventory(): InventoryEntry[] {
    return inventoryOf(this.entries.filter((e) => e.action !== 'deleted').map((e) => e.ref));
  }
}
