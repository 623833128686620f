// `mooring sync KIND NAME`: the seed's `fluxctl sync`, done the Flux way (see reconcile.ts).

import { CliError, type Command } from './command.js';
import {
  connectionFlags,
  expectArgs,
  GitRepositoryKind,
  KustomizationKind,
  parseKind,
  parseTimeout,
  withSession,
} from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';
import {
  ensureNotSuspended,
  getObject,
  Progress,
  revisionLine,
  syncObject,
  type Target,
} from './reconcile.js';

const flags = {
  ...connectionFlags,
  'with-source': {
    type: 'boolean',
    default: false,
    help: "Sync the Kustomization's GitRepository first, so the newest commit is applied",
  },
  timeout: {
    type: 'string',
    default: '5m',
    help: 'How long to wait for each object to be reconciled',
    value: 'DURATION',
  },
} satisfies FlagSpecs;

export const syncCommand: Command = {
  name: 'sync',
  usage: `Ask the controller to reconcile an object now (annotation reconcile.fluxcd.io/requestedAt,
as 'flux reconcile' does), wait until it has been handled, and print the revision fetched or
applied. Progress is shown while waiting: a spinner on a terminal, plain lines otherwise.

Usage: mooring sync (gitrepository|kustomization) NAME [flags]

Examples:
  # Fetch the newest commit of a GitRepository
  mooring sync gitrepository podinfo -n flux-system

  # Fetch the source, then apply it, waiting at most 2 minutes for each
  mooring sync kustomization apps --with-source --timeout 2m

Exit status: 0 when the object is Ready; 1 when the reconcile failed (the condition's message is
printed), the object is missing or suspended, or the wait timed out; 2 on a usage error.

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    const [kindWord, name] = expectArgs(positionals, ['KIND', 'NAME']);
    const kind = parseKind(kindWord);
    const timeoutMs = parseTimeout(f.timeout);
    if (f['with-source'] && kind !== KustomizationKind)
      throw new CliError('--with-source applies to a kustomization only', 2);
    const deadline = Date.now() + timeoutMs;
    const progress = new Progress();
    try {
      return await withSession(f, async (s) => {
        const target: Target = { kind, namespace: s.namespace, name: name! };
        const obj = await getObject(s, target);
        ensureNotSuspended(target, obj);
        if (f['with-source']) {
          const ref = obj.spec?.sourceRef;
          if (!ref) throw new CliError(`Kustomization '${s.namespace}/${name}' has no spec.sourceRef`);
          if (ref.kind !== 'GitRepository')
            throw new CliError(`source kind ${ref.kind} is not supported by mooring sync --with-source`);
          const source: Target = {
            kind: GitRepositoryKind,
            namespace: ref.namespace || s.namespace,
            name: ref.name,
          };
          ensureNotSuspended(source, await getObject(s, source));
          const synced = await syncObject(s, source, { deadline, timeoutText: f.timeout, progress });
          console.log(revisionLine(source, synced));
        }
        const synced = await syncObject(s, target, { deadline, timeoutText: f.timeout, progress });
        console.log(revisionLine(target, synced));
        return 0;
      });
    } finally {
      progress.stop();
    }
  },
};
