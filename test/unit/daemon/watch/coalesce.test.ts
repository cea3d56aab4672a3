import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { mock } from 'node:test';
import { coalesce } from '../../../../src/daemon/watch/coalesce.js';

test('a burst is one call after it is quiet; an endless burst still runs by the max wait; a trigger during a run gives one more run', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  after(() => mock.timers.reset());
  let runs = 0;
  let release: (() => void) | undefined;
  const changes = coalesce(
    () => {
      runs++;
      return new Promise<void>((resolve) => (release = resolve));
    },
    10,
    100,
  );
  for (let i = 0; i < 5; i++) {
    changes.trigger();
    mock.timers.tick(5);
  }
  assert.equal(runs, 0, 'not while events keep coming');
  mock.timers.tick(10);
  assert.equal(runs, 1, 'once, 10 ms after the last');
  changes.trigger();
  changes.trigger();
  release!();
  await new Promise((resolve) => setImmediate(resolve));
  mock.timers.tick(10);
  assert.equal(runs, 2, 'the triggers during the run gave one more');
  release!();
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 30; i++) {
    changes.trigger();
    mock.timers.tick(5);
  }
  assert.equal(runs, 3, 'an endless burst still runs after 100 ms');
  changes.cancel();
});
