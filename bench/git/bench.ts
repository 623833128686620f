// Git checkout benchmark: each backend's checkout next to `git clone --depth 1` of the same URL,
// in the same run, over HTTP (git http-backend) and SSH (OpenSSH sshd), for a large generated
// repository (~40 MB tree, 3,000 files, 200 commits) and a small GitOps-sized one.
// Every measurement is a separate process, timed from spawn to exit; peak RSS is GNU time's
// maximum resident set size (the largest single process of the tree).
//
// Run: npx tsc -p tsconfig.json && node .build/bench/git/bench.js
//   BENCH_RUNS=5 (runs per cell), BENCH_REPOS=large,small, BENCH_TRANSPORTS=http,ssh,
//   BENCH_FRESH=1 regenerates the cached repositories (kept in $TMPDIR/mooring-bench-git-v1).
// To add a contender (e.g. the full reconcile with archive + digest), append to CONTENDERS: a
// name and a function returning the command to run for a target and an empty destination.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  commitFiles,
  type FileContent,
  git,
  makeRepo,
  startGitHttpServer,
  startSshGitServer,
  tempDir,
} from '../../test/helpers/gitserver.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CACHE = join(tmpdir(), 'mooring-bench-git-v1');
const THIS_FILE = fileURLToPath(import.meta.url);

interface Target {
  repo: string;
  transport: 'http' | 'ssh';
  url: string;
  /** For SSH: the GitAuth fields; written to a 0600 file for child processes. */
  auth?: { username: string; sshIdentity: string; knownHosts: string };
}

interface Command {
  cmd: string;
  args: string[];
  env: Record<string, string>;
}

interface Contender {
  name: string;
  command(target: Target, dest: string, scratch: string): Command;
}

/** A clean environment like the one the system-git backend builds (no user or system config). */
function cleanGitEnv(target: Target, scratch: string): Record<string, string> {
  const home = join(scratch, 'home');
  mkdirSync(home, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'protocol.version',
    GIT_CONFIG_VALUE_0: '2',
  };
  if (target.auth) {
    const key = join(scratch, 'id');
    const kh = join(scratch, 'known_hosts');
    writeFileSync(key, target.auth.sshIdentity, { mode: 0o600 });
    writeFileSync(kh, target.auth.knownHosts, { mode: 0o600 });
    env.GIT_SSH_COMMAND = `ssh -F /dev/null -i ${key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
  }
  return env;
}

function backendContender(backend: 'git' | 'isomorphic', archive = false): Contender {
  return {
    name: archive
      ? `mooring ${backend} reconcile (fetch + archive + sha256)`
      : `mooring ${backend} backend checkout`,
    command: (target, dest, scratch) => {
      const file = join(scratch, 'target.json');
      writeFileSync(file, JSON.stringify(target), { mode: 0o600 });
      return {
        cmd: process.execPath,
        args: [THIS_FILE, '--checkout', backend, file, dest, ...(archive ? ['--archive'] : [])],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      };
    },
  };
}

export const CONTENDERS: Contender[] = [
  {
    name: 'git clone --depth 1',
    command: (target, dest, scratch) => ({
      cmd: 'git',
      args: ['clone', '-q', '--depth', '1', '--no-tags', target.url, dest],
      env: cleanGitEnv(target, scratch),
    }),
  },
  backendContender('git'),
  backendContender('git', true),
  backendContender('isomorphic'),
  backendContender('isomorphic', true),
];

// --- repositories -------------------------------------------------------------------------------

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'replicas image container port service ingress config volume secret label annotation selector'.split(' ');

/** YAML-ish text of about `size` bytes: half words (compressible), half hex (not). */
function fileText(rand: () => number, size: number): string {
  let out = '';
  let i = 0;
  while (out.length < size) {
    const w = WORDS[Math.floor(rand() * WORDS.length)]!;
    const hex = Math.floor(rand() * 2 ** 52)
      .toString(16)
      .padStart(13, '0');
    out += `${w}-${i++}: ${hex}${Math.floor(rand() * 2 ** 52).toString(16)}\n`;
  }
  return out;
}

interface RepoShape {
  name: string;
  files: number;
  dirs: number;
  fileSize: number;
  commits: number;
  changesPerCommit: number;
}

const SHAPES: Record<string, RepoShape> = {
  large: { name: 'large', files: 3000, dirs: 60, fileSize: 13_400, commits: 200, changesPerCommit: 15 },
  small: { name: 'small', files: 40, dirs: 5, fileSize: 1_200, commits: 20, changesPerCommit: 3 },
};

async function ensureRepo(shape: RepoShape, root: string): Promise<string> {
  const dir = join(root, `${shape.name}.git`);
  const marker = join(dir, 'mooring-bench-complete');
  if (existsSync(marker) && !process.env.BENCH_FRESH) {
    await packRepo(dir);
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  const started = performance.now();
  const rand = prng(shape.files * 7919 + shape.commits);
  const path = (i: number) => `apps/team-${i % shape.dirs}/component-${i}.yaml`;
  const repo = await makeRepo(dir, { defaultBranch: 'main' });
  const initial: Record<string, FileContent> = {};
  for (let i = 0; i < shape.files; i++) initial[path(i)] = fileText(rand, shape.fileSize);
  await commitFiles(repo, initial, 'initial import');
  for (let c = 1; c < shape.commits; c++) {
    const changes: Record<string, FileContent> = {};
    for (let k = 0; k < shape.changesPerCommit; k++) {
      changes[path(Math.floor(rand() * shape.files))] = fileText(rand, shape.fileSize);
    }
    await commitFiles(repo, changes, `change ${c}`);
  }
  await packRepo(dir);
  writeFileSync(marker, '');
  console.error(
    `generated ${shape.name} repository in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return dir;
}

/** Serve from a packed repository, as hosting services do, so the server does not deflate loose objects per clone. */
async function packRepo(dir: string): Promise<void> {
  const packs = existsSync(join(dir, 'objects/pack')) ? readdirSync(join(dir, 'objects/pack')) : [];
  if (packs.some((f) => f.endsWith('.pack'))) return;
  await git(['--git-dir', dir, 'repack', '-adq', '--write-bitmap-index']);
}

// --- measurement --------------------------------------------------------------------------------

interface Sample {
  seconds: number;
  /** Time of the checkout call inside the child (without node start-up); = seconds for git. */
  inProcess: number;
  rssKb: number;
}

async function measure(c: Command): Promise<Sample> {
  const rssDir = tempDir('mooring-bench-rss-');
  const rssFile = join(rssDir, 'rss');
  const started = performance.now();
  let stdout = '';
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-o', rssFile, '-f', '%M', c.cmd, ...c.args], {
      env: c.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
  const seconds = (performance.now() - started) / 1000;
  const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  rmSync(rssDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`${c.cmd} ${c.args.join(' ')} exited with ${code}`);
  const reported = /"checkoutMs":(\d+(?:\.\d+)?)/.exec(stdout);
  return { seconds, rssKb, inProcess: reported ? Number(reported[1]) / 1000 : seconds };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function benchTarget(target: Target): Promise<Map<string, Sample[]>> {
  const results = new Map<string, Sample[]>(CONTENDERS.map((c) => [c.name, []]));
  for (let run = 0; run < RUNS; run++) {
    // Rotate the order so no contender always runs first (cold caches) or last.
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + run) % CONTENDERS.length]!);
    for (const contender of order) {
      const scratch = tempDir('mooring-bench-');
      try {
        const sample = await measure(contender.command(target, join(scratch, 'checkout'), scratch));
        results.get(contender.name)!.push(sample);
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/time')) throw new Error('needs GNU time (/usr/bin/time, Debian package "time")');
  const repos = (process.env.BENCH_REPOS ?? 'large,small').split(',');
  const transports = (process.env.BENCH_TRANSPORTS ?? 'http,ssh').split(',');
  mkdirSync(CACHE, { recursive: true });
  for (const r of repos) if (!SHAPES[r]) throw new Error(`unknown repo shape ${r}`);
  for (const r of repos) await ensureRepo(SHAPES[r]!, CACHE);

  const http = await startGitHttpServer({ root: CACHE });
  const ssh = transports.includes('ssh') ? await startSshGitServer({ root: CACHE }) : undefined;
  const rows: string[] = [];
  try {
    for (const repo of repos) {
      for (const transport of transports) {
        const target: Target =
          transport === 'ssh'
            ? {
                repo,
                transport: 'ssh',
                url: ssh!.url(`${repo}.git`),
                auth: { username: ssh!.user, sshIdentity: ssh!.clientKey, knownHosts: ssh!.knownHosts },
              }
            : { repo, transport: 'http', url: http.url(`${repo}.git`) };
        console.error(`benchmarking ${repo} over ${transport} (${RUNS} runs)…`);
        const results = await benchTarget(target);
        const base = median(results.get(CONTENDERS[0]!.name)!.map((s) => s.seconds));
        for (const [name, samples] of results) {
          const secs = samples.map((s) => s.seconds);
          const t = median(secs);
          const inProc = median(samples.map((s) => s.inProcess));
          rows.push(
            `| ${repo} | ${transport} | ${name} | ${t.toFixed(2)} | ${Math.min(...secs).toFixed(2)}–${Math.max(...secs).toFixed(2)} | ${inProc.toFixed(2)} | ${(inProc / base).toFixed(2)}× | ${(median(samples.map((s) => s.rssKb)) / 1024).toFixed(1)} |`,
          );
        }
      }
    }
  } finally {
    await http.stop();
    await ssh?.stop();
  }
  console.log(`\nGit checkout benchmark, ${RUNS} runs per cell, node ${process.version}\n`);
  console.log(
    '| repo | transport | client | median s (process) | min–max s | median s (checkout call) | call vs clone | peak RSS MB |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

/** Child mode: one backend checkout, so that its time and RSS are measured in isolation. */
async function checkoutChild(
  backendName: string,
  targetFile: string,
  dest: string,
  archive: boolean,
): Promise<void> {
  const target = JSON.parse(readFileSync(targetFile, 'utf8')) as Target;
  // Loaded before the clock starts, as in a running controller.
  const { selectBackend } = await import('../../src/source/git/backend.js');
  const { loadIgnoreFilter } = await import('../../src/source/ignore.js');
  const { archiveTree } = await import('../../src/source/archive.js');
  const backend = selectBackend(backendName === 'isomorphic' ? 'isomorphic' : 'git');
  const opts = { timeoutMs: 600_000, ...(target.auth ? { auth: target.auth } : {}) };
  const started = performance.now();
  if (archive) {
    // What the GitRepository reconciler does: fetch, ignore rules, reproducible tar.gz, digest.
    const { tree } = await backend.fetch(target.url, { branch: 'main' }, dest, opts);
    await archiveTree(tree, `${dest}.tar.gz`, await loadIgnoreFilter(tree, undefined));
  } else {
    await backend.checkout(target.url, { branch: 'main' }, dest, opts);
  }
  process.stdout.write(`${JSON.stringify({ checkoutMs: performance.now() - started })}\n`);
}

const argv = process.argv.slice(2);
const run =
  argv[0] === '--checkout' ? checkoutChild(argv[1]!, argv[2]!, argv[3]!, argv[4] === '--archive') : main();
run.catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
