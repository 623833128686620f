// The Progressing status appears only for passes that outlast the delay.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { DeferredProgress } from '../../src/kustomization/progress.js';

test('a pass that ends before the delay writes no progress status', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let writes = 0;
    const progress = new DeferredProgress(2_000);
    progress.arm(async () => {
      writes++;
    });
    mock.timers.tick(1_999);
    assert.equal(await progress.settle(), false);
    mock.timers.tick(10_000);
    assert.equal(writes, 0, 'the cancelled write never happens');
  } finally {
    mock.timers.reset();
  }
});

test('a slow pass writes it once, and settle waits for that write', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let writes = 0;
    let finish: () => void = () => undefined;
    const progress = new DeferredProgress(2_000);
    const show = () =>
      new Promise<void>((resolve) => {
        writes++;
        finish = resolve;
      });
    progress.arm(show);
    progress.arm(show);
    mock.timers.tick(2_000);
    assert.equal(writes, 1);
    let settled = false;
    const done = progress.settle().then((shown) => {
      settled = true;
      return shown;
    });
    await Promise.resolve();
    assert.equal(settled, false, 'settle waits for the write under way');
    finish();
    assert.equal(await done, true);
    progress.arm(show);
    mock.timers.tick(10_000);
    assert.equal(writes, 1, 'armed again after showing: no second write');
  } finally {
    mock.timers.reset();
  }
});

test('a failed progress write counts as not shown', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const progress = new DeferredProgress(10);
    progress.arm(() => Promise.reject(new Error('apiserver down')));
    mock.timers.tick(10);
    assert.equal(await progress.settle(), false);
  } finally {
    mock.timers.reset();
  }
});
