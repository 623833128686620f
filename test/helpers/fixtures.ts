// Starting several servers for one test file: either all of them start, or every one that did is
// stopped again before the failure is reported, so a file whose fixtures cannot start fails at
// once with the reason instead of hanging on the servers left behind.

export interface Stoppable {
  stop(): Promise<void> | void;
}

type Started<T extends readonly unknown[]> = { -readonly [K in keyof T]: Awaited<T[K]> };

/** Awaits every start; if any failed, stops those that started and throws with every reason. */
export async function startAll<T extends readonly Promise<Stoppable>[]>(
  starts: readonly [...T],
): Promise<Started<T>> {
  const settled = await Promise.allSettled(starts);
  const failures = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [{ index: i, reason: s.reason }] : [],
  );
  if (failures.length === 0) {
    return settled.map((s) => (s as PromiseFulfilledResult<Stoppable>).value) as Started<T>;
  }
  await Promise.allSettled(
    settled.flatMap((s) => (s.status === 'fulfilled' ? [Promise.resolve().then(() => s.value.stop())] : [])),
  );
  const reasons = failures.map((f) => `#${f.index + 1}: ${(f.reason as Error)?.message ?? String(f.reason)}`);
  throw new Error(
    `fixture did not start (${failures.length} of ${starts.length} failed): ${reasons.join('; ')}`,
  );
}
