// A build process (see buildpool.ts): reads one BuildJob at a time from its parent over IPC, runs
// it, and answers with a BuildOutcome — a failure as data, so that its reason survives the trip.
// (Imports only the build: every build process loads this module graph.)
import { BuildError, type BuiltManifests } from './build.js';
import { buildDecryptingRecorded, type DecryptingBuildJob, DecryptionError } from './decrypt.js';
import { redactValues } from './redact.js';

export type BuildOutcome =
  | { ok: true; built: BuiltManifests }
  | { ok: false; reason: BuildError['reason'] | 'DecryptionFailed'; message: string; stalled?: boolean };

export async function runBuild(job: DecryptingBuildJob): Promise<BuildOutcome> {
  try {
    return { ok: true, built: await buildDecryptingRecorded(job) };
  } catch (err) {
    if (err instanceof BuildError) return { ok: false, reason: err.reason, message: err.message };
    if (err instanceof DecryptionError) {
      return { ok: false, reason: 'DecryptionFailed', message: err.message, stalled: err.stalled };
    }
    return {
      ok: false,
      reason: 'BuildFailed',
      message: redactValues(err instanceof Error ? err.message : String(err), Object.values(job.vars ?? {})),
    };
  }
}

if (process.send && process.env.MOORING_BUILD_PROCESS === '1') {
  process.on('message', async (job: DecryptingBuildJob) => {
    process.send!(await runBuild(job));
  });
  // The controller went away (even by SIGKILL): so does this process.
  process.on('disconnect', () => process.exit(0));
  // Loaded: a build's time limit starts now, not while node starts up.
  process.send({ ready: true });
}
