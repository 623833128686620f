// Runs one exported function of a compiled module in a worker thread and fails when it has not
// finished by a deadline. For inputs that take hours with a backtracking matcher and microseconds
// with a linear one: the deadline is a hang guard with a wide margin, not a timing measurement
// (a synchronous hang cannot be interrupted in the test's own thread; a worker can be terminated).
import { Worker } from 'node:worker_threads';

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.url)
  .then((m) => m[workerData.name](...workerData.args))
  .then(
    (value) => parentPort.postMessage({ ok: true, value }),
    (err) => parentPort.postMessage({ ok: false, error: String(err && err.stack || err) }),
  );
`;

export function callWithDeadline<T>(
  module: URL,
  name: string,
  args: unknown[],
  deadlineMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: { url: module.href, name, args } });
    const timer = setTimeout(() => {
      void worker.terminate();
      reject(
        new Error(`${name}(…) did not finish within ${deadlineMs / 1000} s (catastrophic backtracking?)`),
      );
    }, deadlineMs);
    worker.once('message', (m: { ok: boolean; value?: T; error?: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.ok) resolve(m.value as T);
      else reject(new Error(m.error));
    });
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
