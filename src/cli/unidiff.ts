// A line-based unified diff (`diff -u` format), enough for object-sized YAML documents.

type Op = { kind: ' ' | '-' | '+'; line: string };

/** The edit script from a to b: common prefix/suffix trimmed, then a longest common subsequence. */
function editScript(a: string[], b: string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ma = a.slice(start, endA);
  const mb = b.slice(start, endB);
  const n = ma.length;
  const m = mb.length;
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  if ((n + 1) * (m + 1) > 4_000_000) {
    // Too big for the quadratic table: show the middle as replaced wholesale.
    for (const line of ma) ops.push({ kind: '-', line });
    for (const line of mb) ops.push({ kind: '+', line });
    for (const line of a.slice(endA)) ops.push({ kind: ' ', line });
    return ops;
  }
  // lcs[i][j] = LCS length of ma[i..] and mb[j..], row-major in one array.
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        ma[i] === mb[j]
          ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ma[i] === mb[j]) {
      ops.push({ kind: ' ', line: ma[i]! });
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) {
      // On a tie delete first, so a change block prints its `-` lines before its `+` lines.
      ops.push({ kind: '-', line: ma[i]! });
      i++;
    } else {
      ops.push({ kind: '+', line: mb[j]! });
      j++;
    }
  }
  for (const line of a.slice(endA)) ops.push({ kind: ' ', line });
  return ops;
}

const splitLines = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

/** `diff -u` of two texts with `context` lines around changes; empty when they are equal. */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { from: string; to: string },
  context = 3,
): string {
  const ops = editScript(splitLines(before), splitLines(after));
  const changed = ops.map((o, i) => (o.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  if (changed.length === 0) return '';
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  // Group changes whose context windows touch into hunks.
  const hunks: Array<[number, number]> = [];
  for (const i of changed) {
    const lo = Math.max(0, i - context);
    const hi = Math.min(ops.length - 1, i + context);
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else hunks.push([lo, hi]);
  }
  // Line numbers (1-based) in a and b at each op index.
  const posA: number[] = [];
  const posB: number[] = [];
  let la = 1;
  let lb = 1;
  for (const o of ops) {
    posA.push(la);
    posB.push(lb);
    if (o.kind !== '+') la++;
    if (o.kind !== '-') lb++;
  }
  for (const [lo, hi] of hunks) {
    const slice = ops.slice(lo, hi + 1);
    const countA = slice.filter((o) => o.kind !== '+').length;
    const countB = slice.filter((o) => o.kind !== '-').length;
    const startA = countA === 0 ? posA[lo]! - 1 : posA[lo]!;
    const startB = countB === 0 ? posB[lo]! - 1 : posB[lo]!;
    out.push(`@@ -${startA},${countA} +${startB},${countB} @@`);
    for (const o of slice) out.push(`${o.kind}${o.line}`);
  }
  return `${out.join('\n')}\n`;
}
