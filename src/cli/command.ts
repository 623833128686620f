/** One `mooring` subcommand: a file under src/cli/ exports one of these. */
export interface Command {
  name: string;
  usage: string;
  /** Returns the process exit code. Throwing a CliError prints its message as one line. */
  run(argv: string[]): Promise<number>;
}

/** An error meant for the user: printed as `error: <message>` with the given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function wantsHelp(argv: string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
