import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDirectory, KustomizeError, toObjects, toYaml } from '../kustomize/build.js';
import { KustomizeFsError } from '../kustomize/fs.js';
import { type Json, stringifyStream } from '../kustomize/yaml.js';
import { commandLineVars, substituteObjects } from './buildvars.js';
import { CliError, type Command } from './command.js';

const usage = `Usage: mooring build DIR [--root ROOT] [--generate-kustomization]
                     [--substitute KEY=VALUE]... [--substitute-from FILE]...

Builds the kustomization in DIR (kustomize v5 semantics) and prints the YAML to stdout.
With --generate-kustomization, a directory without a kustomization file is built the way Flux
does: from its YAML files and sub-kustomizations (without it, that is an error, as in kustomize).
No file outside ROOT is read; ROOT defaults to the enclosing git work tree, or to / when DIR is
not in one. Remote bases are refused.

--substitute and --substitute-from preview a Kustomization's postBuild substitution: the output
is substituted as the controller would (strict: a variable without a value or default fails).
FILE is a ConfigMap or Secret manifest, a YAML map, or KEY=VALUE lines; files apply in order and
--substitute values override them.

Examples:
  mooring build ./deploy
  mooring build ./deploy --substitute cluster_env=prod --substitute-from ./vars/prod.env`;

/** The top of the git work tree holding dir, if any. */
function gitTop(dir: string): string | undefined {
  let cur = dir;
  for (;;) {
    if (existsSync(path.join(cur, '.git'))) return cur;
    const parent = path.dirname(cur);
    if (parent === cur) return undefined;
    cur = parent;
  }
}

export const buildCommand: Command = {
  name: 'build',
  summary: 'Build a kustomization directory and print the resulting YAML',
  usage,
  async run(argv: string[]) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        'generate-kustomization': { type: 'boolean' },
        substitute: { type: 'string', multiple: true },
        'substitute-from': { type: 'string', multiple: true },
      },
      allowPositionals: true,
    });
    const dirArg = positionals[0];
    if (!dirArg || positionals.length > 1) throw new CliError(usage, 2);
    if (!existsSync(dirArg)) throw new CliError(`${dirArg}: no such directory`);
    const dir = realpathSync(dirArg);
    const root = values.root ? realpathSync(values.root) : (gitTop(dir) ?? '/');
    const vars = await commandLineVars(values.substitute ?? [], values['substitute-from'] ?? []);
    let out: string;
    try {
      const resources = buildDirectory(dir, root, {
        generateKustomization: values['generate-kustomization'] === true,
      });
      out = vars
        ? stringifyStream(substituteObjects(toObjects(resources), vars) as Json[])
        : toYaml(resources);
    } catch (e) {
      if (e instanceof KustomizeError || e instanceof KustomizeFsError)
        throw new CliError(e.message.replace(/\n/g, ' '));
      throw e;
    }
    process.stdout.write(out);
    return 0;
  },
};
