// Which files of a checkout go into the artifact, with Flux's rules: VCS and default exclusions,
// then every `.sourceignore` (patterns relative to its own directory), then `spec.ignore`; later
// patterns win, so `!pattern` in spec.ignore can bring a default exclusion back.
import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const VCS_PATTERNS = ['.git/', '.gitignore', '.gitmodules', '.gitattributes'];

export const DEFAULT_EXCLUSIONS = [
  '*.jpg',
  '*.jpeg',
  '*.gif',
  '*.png',
  '*.wmv',
  '*.flv',
  '*.tar.gz',
  '*.zip',
  '.github/',
  '.circleci/',
  '.travis.yml',
  '.gitlab-ci.yml',
  'appveyor.yml',
  '.drone.yml',
  'cloudbuild.yaml',
  'codeship-services.yml',
  'codeship-steps.yml',
  '.goreleaser.yml',
  '.sops.yaml',
  '.flux.yaml',
];

export const SOURCE_IGNORE_FILE = '.sourceignore';

/** Splits gitignore text into patterns, dropping blanks and comments. */
export function readPatterns(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Rewrites a pattern from a `.sourceignore` in `domain` (a relative dir, '' for the root) so it
 * applies from the root: anchored patterns get the domain prefix, floating ones match anywhere below it.
 */
export function scopePattern(pattern: string, domain: string): string {
  if (!domain) return pattern;
  const negated = pattern.startsWith('!');
  let p = negated ? pattern.slice(1) : pattern;
  const dirOnly = p.endsWith('/');
  const body = dirOnly ? p.slice(0, -1) : p;
  const anchored = body.startsWith('/') || body.includes('/');
  p = anchored ? posix.join(domain, body.replace(/^\//, '')) : `${domain}/**/${body}`;
  return `${negated ? '!' : ''}${p}${dirOnly ? '/' : ''}`;
}

export interface IgnoreFilter {
  /** True when the path (relative, '/'-separated; directories end with '/') is excluded. */
  ignores(relPath: string): boolean;
}

/** Collects `.sourceignore` patterns from the whole tree (skipping .git), in walk order. */
async function sourceIgnorePatterns(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const file = entries.find((e) => e.isFile() && e.name === SOURCE_IGNORE_FILE);
  if (file) {
    const text = await readFile(join(root, rel, SOURCE_IGNORE_FILE), 'utf8');
    out.push(...readPatterns(text).map((p) => scopePattern(p, rel)));
  }
  for (const e of entries) {
    if (e.isDirectory() && e.name !== '.git')
      out.push(...(await sourceIgnorePatterns(root, posix.join(rel, e.name))));
  }
  return out;
}

export async function loadIgnoreFilter(root: string, specIgnore: string | undefined): Promise<IgnoreFilter> {
  const ig: Ignore = ignore({ allowRelativePaths: true });
  ig.add(VCS_PATTERNS);
  ig.add(DEFAULT_EXCLUSIONS);
  ig.add(await sourceIgnorePatterns(root));
  if (specIgnore) ig.add(readPatterns(specIgnore));
  return { ignores: (relPath) => ig.ignores(relPath) };
}
