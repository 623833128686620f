// JSON 6902 patches (`patchesJson6902`, and `patches` entries that are lists of operations).
import { applyJsonPatch, type JsonPatchOp } from '../merge/jsonpatch.js';
import { KustomizeError, type Resource } from '../resource.js';

export function applyJson6902(targets: Resource[], ops: JsonPatchOp[], where: string): void {
  for (const r of targets) {
    r.storePreviousId();
    try {
      r.obj = applyJsonPatch(structuredClone(r.obj), ops);
    } catch (e) {
      throw new KustomizeError(`${where}: ${(e as Error).message} (in ${r.kind} ${r.name})`);
    }
    const last = r.previousIds[r.previousIds.length - 1]!;
    const cur = r.id;
    if (last.name === cur.name && last.namespace === cur.namespace && last.kind === cur.kind)
      r.previousIds.pop();
  }
}
