// `mooring get sources|kustomizations [NAME]`: what `flux get` shows, as a kubectl-style table or
// as the objects themselves (-o yaml|json).
import { isNotFound } from '../kube/errors.js';
import { collectionPath, type ObjectList, objectPath } from '../kube/resource.js';
import { driftColumn } from '../kustomization/drift.js';
import { CliError, type Command } from './command.js';
import {
  age,
  connectionFlags,
  describeObject,
  formatTable,
  type KindInfo,
  outputFlag,
  parseKind,
  parseOutput,
  printObjects,
  readiness,
  withoutManagedFields,
  withSession,
} from './common.js';
import { type FlagSpecs, flagsHelp, parseFlags } from './flags.js';
import type { FluxObject } from './reconcile.js';

const flags = {
  ...connectionFlags,
  'all-namespaces': {
    type: 'boolean',
    short: 'A',
    default: false,
    help: 'List objects of every namespace (adds a NAMESPACE column)',
  },
  ...outputFlag,
} satisfies FlagSpecs;

function revisionOf(kind: KindInfo, obj: FluxObject): string {
  const rev =
    kind.kind === 'GitRepository' ? obj.status?.artifact?.revision : obj.status?.lastAppliedRevision;
  return rev ?? '';
}

export function tableOf(
  kind: KindInfo,
  items: FluxObject[],
  allNamespaces: boolean,
  now = Date.now(),
): string {
  const withDrift = kind.kind === 'Kustomization';
  const headers = [
    'NAME',
    'REVISION',
    'SUSPENDED',
    'READY',
    ...(withDrift ? ['DRIFT'] : []),
    'MESSAGE',
    'AGE',
  ];
  const rows = items.map((o) => {
    const { ready, message } = readiness(o);
    const row = [
      o.metadata.name,
      revisionOf(kind, o),
      String(o.spec?.suspend === true),
      ready,
      ...(withDrift ? [driftColumn(o.status?.conditions ?? [], (t) => age(t, now))] : []),
      oneLine(message),
      age(o.metadata.creationTimestamp, now),
    ];
    return allNamespaces ? [o.metadata.namespace ?? '', ...row] : row;
  });
  return formatTable(allNamespaces ? ['NAMESPACE', ...headers] : headers, rows);
}

export const getCommand: Command = {
  name: 'get',
  usage: `List sources (GitRepositories) or Kustomizations: name, revision (fetched or applied),
suspended, ready, the Ready condition's message, and age.

Usage: mooring get (sources|kustomizations) [NAME] [flags]

Kinds: sources, source, gitrepositories, gitrepository, gitrepo; kustomizations, kustomization, ks.

Examples:
  mooring get sources -n flux-system
  mooring get ks -A
  mooring get kustomization apps -o yaml

Exit status: 0 on success (also when nothing is found); 1 when a named object is missing or the
cluster cannot be reached; 2 on a usage error.

Flags:
${flagsHelp(flags)}`,

  async run(argv) {
    const { flags: f, positionals } = parseFlags(flags, argv);
    if (positionals.length === 0) throw new CliError('missing kind: expected sources or kustomizations', 2);
    if (positionals.length > 2) throw new CliError(`unexpected argument "${positionals[2]}"`, 2);
    const kind = parseKind(positionals[0], 'sources|kustomizations');
    const name = positionals[1];
    const format = parseOutput(f.output);
    if (name && f['all-namespaces']) throw new CliError('a NAME cannot be combined with --all-namespaces', 2);
    return withSession(f, async (s) => {
      let items: FluxObject[];
      if (name) {
        try {
          items = [await s.client.get<FluxObject>(objectPath(kind.type, s.namespace, name))];
        } catch (err) {
          if (isNotFound(err)) throw new CliError(`${describeObject(kind, s.namespace, name)} not found`);
          throw err;
        }
      } else {
        const list = await s.client.get<ObjectList<FluxObject>>(
          collectionPath(kind.type, f['all-namespaces'] ? undefined : s.namespace),
        );
        items = list.items.sort(
          (a, b) =>
            (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
            a.metadata.name.localeCompare(b.metadata.name),
        );
      }
      if (format !== 'table') {
        // Items of a list come without apiVersion/kind: put them back, as kubectl does.
        const objects = items.map((o) =>
          withoutManagedFields({
            apiVersion: `${kind.type.group}/${kind.type.version}`,
            kind: kind.kind,
            ...o,
          }),
        );
        printObjects(
          format,
          name
            ? objects[0]
            : { apiVersion: 'v1', kind: 'List', items: objects, metadata: { resourceVersion: '' } },
        );
        return 0;
      }
      if (items.length === 0) {
        process.stderr.write(
          f['all-namespaces'] ? 'No resources found\n' : `No resources found in ${s.namespace} namespace.\n`,
        );
        return 0;
      }
      process.stdout.write(tableOf(kind, items, f['all-namespaces']));
      return 0;
    });
  },
};

/** A message on one line: each run of blanks holding a line break becomes one space (linear time). */
function oneLine(message: string): string {
  return message.replace(/\s+/g, (run) => (run.includes('\n') ? ' ' : run));
}
