// A commit's files read from the objects of a local repository with `git ls-tree` and
// `git cat-file --batch`, so the system-git backend never writes a working tree only to read it
// back for the archive.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { ByteReader, compareTreePaths, type SourceTree, type TreeEntry } from '../tree.js';
import { parseCatFileHeader } from './catfile.js';

const GITLINK = '160000';
const SYMLINK = '120000';
const EXECUTABLE = '100755';

export class GitObjectTree implements SourceTree {
  private listed: Promise<{ entries: TreeEntry[]; oids: Map<string, string> }> | undefined;

  constructor(
    private readonly gitPath: string,
    /** The repository's git directory (`<checkout>/.git`). */
    private readonly gitDir: string,
    readonly commit: string,
  ) {}

  async entries(): Promise<TreeEntry[]> {
    this.listed ??= this.list();
    return (await this.listed).entries;
  }

  async *contents(files: TreeEntry[]): AsyncGenerator<Buffer> {
    if (!files.length) return;
    this.listed ??= this.list();
    const { oids } = await this.listed;
    const names = files.map((f) => {
      const oid = oids.get(f.path);
      if (!oid || f.dir) throw new Error(`${f.path} is not a file of commit ${this.commit}`);
      return oid;
    });
    const child = this.spawn(['cat-file', '--batch'], true);
    const done = exited(child, 'cat-file');
    done.catch(() => undefined); // awaited below; a kill after an early stop is no failure
    child.stdin.on('error', () => undefined); // reported through the exit status
    child.stdin.end(`${names.join('\n')}\n`);
    const reader = new ByteReader(child.stdout);
    try {
      for (const [i, f] of files.entries()) {
        const line = await reader.line();
        const header = line === undefined ? undefined : parseCatFileHeader(line);
        if (header?.type !== 'blob' || header.oid !== names[i]) {
          await done;
          throw new Error(`git cat-file: unexpected answer for ${f.path}: ${line ?? 'end of output'}`);
        }
        if (header.size !== f.size)
          throw new Error(`git cat-file: ${f.path} is ${header.size} bytes, listed as ${f.size}`);
        yield* reader.take(f.size);
        await reader.skip(1);
      }
      await done;
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }

  private async list(): Promise<{ entries: TreeEntry[]; oids: Map<string, string> }> {
    const child = this.spawn(['ls-tree', '-r', '-t', '-l', '-z', '--full-tree', this.commit], false);
    const done = exited(child, 'ls-tree');
    done.catch(() => undefined);
    const chunks: Buffer[] = [];
    for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
    await done;
    const entries: TreeEntry[] = [];
    const oids = new Map<string, string>();
    for (const record of Buffer.concat(chunks).toString('utf8').split('\0')) {
      if (!record) continue;
      // <mode> SP <type> SP <object> SP+ <size> TAB <path>
      const tab = record.indexOf('\t');
      const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
      const path = record.slice(tab + 1);
      if (type === 'tree') {
        entries.push({ path, dir: true, size: 0, executable: false });
      } else if (type === 'commit' && mode === GITLINK) {
        // A submodule: checkout leaves an empty directory, and so does the archive.
        entries.push({ path, dir: true, size: 0, executable: false });
      } else if (type === 'blob' && mode !== SYMLINK) {
        entries.push({ path, dir: false, size: Number(size), executable: mode === EXECUTABLE });
        oids.set(path, oid!);
      }
    }
    entries.sort((a, b) => compareTreePaths(a.path, b.path));
    return { entries, oids };
  }

  private spawn(args: string[], withStdin: boolean): ChildProcessByStdio<Writable, Readable, Readable> {
    return spawn(this.gitPath, ['--git-dir', this.gitDir, ...args], {
      // Local reads only: no configuration but the repository's own, no prompts.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: this.gitDir,
        LANG: 'C',
        LC_ALL: 'C',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_TERMINAL_PROMPT: '0',
      },
      stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    }) as ChildProcessByStdio<Writable, Readable, Readable>;
  }
}

/** Resolves when the process exits with 0; rejects with its error output otherwise. */
function exited(child: ChildProcessByStdio<Writable | null, Readable, Readable>, op: string): Promise<void> {
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString('utf8');
  });
  return new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`git ${op}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(`git ${op} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n')[0] ?? ''}`),
        );
    });
  });
}
