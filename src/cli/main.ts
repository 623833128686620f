#!/usr/bin/env node
import { buildCommand } from './build.js';
import { CliError, type Command, wantsHelp } from './command.js';
import { controllerCommand } from './controller.js';
import { versionCommand } from './version.js';

const commands: Command[] = [controllerCommand, buildCommand, versionCommand];

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
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message.split('\n')[0]}\n`);
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  },
);
