#!/usr/bin/env node
import { buildCommand } from './build.js';
import { checkCommand } from './check.js';
import { CliError, type Command, wantsHelp } from './command.js';
import { describeError } from './common.js';
import { diffCommand } from './diff.js';
import { getCommand } from './get.js';
import { identityCommand } from './identity.js';
import { installCommand } from './install.js';
import { resumeCommand, suspendCommand } from './suspend.js';
import { syncCommand } from './sync.js';
import { uiCommand } from './ui.js';
import { versionCommand } from './version.js';

// The controller pulls in the whole runtime (seconds to load): only when it is the command run.
const controllerCommand: Command = {
  name: 'controller',
  summary: 'Run the GitRepository and Kustomization controllers',
  usage: '',
  async run(argv) {
    const { controllerCommand: real } = await import('./controller.js');
    return real.run(argv);
  },
};

const commands: Command[] = [
  controllerCommand,
  identityCommand,
  syncCommand,
  getCommand,
  buildCommand,
  diffCommand,
  suspendCommand,
  resumeCommand,
  uiCommand,
  installCommand,
  checkCommand,
  versionCommand,
];

function printHelp(): void {
  const width = Math.max(...commands.map((c) => c.name.length));
  console.log('mooring — a GitOps controller for Kubernetes, API-compatible with Flux v2\n');
  console.log('Usage: mooring COMMAND [flags]\n\nCommands:');
  for (const c of commands) console.log(`  ${c.name.padEnd(width)}  ${c.summary}`);
  console.log("\nRun 'mooring COMMAND --help' for a command's flags and examples.");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    printHelp();
    return 0;
  }
  if (name === '--version') return versionCommand.run([]);
  const command = commands.find((c) => c.name === name);
  if (!command) throw new CliError(`unknown command "${name}"; run 'mooring --help' for the list`, 2);
  if (wantsHelp(rest) && command.name !== 'controller') {
    console.log(command.usage);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (raw: unknown) => {
    const err = describeError(raw);
    process.stderr.write(`error: ${err.message.split('\n')[0]}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  },
);
