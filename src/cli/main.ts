#!/usr/bin/env node
import { CliError, wantsHelp } from './command.js';
import { commands } from './commands.js';
import { describeError } from './errors.js';

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
  const entry = commands.find((c) => c.name === (name === '--version' ? 'version' : name));
  if (!entry) throw new CliError(`unknown command "${name}"; run 'mooring --help' for the list`, 2);
  const command = await entry.load();
  if (name === '--version') return command.run([]);
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
