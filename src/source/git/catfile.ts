// The answer of `git cat-file --batch`: per object name a header line `<oid> SP <type> SP <size>`
// then the content and a newline, or `<name> missing` for a name that names no object.

export interface CatFileHeader {
  oid: string;
  type: string;
  size: number;
}

/** An object read whole: commits and tags, whose text is read as UTF-8. */
export interface CatFileObject {
  oid: string;
  type: string;
  content: string;
}

/** One header line; undefined for `<name> missing` (or anything else that is not a header). */
export function parseCatFileHeader(line: string): CatFileHeader | undefined {
  const m = /^([0-9a-f]{40,64}) (\S+) (\d+)$/.exec(line);
  return m ? { oid: m[1]!, type: m[2]!, size: Number(m[3]) } : undefined;
}

/** The whole buffered answer for `count` names: one object per name, undefined for a missing one. */
export function parseCatFileBatch(out: Buffer, count: number): Array<CatFileObject | undefined> {
  const objects: Array<CatFileObject | undefined> = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    const nl = out.indexOf(10, off);
    if (nl < 0) break;
    const header = parseCatFileHeader(out.subarray(off, nl).toString('utf8'));
    if (!header) {
      objects.push(undefined);
      off = nl + 1;
      continue;
    }
    const { oid, type, size } = header;
    objects.push({ oid, type, content: out.subarray(nl + 1, nl + 1 + size).toString('utf8') });
    off = nl + 1 + size + 1;
  }
  return objects;
}
