import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildDirectory, KustomizeError, toYaml } from '../kustomize/build.js';
import { KustomizeFsError } from '../kustomize/fs.js';
import { CliError, type Command } from './command.js';

const usage = `Usage: mooring build DIR [--root ROOT] [--generate-kustomization]

Builds the kustomization in DIR (kustomize v5 semantics) and prints the YAML to stdout.
With --generate-kustomization, a directory without a kustomization file is built the way Flux
does: from its YAML files and sub-kustomizations (without it, that is an error, as in kustomize).
No file outside ROOT is read; ROOT defaults to the enclosing git work tree, or to / when DIR is
not in one. Remote bases are refused.`;

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
      options: { root: { type: 'string' }, 'generate-kustomization': { type: 'boolean' } },
      allowPositionals: true,
    });
    const dirArg = positionals[0];
    if (!dirArg || positionals.length > 1) throw new CliError(usage, 2);
    if (!existsSync(dirArg)) throw new CliError(`${dirArg}: no such directory`);
    const dir = realpathSync(dirArg);
    const root = values.root ? realpathSync(values.root) : (gitTop(dir) ?? '/');
    let out: string;
    try {
      out = toYaml(
        buildDirectory(dir, root, { generateKustomization: values['generate-kustomization'] === true }),
      );
    } catch (e) {
      if (e instanceof KustomizeError || e instanceof KustomizeFsError)
        throw new CliError(e.message.replace(/\n/g, ' '));
      throw e;
    }
    process.stdout.write(out);
    return 0;
  },
};
