// The live queue settles a batch only when a commit it did not queue came after the batch's own
// (daemon/commit-run.ts): skipping the settle wrongly would leave the live set unlike the plan.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommitRun } from '../../../src/daemon/commit-run.js';

const mark = (others: number, own: number) => ({ others, own, bookkeeping: 0 });

describe('CommitRun', () => {
  test('the daemon\'s own commits one after another, the store where the newest left it: covered', () => {
    const run = new CommitRun();
    for (const own of [1, 2, 2, 3]) run.note(mark(5, own));
    assert.equal(run.covers([mark(5, 1), mark(5, 2)], mark(5, 3)), true);
    assert.equal(run.covers([mark(5, 3)], mark(5, 3)), true);
  });

  test('another connection committed after the newest (the hook, an unban): not covered', () => {
    const run = new CommitRun();
    run.note(mark(5, 1));
    assert.equal(run.covers([mark(5, 1)], mark(6, 1)), false);
  });

  test('this connection committed something it did not queue (a fleet lift): not covered', () => {
    const run = new CommitRun();
    run.note(mark(5, 1));
    assert.equal(run.covers([mark(5, 1)], mark(5, 2)), false);
  });

  test('a commit not queued between two queued ones breaks the run for the changes before it', () => {
    const run = new CommitRun();
    run.note(mark(5, 1));
    run.note(mark(5, 3));
    assert.equal(run.covers([mark(5, 1), mark(5, 3)], mark(5, 3)), false, 'commit 2 came after the first change');
    assert.equal(run.covers([mark(5, 3)], mark(5, 3)), true, 'nothing came after the second');
    run.note(mark(7, 4));
    assert.equal(run.covers([mark(5, 3), mark(7, 4)], mark(7, 4)), false, 'another connection committed between them');
    assert.equal(run.covers([mark(7, 4)], mark(7, 4)), true);
  });

  test('nothing noted, or a change without a mark: not covered', () => {
    assert.equal(new CommitRun().covers([mark(1, 1)], mark(1, 1)), false);
    const run = new CommitRun();
    run.note(undefined);
    assert.equal(run.covers([undefined], mark(1, 1)), false);
  });
});
