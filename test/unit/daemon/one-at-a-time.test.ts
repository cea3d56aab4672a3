import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OneAtATime } from '../../../src/daemon/one-at-a-time.js';

test('one run at a time; requests during a run make one more after it, not one each; a failure does not stop the next', async () => {
  let started = 0;
  let active = 0;
  let most = 0;
  let release: () => void = () => undefined;
  const runs = new OneAtATime(async () => {
    const run = ++started;
    active++;
    most = Math.max(most, active);
    await new Promise<void>((resolve) => (release = resolve));
    active--;
    if (run === 1) throw new Error('the first one fails');
    return run;
  });
  const first = runs.run();
  const during = [runs.run(), runs.run(), runs.run()];
  assert.equal(started, 1, 'the others wait');
  release();
  await assert.rejects(first, /the first one fails/);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(started, 2, 'one more for all three');
  release();
  assert.deepEqual(await Promise.all(during), [2, 2, 2]);
  assert.equal(most, 1);
  const after = runs.run();
  assert.equal(started, 3, 'idle again: at once');
  release();
  assert.equal(await after, 3);
});
