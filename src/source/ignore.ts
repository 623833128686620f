// Which files of a source tree go into the artifact, with Flux's rules: VCS and default exclusions,
// then every `.sourceignore` (patterns relative to its own directory), then `spec.ignore`; later
// patterns win, so `!pattern` in spec.ignore can bring a default exclusion back.
import { posix } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { compareTreePaths, DirectoryTree, type SourceTree } from './tree.js';

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
  return (
    text
      .split(/\r?\n/)
      // trimEnd strips what /\s+$/ does, in linear time (the regex is quadratic on long blank runs).
      .map((l) => l.trimEnd())
      .filter((l) => l !== '' && !l.startsWith('#'))
  );
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

/**
 * `.sourceignore` patterns from the whole tree: a directory's own file before those of its
 * subdirectories, each scoped to its directory.
 */
async function sourceIgnorePatterns(tree: SourceTree): Promise<string[]> {
  const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
  const files = (await tree.entries())
    .filter((e) => !e.dir && posix.basename(e.path) === SOURCE_IGNORE_FILE)
    .sort((a, b) => compareTreePaths(dirOf(a.path), dirOf(b.path)));
  if (!files.length) return [];
  const chunks: Buffer[] = [];
  for await (const chunk of tree.contents(files)) chunks.push(chunk);
  const all = Buffer.concat(chunks);
  const out: string[] = [];
  let offset = 0;
  for (const f of files) {
    const text = all.subarray(offset, offset + f.size).toString('utf8');
    offset += f.size;
    out.push(...readPatterns(text).map((p) => scopePattern(p, dirOf(f.path))));
  }
  return out;
}

/** The ignore rules of a tree (a directory on disk or a SourceTree) and of `spec.ignore`. */
export async function loadIgnoreFilter(
  tree: SourceTree | string,
  specIgnore: string | undefined,
): Promise<IgnoreFilter> {
  const ig: Ignore = ignore({ allowRelativePaths: true });
  ig.add(VCS_PATTERNS);
  ig.add(DEFAULT_EXCLUSIONS);
  ig.add(await sourceIgnorePatterns(typeof tree === 'string' ? new DirectoryTree(tree) : tree));
  if (specIgnore) ig.add(readPatterns(specIgnore));
  return { ignores: (relPath) => ig.ignores(relPath) };
}
