import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generatedKustomization } from '../kustomization/buildkustomization.js';
import { buildDirectory, KustomizeError, toObjects, toYaml } from '../kustomize/build.js';
import { KustomizeFsError } from '../kustomize/fs.js';
import type { Json } from '../kustomize/yaml-types.js';
import { stringifyStream } from '../kustomize/yaml-write.js';
import { commandLineVars, substituteObjects } from './buildvars.js';
import { CliError, type Command } from './command.js';
import { decryptedBuild } from './decryptbuild.js';

const usage = `Usage: mooring build DIR [--root ROOT] [--generate-kustomization]
                     [--substitute KEY=VALUE]... [--substitute-from FILE]...
                     [--decrypt-with KEYFILE]...

Builds the kustomization in DIR (kustomize v5 semantics) and prints the YAML to stdout.
With --generate-kustomization, a directory without a kustomization file is built the way Flux
does: from its YAML files and sub-kustomizations (without it, that is an error, as in kustomize).
No file outside ROOT is read; ROOT defaults to the enclosing git work tree, or to / when DIR is
not in one. Remote bases are refused.

--substitute and --substitute-from preview a Kustomization's postBuild substitution: the output
is substituted as the controller would (strict: a variable without a value or default fails).
FILE is a ConfigMap or Secret manifest, a YAML map, or KEY=VALUE lines; files apply in order and
--substitute values override them.

--decrypt-with previews a Kustomization with spec.decryption: SOPS-encrypted resources, generator
sources and patches are decrypted (in memory) with the age identities or armored OpenPGP private
keys in KEYFILE, as the controller does (a directory without a kustomization file is then built
the way Flux does). The output holds plain Secrets: do not commit it.

Examples:
  mooring build ./deploy
  mooring build ./deploy --decrypt-with ~/.config/sops/age/keys.txt
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
  usage,
  async run(argv: string[]) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        root: { type: 'string' },
        'generate-kustomization': { type: 'boolean' },
        substitute: { type: 'string', multiple: true },
        'substitute-from': { type: 'string', multiple: true },
        'decrypt-with': { type: 'string', multiple: true },
      },
      allowPositionals: true,
    });
    const dirArg = positionals[0];
    if (!dirArg || positionals.length > 1) throw new CliError(usage, 2);
    if (!existsSync(dirArg)) throw new CliError(`${dirArg}: no such directory`);
    const dir = realpathSync(dirArg);
    const root = values.root ? realpathSync(values.root) : (gitTop(dir) ?? '/');
    const vars = await commandLineVars(values.substitute ?? [], values['substitute-from'] ?? []);
    const keyFiles = values['decrypt-with'] ?? [];
    if (keyFiles.length > 0) {
      process.stdout.write(await decryptedBuild(dir, root, keyFiles, vars));
      return 0;
    }
    let out: string;
    try {
      const resources = buildDirectory(dir, root, {
        ...(values['generate-kustomization'] === true
          ? { missingKustomization: generatedKustomization }
          : {}),
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
