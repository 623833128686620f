import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CliError } from '../../src/cli/command.js';
import { controllerCommand, controllerFlags, leaseName } from '../../src/cli/controller.js';
import { parseFlags } from '../../src/cli/flags.js';

test('controller flags accept Go-style forms and keep design.md defaults', () => {
  const { flags } = parseFlags(controllerFlags, [
    '--concurrent=8',
    '--watch-all-namespaces=false',
    '--enable-leader-election',
    '--storage-path',
    '/var/data',
  ]);
  assert.equal(flags.concurrent, '8');
  assert.equal(flags['watch-all-namespaces'], false);
  assert.equal(flags['enable-leader-election'], true);
  assert.equal(flags['storage-path'], '/var/data');
  assert.equal(flags['metrics-addr'], ':8080');
  assert.equal(flags['health-addr'], ':9440');
  assert.equal(flags['storage-addr'], ':9090');
  assert.equal(flags['requeue-dependency'], '30s');
  assert.equal(flags.controllers, 'source,kustomize');
});

test('unknown flags and missing values are usage errors', () => {
  assert.throws(
    () => parseFlags(controllerFlags, ['--nope']),
    (e: unknown) => e instanceof CliError && e.exitCode === 2,
  );
  assert.throws(() => parseFlags(controllerFlags, ['--concurrent']), /needs an argument/);
  assert.throws(() => parseFlags(controllerFlags, ['--enable-leader-election=maybe']), /invalid boolean/);
});

test('shards get distinct lease names', () => {
  assert.equal(leaseName(''), 'mooring-leader-election');
  const a = leaseName('sharding.fluxcd.io/key=shard1');
  const b = leaseName('sharding.fluxcd.io/key=shard2');
  assert.match(a, /^mooring-leader-election-[0-9a-f]{8}$/);
  assert.notEqual(a, b);
});

test('build flags: defaults, and invalid values stop the controller with exit status 2', async () => {
  const { flags } = parseFlags(controllerFlags, []);
  assert.equal(flags['build-workers'], '');
  assert.equal(flags['build-timeout'], '60s');
  assert.equal(flags['build-memory-limit'], '256');
  for (const bad of [
    ['--build-workers', '-1'],
    ['--build-workers', 'two'],
    ['--build-timeout', '0s'],
    ['--build-timeout', 'soon'],
    ['--build-memory-limit', '8'],
  ]) {
    await assert.rejects(
      controllerCommand.run(bad),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.includes(bad[0]!),
      bad.join(' '),
    );
  }
});

test('leader election timings: Flux defaults, and inconsistent values stop the controller with exit status 2', async () => {
  const { flags } = parseFlags(controllerFlags, []);
  assert.equal(flags['leader-election-lease-duration'], '35s');
  assert.equal(flags['leader-election-renew-deadline'], '30s');
  assert.equal(flags['leader-election-retry-period'], '5s');
  for (const [bad, named] of [
    [['--leader-election-lease-duration', 'long'], '--leader-election-lease-duration'],
    [['--leader-election-lease-duration', '10500ms'], 'whole seconds'],
    [['--leader-election-retry-period', '0s'], '--leader-election-retry-period'],
    [['--leader-election-lease-duration', '30s'], 'greater than --leader-election-renew-deadline'],
    [['--leader-election-renew-deadline', '6s'], 'greater than 1.2 × --leader-election-retry-period'],
  ] as const) {
    await assert.rejects(
      controllerCommand.run([...bad]),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.includes(named),
      bad.join(' '),
    );
  }
});
