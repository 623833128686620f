// postBuild's variables: substituteFrom ConfigMaps and Secrets, then the inline `substitute` map.
import { SubstitutionError } from './substitution-error.js';

export interface SubstituteReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  optional?: boolean;
}

/** Reads a ConfigMap's `data` or a Secret's (base64) `data`; undefined when it does not exist. */
export type SubstituteSourceReader = (
  kind: 'ConfigMap' | 'Secret',
  name: string,
) => Promise<Record<string, string> | undefined>;

/**
 * The variables of a Kustomization's postBuild, with Flux's precedence: substituteFrom entries in
 * order (a later one overrides an earlier one), then the inline `substitute` map over all of them.
 * Secret values are base64-decoded. As in Flux, every `\n` is removed from every value (so a value
 * can never break the YAML structure it is pasted into). A missing optional source is skipped.
 *
 * @throws SubstitutionError SubstituteSourceNotFound (`substituteFrom ConfigMap 'x' not found`) or
 *   SubstituteSourceFailed when the reader fails.
 */
export async function collectVars(
  inline: Readonly<Record<string, string>> | undefined,
  sources: readonly SubstituteReference[],
  read: SubstituteSourceReader,
): Promise<Record<string, string>> {
  // A Map, so a key like `__proto__` is an ordinary variable.
  const vars = new Map<string, string>();
  for (const ref of sources) {
    let data: Record<string, string> | undefined;
    try {
      data = await read(ref.kind, ref.name);
    } catch (err) {
      throw new SubstitutionError(
        'SubstituteSourceFailed',
        `substituteFrom ${ref.kind} '${ref.name}': ${(err as Error).message ?? String(err)}`,
        { cause: err },
      );
    }
    if (data === undefined) {
      if (ref.optional) continue;
      throw new SubstitutionError(
        'SubstituteSourceNotFound',
        `substituteFrom ${ref.kind} '${ref.name}' not found`,
      );
    }
    for (const [k, v] of Object.entries(data)) {
      const value = ref.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
      vars.set(k, stripNewlines(value));
    }
  }
  for (const [k, v] of Object.entries(inline ?? {})) vars.set(k, stripNewlines(v));
  return Object.fromEntries(vars);
}

const stripNewlines = (v: string) => v.replaceAll('\n', '');
