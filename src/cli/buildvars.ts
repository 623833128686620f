// `mooring build --substitute k=v --substitute-from FILE`: postBuild variables given on the
// command line, with Flux's precedence (files in order, later over earlier, then the inline
// values over all of them) and Flux's substitution (strict: an unset variable without default fails).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { substitute } from '../kustomization/substitute.js';
import { collectVars } from '../kustomization/substitute-from.js';
import type { JsonObject } from '../kustomize/yaml-types.js';
import { CliError } from './command.js';

/** `KEY=VALUE` (the value may hold `=`); a usage error otherwise. */
export function parseAssignment(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new CliError(`--substitute: expected KEY=VALUE, got "${arg}"`, 2);
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

/**
 * Variables of one file: a ConfigMap or Secret manifest (its data; Secret data base64-decoded,
 * stringData as is), a YAML/JSON map of scalars, or dotenv lines (`KEY=VALUE`, `#` comments).
 */
export function readVarsFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--substitute-from ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text, { version: '1.1' });
  } catch {
    doc = undefined;
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    const strings = (m: unknown, decode = false): Record<string, string> =>
      Object.fromEntries(
        Object.entries((m ?? {}) as Record<string, unknown>).map(([k, v]) => [
          k,
          decode ? Buffer.from(String(v), 'base64').toString('utf8') : String(v),
        ]),
      );
    if (o.kind === 'ConfigMap') return strings(o.data);
    if (o.kind === 'Secret') return { ...strings(o.data, true), ...strings(o.stringData) };
    if (Object.values(o).every((v) => v === null || typeof v !== 'object')) return strings(o);
  }
  const vars: Record<string, string> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new CliError(`--substitute-from ${file}:${i + 1}: expected KEY=VALUE`);
    vars[line.slice(0, eq).replace(/^export\s+/, '')] = line.slice(eq + 1).replace(/^(['"])(.*)\1$/, '$2');
  }
  return vars;
}

/** The variables of the flags, or undefined when none were given (the build is then untouched). */
export async function commandLineVars(
  inline: string[],
  files: string[],
): Promise<Record<string, string> | undefined> {
  if (!inline.length && !files.length) return undefined;
  const byFile = new Map(files.map((f) => [f, readVarsFile(f)]));
  return collectVars(
    Object.fromEntries(inline.map(parseAssignment)),
    files.map((name) => ({ kind: 'ConfigMap' as const, name })),
    async (_kind, name) => byFile.get(name),
  );
}

export function substituteObjects(objects: JsonObject[], vars: Record<string, string>): JsonObject[] {
  try {
    return substitute(objects, vars, { strict: true });
  } catch (err) {
    throw new CliError(`post-build substitutions failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
