// SOPS's document model: ordered branches (key order matters: the MAC is computed in document
// order), lists and scalar leaves. Comments are not part of it (see docs/sops.md, limits).

export type Leaf = string | number | boolean | Uint8Array;
export type TreeValue = Leaf | null | Branch | TreeValue[];

export interface TreeItem {
  key: string;
  value: TreeValue;
}

export class Branch {
  constructor(readonly items: TreeItem[] = []) {}

  get(key: string): TreeValue | undefined {
    return this.items.find((i) => i.key === key)?.value;
  }

  without(key: string): Branch {
    return new Branch(this.items.filter((i) => i.key !== key));
  }
}

/** A plain JS value of a branch, for reading the (known, small) metadata. Prototype-safe. */
export function toPlain(v: TreeValue): unknown {
  if (v instanceof Branch) {
    const o: Record<string, unknown> = Object.create(null);
    for (const i of v.items) o[i.key] = toPlain(i.value);
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}
