// The production install from the packed tarball (what the Dockerfile's runtime stage holds):
// `npm pack`, then `npm install --omit=dev` of the tarball into an empty folder, then the CLI runs
// with production dependencies only and the packaged config/ builds. `--ignore-scripts` as in the
// Dockerfile: ssh2's optional native cpu-features build is not part of the image.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../config/dashboard.js';

const execFileP = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'mooring-pack-'));
const app = join(work, 'app');
const installed = join(app, 'node_modules', 'mooring');
const bin = join(app, 'node_modules', '.bin', 'mooring');
const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string })
  .version;

async function run(cmd: string, args: string[], cwd: string) {
  return execFileP(cmd, args, {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

before(async () => {
  assert.ok(existsSync(join(repoRoot, 'dist/cli/main.js')), 'dist/ missing: run make build first');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], repoRoot);
  const [packed] = JSON.parse(stdout) as Array<{ filename: string }>;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{"name":"pack-test","version":"0.0.0","private":true}\n');
  await run(
    'npm',
    [
      'install',
      '--omit=dev',
      '--ignore-scripts',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      join(work, packed!.filename),
    ],
    app,
  );
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds dist, crds, config and README, and no tests or sources', () => {
  for (const f of [
    'dist/cli/main.js',
    'crds/source.toolkit.fluxcd.io_gitrepositories.yaml',
    'crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
    'config/default/kustomization.yaml',
    'config/lockdown/kustomization.yaml',
    'config/monitoring/mooring-dashboard.json',
    'README.md',
    'package.json',
  ])
    assert.ok(existsSync(join(installed, f)), `${f} in the package`);
  for (const f of ['src', 'test', '.build', 'node_modules/typescript'])
    assert.ok(!existsSync(join(installed, f)), `${f} not in the package`);
  assert.ok(!existsSync(join(app, 'node_modules', 'typescript')), 'no dev dependencies installed');
  assert.ok(!existsSync(join(app, 'node_modules', '@biomejs')), 'no dev dependencies installed');
});

test('mooring version and mooring controller --help run from the production install', async () => {
  const v = await run(bin, ['version'], app);
  assert.match(v.stdout, new RegExp(`^mooring ${version.replace(/\./g, '\\.')} \\(node v\\d+`));
  const help = await run(bin, ['controller', '--help'], app);
  for (const flag of [
    '--storage-adv-addr',
    '--enable-leader-election',
    '--no-cross-namespace-refs',
    '--webhook-addr',
  ])
    assert.ok(help.stdout.includes(flag), `${flag} in controller --help`);
});

test('the packaged config/default builds with the packaged engine as in the repository', async () => {
  const fromPackage = await run(bin, ['build', join(installed, 'config/default')], app);
  const fromRepo = await run(
    process.execPath,
    [join(repoRoot, 'dist/cli/main.js'), 'build', 'config/default'],
    repoRoot,
  );
  assert.equal(fromPackage.stdout, fromRepo.stdout);
});
