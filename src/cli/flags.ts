// Go/pflag-style flags, so `mooring controller` accepts the same argument forms as Flux's
// controllers: `--flag value`, `--flag=value`, `--bool`, `--bool=false`, and short aliases.
import { CliError } from './command.js';

export interface FlagSpec {
  type: 'string' | 'boolean' | 'string[]';
  default?: string | boolean | string[];
  short?: string;
  help: string;
  /** Shown in help, e.g. DURATION. */
  value?: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['type'] extends 'string[]'
    ? string[]
    : string;
export type ParsedFlags<T extends FlagSpecs> = {
  [K in keyof T]: T[K]['default'] extends undefined ? ValueOf<T[K]> | undefined : ValueOf<T[K]>;
};

export interface Parsed<T extends FlagSpecs> {
  flags: ParsedFlags<T>;
  positionals: string[];
}

export function parseFlags<T extends FlagSpecs>(specs: T, argv: string[]): Parsed<T> {
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.default !== undefined)
      flags[name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  const byShort = new Map(
    Object.entries(specs).flatMap(([n, s]) => (s.short ? [[s.short, n] as const] : [])),
  );
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (arg.startsWith('-') && arg.length > 1) {
      const eq = arg.indexOf('=');
      const short = eq < 0 ? arg.slice(1) : arg.slice(1, eq);
      name = byShort.get(short);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (!name) throw new CliError(`unknown shorthand flag: '${short}' in ${arg}`, 2);
    } else {
      positionals.push(arg);
      continue;
    }
    const spec = specs[name];
    if (!spec) throw new CliError(`unknown flag: --${name}`, 2);
    if (spec.type === 'boolean') {
      if (inline === undefined) flags[name] = true;
      else if (/^(true|1)$/i.test(inline)) flags[name] = true;
      else if (/^(false|0)$/i.test(inline)) flags[name] = false;
      else throw new CliError(`invalid boolean value "${inline}" for --${name}`, 2);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new CliError(`flag needs an argument: --${name}`, 2);
    }
    if (spec.type === 'string[]') {
      const list = (flags[name] as string[] | undefined) ?? [];
      if (list === spec.default) flags[name] = [];
      (flags[name] as string[]).push(value);
    } else flags[name] = value;
  }
  return { flags: flags as ParsedFlags<T>, positionals };
}

export function flagsHelp(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'boolean' ? '' : ` ${s.value ?? 'string'}`}`;
    const def =
      s.default === undefined ||
      s.default === '' ||
      s.default === false ||
      (Array.isArray(s.default) && s.default.length === 0)
        ? ''
        : ` (default ${JSON.stringify(s.default)})`;
    return [left, `${s.help}${def}`] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, r]) => `  ${l.padEnd(width)}  ${r}`).join('\n');
}
