// A fixture that starts several servers must not leave any running when one of them fails.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAll } from './fixtures.js';
import { startSshGitServer, tempDir } from './gitserver.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('when the second server cannot start, the first is stopped and the failure names the reason', async () => {
  const root = tempDir('mooring-fixture-');
  const first = startSshGitServer({ root });
  const second = startSshGitServer({ root, extraConfig: ['NoSuchSshdOption yes'] });
  await assert.rejects(startAll([first, second]), (err: Error) => {
    assert.match(err.message, /fixture did not start \(1 of 2 failed\): #2: sshd exited with 255/);
    assert.match(err.message, /NoSuchSshdOption/);
    return true;
  });
  const { pid } = await first;
  assert.ok(pid > 0);
  assert.equal(alive(pid), false, `sshd ${pid} of the first server is still running`);
});

test('when every server starts, all are returned in order', async () => {
  const root = tempDir('mooring-fixture-');
  const [a, b] = await startAll([startSshGitServer({ root }), startSshGitServer({ root })]);
  try {
    assert.notEqual(a.port, b.port);
    assert.ok(alive(a.pid) && alive(b.pid));
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  assert.equal(alive(a.pid) || alive(b.pid), false);
});
