// System git backend: resolves, checks out and fetches with the `git` command, each operation in
// its own session (session.ts: scrubbed environment, credentials never in argv, temp dir removed).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirectoryTree } from '../tree.js';
import { type CatFileObject, parseCatFileBatch } from './catfile.js';
import { commitSignature, messageSubject, tagSignature } from './objects.js';
import {
  describePlan,
  planRef,
  type RefPlan,
  refPrefixes,
  resolvedRevision,
  resolvePlan,
  shortRefName,
} from './refs.js';
import { type Session, withSession } from './session.js';
import { GitObjectTree } from './tree.js';
import type {
  CheckoutResult,
  FetchedSource,
  GitBackend,
  GitOptions,
  RefSpec,
  ResolvedRevision,
} from './types.js';
import { GitError } from './types.js';

const FETCHED_REF = 'refs/mooring/fetched';

export class SystemGitBackend implements GitBackend {
  readonly name = 'git' as const;

  constructor(readonly gitPath = 'git') {}

  async resolve(url: string, ref: RefSpec, opts: GitOptions): Promise<ResolvedRevision | undefined> {
    const plan = planRef(ref);
    if (plan.kind === 'commit') return undefined;
    return withSession(this.gitPath, url, opts, async (s) => {
      const r = resolvePlan(plan, await s.lsRemote(refPrefixes(plan)));
      return resolvedRevision(r.shortRef, r.commit);
    });
  }

  async checkout(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<CheckoutResult> {
    const plan = planRef(ref);
    return withSession(this.gitPath, url, opts, (s) => checkoutIn(s, plan, dir, true));
  }

  /** No working tree: the archive reads the commit's objects (writing 3,000 files only to read them back costs more than the fetch's own checkout). */
  async fetch(url: string, ref: RefSpec, dir: string, opts: GitOptions): Promise<FetchedSource> {
    const plan = planRef(ref);
    const extras: CheckoutExtras = {
      ...(opts.sparseCheckout?.length ? { sparse: opts.sparseCheckout } : {}),
      ...(opts.recurseSubmodules ? { submodules: true } : {}),
    };
    const result = await withSession(this.gitPath, url, opts, (s) => checkoutIn(s, plan, dir, false, extras));
    // Sparse and submodule checkouts need a working tree (partial clone; submodules are other repositories).
    const tree =
      extras.sparse || extras.submodules
        ? new DirectoryTree(dir)
        : new GitObjectTree(this.gitPath, join(dir, '.git'), result.commit);
    return { ...result, tree };
  }
}

interface CheckoutExtras {
  /** Directories to check out; nothing else is downloaded (blob:none partial clone). */
  sparse?: string[];
  submodules?: boolean;
}

/** Non-cone sparse-checkout patterns: exactly the listed directories, no root files. */
export function sparsePatterns(dirs: readonly string[]): string {
  return dirs.map((d) => `/${d.replace(/[\\*?[!#]/g, (c) => `\\${c}`)}/\n`).join('');
}

async function checkoutIn(
  s: Session,
  plan: RefPlan,
  dir: string,
  worktreeWanted: boolean,
  extras: CheckoutExtras = {},
): Promise<CheckoutResult> {
  mkdirSync(dir, { recursive: true });
  const worktree = worktreeWanted || Boolean(extras.sparse || extras.submodules);
  let shortRef: string;
  let target: string; // what to check out: a local ref or a SHA
  if (plan.kind === 'branch' && !extras.sparse) {
    // One process: clone fetches the branch tip and writes the repository.
    const missing = () => new GitError('RefNotFound', `branch '${plan.branch}' not found on the remote`);
    await s
      .git(
        [
          'clone',
          '-q',
          '--depth',
          '1',
          '--no-tags',
          '--single-branch',
          `--branch=${plan.branch}`,
          '--template=',
          ...(worktree ? [] : ['--no-checkout']),
          '--',
          s.url,
          dir,
        ],
        { op: `clone ${describePlan(plan)}` },
      )
      .catch((err: unknown) => {
        throw err instanceof GitError && err.reason === 'RefNotFound' ? missing() : err;
      });
    // `clone --branch` also accepts a tag (and detaches): only a branch counts, as in Flux.
    const head = /^ref: (\S+)/.exec(readFileSync(join(dir, '.git', 'HEAD'), 'utf8'));
    if (head?.[1] !== `refs/heads/${plan.branch}`) throw missing();
    shortRef = plan.branch;
    target = 'HEAD';
  } else {
    await s.git(['init', '-q', '--template=', dir], { op: 'init' });
    // A named remote: submodules resolve relative URLs against it, a partial clone needs it.
    let source = s.url;
    if (extras.sparse || extras.submodules) {
      await s.git(['remote', 'add', 'origin', s.url], { cwd: dir, op: 'configure remote' });
      source = 'origin';
    }
    if (extras.sparse) {
      for (const [key, value] of [
        ['extensions.partialClone', 'origin'],
        ['remote.origin.promisor', 'true'],
        ['remote.origin.partialCloneFilter', 'blob:none'],
        ['core.sparseCheckout', 'true'],
      ] as const) {
        await s.git(['config', key, value], { cwd: dir, op: 'configure sparse checkout' });
      }
      mkdirSync(join(dir, '.git', 'info'), { recursive: true });
      writeFileSync(join(dir, '.git', 'info', 'sparse-checkout'), sparsePatterns(extras.sparse));
    }
    const filter = extras.sparse ? ['--filter=blob:none'] : [];
    if (plan.kind === 'commit') {
      shortRef = plan.branch ?? '';
      target = await fetchCommit(s, dir, plan.commit, plan.branch, source, filter);
    } else {
      const fullRef =
        plan.kind === 'semver'
          ? resolvePlan(plan, await s.lsRemote(refPrefixes(plan))).fullRef
          : refPrefixes(plan)[0]!;
      shortRef = plan.kind === 'name' ? fullRef : shortRefName(fullRef);
      await s.git(
        [
          'fetch',
          '-q',
          '--depth',
          '1',
          '--no-tags',
          ...filter,
          '--end-of-options',
          source,
          `+${fullRef}:${FETCHED_REF}`,
        ],
        {
          cwd: dir,
          op: `fetch ${describePlan(plan)}`,
        },
      );
      target = FETCHED_REF;
    }
    if (worktree) {
      await s.git(['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', target, '--'], {
        cwd: dir,
        op: 'checkout',
      });
    }
  }
  if (extras.submodules) {
    // Same environment, so the parent's credentials (and host keys) apply, as in Flux.
    await s.git(['submodule', 'update', '-q', '--init', '--recursive', '--depth', '1'], {
      cwd: dir,
      op: 'update submodules',
    });
  }

  // One process reads what the ref points to (a tag object or the commit) and the commit.
  const [pointed, commitObj] = await readObjects(s, dir, [target, `${target}^{commit}`]);
  if (!pointed || !commitObj) {
    throw new GitError('RefNotFound', `the remote repository ${s.redacted} is empty`);
  }
  const commit = commitObj.oid;
  const rawCommit = commitObj.content;
  const result: CheckoutResult = {
    ...resolvedRevision(shortRef, commit),
    message: messageSubject(rawCommit),
  };
  const sig = commitSignature(rawCommit);
  if (sig) result.commitSignature = sig;
  if (
    plan.kind === 'tag' ||
    plan.kind === 'semver' ||
    (plan.kind === 'name' && shortRef.startsWith('refs/tags/'))
  ) {
    const name = plan.kind === 'name' ? shortRefName(shortRef) : shortRef;
    if (pointed.type === 'tag') {
      const tagSig = tagSignature(pointed.content);
      result.tag = { name, annotated: true, ...(tagSig ? { signature: tagSig } : {}) };
    } else {
      result.tag = { name, annotated: false };
    }
  }
  return result;
}

/** `git cat-file --batch` for several object names; undefined for missing ones. */
async function readObjects(
  s: Session,
  dir: string,
  names: string[],
): Promise<Array<CatFileObject | undefined>> {
  const out = await s.gitBuffer(['cat-file', '--batch'], { cwd: dir, input: `${names.join('\n')}\n` });
  return parseCatFileBatch(out, names.length);
}

/**
 * Fetch one commit by SHA (depth 1) when the server allows it; otherwise fetch the branch (or
 * all branches) with history and look for the commit there, as Flux does.
 */
async function fetchCommit(
  s: Session,
  dir: string,
  commit: string,
  branch: string | undefined,
  source: string,
  filter: string[],
): Promise<string> {
  if (commit.length === 40) {
    try {
      await s.git(
        ['fetch', '-q', '--depth', '1', '--no-tags', ...filter, '--end-of-options', source, commit],
        {
          cwd: dir,
          op: `fetch commit ${commit}`,
        },
      );
      return commit;
    } catch (err) {
      if (!(err instanceof GitError) || err.reason !== 'RefNotFound') throw err;
    }
  }
  const refspec = branch
    ? `+refs/heads/${branch}:refs/mooring/heads/${branch}`
    : '+refs/heads/*:refs/mooring/heads/*';
  await s.git(['fetch', '-q', '--no-tags', ...filter, '--end-of-options', source, refspec], {
    cwd: dir,
    op: branch ? `fetch branch '${branch}'` : 'fetch branches',
  });
  try {
    return (await s.git(['rev-parse', '--verify', '-q', `${commit}^{commit}`], { cwd: dir })).trim();
  } catch {
    throw new GitError(
      'RefNotFound',
      `commit '${commit}' not found${branch ? ` on branch '${branch}'` : ''} in ${s.redacted}`,
    );
  }
}
