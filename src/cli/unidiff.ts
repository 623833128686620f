// `diff -u` of two object renderings, on the `diff` package's Myers implementation. Past
// MAX_EDITS changed lines (a rewritten object) Myers' cost grows with the square of the edit
// count: the object is then shown replaced as a whole, which is what such a diff says anyway.
import { structuredPatch } from 'diff';

const MAX_EDITS = 1_000;

const lines = (text: string): string[] => {
  if (text === '') return [];
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
};

/** `diff -u` of two texts with `context` lines around changes; empty when they are equal. */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { from: string; to: string },
  context = 3,
): string {
  if (before === after) return '';
  const head = [`--- ${labels.from}`, `+++ ${labels.to}`];
  const patch = structuredPatch(labels.from, labels.to, before, after, undefined, undefined, {
    context,
    maxEditLength: MAX_EDITS,
  });
  if (!patch) {
    const a = lines(before);
    const b = lines(after);
    const hunk = `@@ -${a.length ? 1 : 0},${a.length} +${b.length ? 1 : 0},${b.length} @@`;
    return `${[...head, hunk, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)].join('\n')}\n`;
  }
  if (patch.hunks.length === 0) return '';
  const out = [...head];
  for (const h of patch.hunks) {
    // As GNU diff: an empty side is numbered by the line before it.
    const oldStart = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
    const newStart = h.newLines === 0 ? h.newStart - 1 : h.newStart;
    out.push(`@@ -${oldStart},${h.oldLines} +${newStart},${h.newLines} @@`);
    for (const l of h.lines) if (!l.startsWith('\\')) out.push(l);
  }
  return `${out.join('\n')}\n`;
}
