// Ref selection shared by both backends: Flux precedence, ref-name validation, resolution
// against a remote's advertised refs, semver tag selection and Flux revision strings.
import semver from 'semver';
import { DEFAULT_BRANCH } from '../../api/gitrepository.js';
import { GitError, type RefSpec, type ResolvedRevision } from './types.js';

export type RefPlan =
  | { kind: 'commit'; commit: string; branch?: string }
  | { kind: 'name'; name: string }
  | { kind: 'semver'; range: string }
  | { kind: 'tag'; tag: string }
  | { kind: 'branch'; branch: string };

/**
 * Flux precedence: commit > name > semver > tag > branch; nothing → branch `master`
 * (fluxcd/pkg git.DefaultBranch), whatever the remote's HEAD points to.
 */
export function planRef(ref: RefSpec | undefined): RefPlan {
  const r = ref ?? {};
  if (r.commit) {
    const commit = r.commit.trim().toLowerCase();
    if (!/^[0-9a-f]{7,40}$/.test(commit)) {
      throw new GitError('RefNotFound', `invalid commit '${r.commit}': expected a hexadecimal SHA-1`);
    }
    if (r.branch) return { kind: 'commit', commit, branch: checkRefName(r.branch, 'branch') };
    return { kind: 'commit', commit };
  }
  if (r.name) {
    const name = checkRefName(r.name, 'ref name');
    if (!name.startsWith('refs/')) {
      throw new GitError(
        'RefNotFound',
        `invalid ref name '${r.name}': must be a full ref starting with 'refs/'`,
      );
    }
    return { kind: 'name', name };
  }
  if (r.semver) {
    parseSemverRange(r.semver);
    return { kind: 'semver', range: r.semver };
  }
  if (r.tag) return { kind: 'tag', tag: checkRefName(r.tag, 'tag') };
  return { kind: 'branch', branch: checkRefName(r.branch || DEFAULT_BRANCH, 'branch') };
}

/**
 * Reject names git would refuse (git-check-ref-format) and anything that could be read as a
 * command-line option.
 */
export function checkRefName(name: string, what: string): string {
  const bad =
    name.length === 0 ||
    name.length > 1024 ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.endsWith('.lock') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    name === '@' ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
    /[\x00-\x20\x7f~^:?*[\\]/.test(name) ||
    name.split('/').some((c) => c.startsWith('.'));
  if (bad) throw new GitError('RefNotFound', `invalid ${what} '${name}'`);
  return name;
}

/** Refs a remote advertises: full name → object id, plus the peeled commit of annotated tags. */
export interface RemoteRefs {
  refs: Map<string, { oid: string; peeled?: string }>;
}

/** The ref prefixes needed to resolve `plan` (for ls-remote patterns / protocol v2 ref-prefix). */
export function refPrefixes(plan: RefPlan): string[] {
  switch (plan.kind) {
    case 'branch':
      return [`refs/heads/${plan.branch}`];
    case 'tag':
      return [`refs/tags/${plan.tag}`];
    case 'semver':
      return ['refs/tags/'];
    case 'name':
      return [plan.name];
    case 'commit':
      return plan.branch ? [`refs/heads/${plan.branch}`] : [];
  }
}

export interface ResolvedRef {
  /** Full ref name that was fetched, e.g. `refs/heads/main`. */
  fullRef: string;
  /** Object the ref points to (a tag object for annotated tags). */
  oid: string;
  /** The commit (peeled). */
  commit: string;
  /** The short ref used in the revision string. */
  shortRef: string;
}

/** Resolve a non-commit plan against advertised refs. Throws RefNotFound. */
export function resolvePlan(plan: Exclude<RefPlan, { kind: 'commit' }>, remote: RemoteRefs): ResolvedRef {
  const lookup = (fullRef: string, shortRef: string, what: string): ResolvedRef => {
    const r = remote.refs.get(fullRef);
    if (!r) throw new GitError('RefNotFound', `${what} not found on the remote`);
    return { fullRef, oid: r.oid, commit: r.peeled ?? r.oid, shortRef };
  };
  switch (plan.kind) {
    case 'branch':
      return lookup(`refs/heads/${plan.branch}`, plan.branch, `branch '${plan.branch}'`);
    case 'tag':
      return lookup(`refs/tags/${plan.tag}`, plan.tag, `tag '${plan.tag}'`);
    case 'name':
      return lookup(plan.name, plan.name, `ref '${plan.name}'`);
    case 'semver': {
      const tags = [...remote.refs.keys()]
        .filter((n) => n.startsWith('refs/tags/'))
        .map((n) => n.slice('refs/tags/'.length));
      const tag = pickSemverTag(plan.range, tags);
      if (!tag) throw new GitError('RefNotFound', `no tag matches semver range '${plan.range}'`);
      return lookup(`refs/tags/${tag}`, tag, `tag '${tag}'`);
    }
  }
}

export function shortRefName(fullRef: string): string {
  if (fullRef.startsWith('refs/heads/')) return fullRef.slice('refs/heads/'.length);
  if (fullRef.startsWith('refs/tags/')) return fullRef.slice('refs/tags/'.length);
  return fullRef;
}

/** Flux revision string: `<ref>@sha1:<hex>`, or `sha1:<hex>` without a ref. */
export function revisionString(shortRef: string, commit: string): string {
  return shortRef ? `${shortRef}@sha1:${commit}` : `sha1:${commit}`;
}

export function resolvedRevision(shortRef: string, commit: string): ResolvedRevision {
  return { ref: shortRef, commit, revision: revisionString(shortRef, commit) };
}

// --- semver ---------------------------------------------------------------------------------

/**
 * Flux (Masterminds/semver v3) range syntax mapped onto node-semver: commas are AND. As in
 * Masterminds, prerelease versions match only when the range itself names a prerelease
 * (`>=1.0.0-0`), and then for any version tuple.
 */
export function parseSemverRange(range: string): semver.Range {
  const normalized = range.replace(/,/g, ' ').trim();
  let parsed: semver.Range;
  try {
    parsed = new semver.Range(normalized, { loose: true });
  } catch {
    throw new GitError('RefNotFound', `invalid semver range '${range}'`);
  }
  // Judge from the text: node-semver desugars `<2` to `<2.0.0-0`, which is not a prerelease request.
  const wantsPrerelease = /\d-[0-9A-Za-z]/.test(normalized);
  return wantsPrerelease ? new semver.Range(normalized, { loose: true, includePrerelease: true }) : parsed;
}

/** Masterminds `NewVersion` accepts `v1`, `1.2`, `v1.2.3-rc.1+meta`; missing parts are zero. */
export function parseTagVersion(tag: string): semver.SemVer | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(tag);
  if (!m) return undefined;
  const v = `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}${m[4] ? `-${m[4]}` : ''}${m[5] ? `+${m[5]}` : ''}`;
  return semver.parse(v) ?? undefined;
}

/** The highest tag matching `range` (ties on build metadata broken by its ordering), or undefined. */
export function pickSemverTag(range: string, tags: readonly string[]): string | undefined {
  const r = parseSemverRange(range);
  let best: { tag: string; v: semver.SemVer } | undefined;
  for (const tag of tags) {
    if (tag.endsWith('^{}')) continue;
    const v = parseTagVersion(tag);
    if (!v || !r.test(v)) continue;
    if (
      !best ||
      semver.compareBuild(v, best.v) > 0 ||
      (semver.compareBuild(v, best.v) === 0 && tag > best.tag)
    ) {
      best = { tag, v };
    }
  }
  return best?.tag;
}

/** The ref a plan follows, for error messages. */
export function describePlan(plan: RefPlan): string {
  switch (plan.kind) {
    case 'branch':
      return `branch '${plan.branch}'`;
    case 'tag':
      return `tag '${plan.tag}'`;
    case 'semver':
      return `semver '${plan.range}'`;
    case 'name':
      return `ref '${plan.name}'`;
    case 'commit':
      return `commit '${plan.commit}'`;
  }
}
