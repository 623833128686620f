// `mooring suspend|resume KIND NAME`: flip spec.suspend with a merge patch. Resume also requests
// a reconcile in the same patch and waits for it, as `flux resume` does.
import type { Command } from './command.js';
import {
  connectionFlags,
  describeObject,
  expectArgs,
  parseKind,
  parseTimeout,
  requestToken,
  withSession,
} from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';
import {
  getObject,
  mergePatch,
  Progress,
  requestPatch,
  revisionLine,
  type Target,
  waitForReconcile,
} from './reconcile.js';

const suspendFlags = { ...connectionFlags } satisfies FlagSpecs;

const resumeFlags = {
  ...connectionFlags,
  wait: { type: 'boolean', default: true, help: 'Wait for the reconcile the resume requests' },
  timeout: { type: 'string', default: '5m', help: 'How long to wait for the reconcile', value: 'DURATION' },
} satisfies FlagSpecs;

export const suspendCommand: Command = {
  name: 'suspend',
  usage: `Suspend an object: the controller stops reconciling it (no fetch, no apply, no drift
correction, no prune) until it is resumed. Sets spec.suspend: true.

Usage: mooring suspend (gitrepository|kustomization) NAME [flags]

Examples:
  mooring suspend kustomization apps -n flux-system
  mooring suspend gitrepository podinfo

Exit status: 0 when suspended; 1 when the object is missing or the cluster cannot be reached;
2 on a usage error.

Flags:
${flagsHelp(suspendFlags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(suspendFlags, argv);
    const [kindWord, name] = expectArgs(positionals, ['KIND', 'NAME']);
    const kind = parseKind(kindWord);
    return withSession(f, async (s) => {
      const target: Target = { kind, namespace: s.namespace, name: name! };
      const progress = new Progress();
      progress.step(`suspending ${kind.kind} ${name} in ${s.namespace} namespace`);
      await mergePatch(s, target, { spec: { suspend: true } });
      console.log(`✔ ${describeObject(kind, s.namespace, name!)} suspended`);
      return 0;
    });
  },
};

export const resumeCommand: Command = {
  name: 'resume',
  usage: `Resume a suspended object: sets spec.suspend: false and requests a reconcile in the same
patch, then waits until the controller handled it (unless --wait=false) and prints the revision.

Usage: mooring resume (gitrepository|kustomization) NAME [flags]

Examples:
  mooring resume kustomization apps -n flux-system
  mooring resume gitrepository podinfo --wait=false

Exit status: 0 when resumed (and Ready, when waiting); 1 when the reconcile failed or timed out,
the object is missing, or the cluster cannot be reached; 2 on a usage error.

Flags:
${flagsHelp(resumeFlags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(resumeFlags, argv);
    const [kindWord, name] = expectArgs(positionals, ['KIND', 'NAME']);
    const kind = parseKind(kindWord);
    const timeoutMs = parseTimeout(f.timeout);
    const deadline = Date.now() + timeoutMs;
    const progress = new Progress();
    try {
      return await withSession(f, async (s) => {
        const target: Target = { kind, namespace: s.namespace, name: name! };
        await getObject(s, target);
        const token = requestToken();
        progress.step(`resuming ${kind.kind} ${name} in ${s.namespace} namespace`);
        await mergePatch(s, target, { ...requestPatch(token), spec: { suspend: false } });
        console.log(`✔ ${describeObject(kind, s.namespace, name!)} resumed`);
        if (!f.wait) return 0;
        const obj = await waitForReconcile(s, target, { token, deadline, timeoutText: f.timeout, progress });
        console.log(revisionLine(target, obj));
        return 0;
      });
    } finally {
      progress.stop();
    }
  },
};
