import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { retryWhileBusy, retryWhileBusyAsync } from '../../../src/store/busy.js';
import { ApplyLock } from '../../../src/store/lock.js';
import { tempDir } from '../../helpers/tmp.js';

function busy(): never {
  throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
}

/** An attempt that stays busy until `freeAt` ms after it is first called. */
function lockedFor(ms: number): { attempt: () => string; tries: () => number } {
  const freeAt = Date.now() + ms;
  let tries = 0;
  return {
    attempt: () => {
      tries += 1;
      return Date.now() >= freeAt ? 'done' : busy();
    },
    tries: () => tries,
  };
}

describe('retryWhileBusy', () => {
  test('retries a busy attempt until it succeeds within the timeout', () => {
    const lock = lockedFor(30);
    assert.equal(retryWhileBusy(lock.attempt, 1000), 'done');
    assert.ok(lock.tries() > 1);
  });

  test('gives up after the timeout when nobody commits', () => {
    const started = Date.now();
    assert.throws(() => retryWhileBusy(lockedFor(10_000).attempt, 60, () => 'no commits'), { code: 'SQLITE_BUSY' });
    const waited = Date.now() - started;
    assert.ok(waited >= 60 && waited < 1000, `waited ${waited} ms`);
  });

  test('keeps waiting past the timeout while other processes commit (a crowded store, not a stuck one)', () => {
    let commits = 0;
    const lock = lockedFor(300);
    assert.equal(retryWhileBusy(lock.attempt, 60, () => commits++, 5000), 'done');
  });

  test('a crowded store is still given up on at the longest wait', () => {
    let commits = 0;
    const started = Date.now();
    assert.throws(() => retryWhileBusy(lockedFor(10_000).attempt, 50, () => commits++, 200), { code: 'SQLITE_BUSY' });
    const waited = Date.now() - started;
    assert.ok(waited >= 200 && waited < 1500, `waited ${waited} ms`);
  });

  test('other errors are not retried', () => {
    let tries = 0;
    const failing = (): never => {
      tries += 1;
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    };
    assert.throws(() => retryWhileBusy(failing, 1000), { code: 'SQLITE_IOERR' });
    assert.equal(tries, 1);
  });
});

describe('retryWhileBusyAsync', () => {
  test('waits with timers: the loop keeps running while the store is busy', async () => {
    const lock = lockedFor(80);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    try {
      assert.equal(await retryWhileBusyAsync(lock.attempt, 1000), 'done');
    } finally {
      clearInterval(ticker);
    }
    assert.ok(ticks >= 5, `the loop ran ${ticks} times during an 80 ms wait`);
  });

  test('follows the same rule: gives up after the timeout when nobody commits', async () => {
    const started = Date.now();
    await assert.rejects(retryWhileBusyAsync(lockedFor(10_000).attempt, 60, () => 'no commits'), { code: 'SQLITE_BUSY' });
    assert.ok(Date.now() - started >= 60);
  });

  test('an abort ends the wait at once, with its reason', async () => {
    const controller = new AbortController();
    const waiting = retryWhileBusyAsync(lockedFor(10_000).attempt, 10_000, undefined, controller.signal);
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stopping')), 20);
    await assert.rejects(waiting, /stopping/);
    assert.ok(Date.now() - started < 200, 'well before the timeout');
  });
});

describe('ApplyLock', () => {
  test('a second holder waits without blocking the loop, and gets the lock once the first lets go', async () => {
    const db = join(tempDir(), 'stickyban.db');
    const first = await ApplyLock.acquire(db);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => first.release(), 100);
    const second = await ApplyLock.acquire(db, { waitMs: 5000 });
    clearInterval(ticker);
    second.release();
    assert.ok(ticks >= 8, `the loop ran ${ticks} times while the lock was held`);
  });

  test('taking and letting go of the lock makes no file: no journal made and deleted each time', async () => {
    const dir = tempDir();
    const db = join(dir, 'stickyban.db');
    (await ApplyLock.acquire(db)).release();
    const made: string[] = [];
    const watcher = watch(dir, (_event, name) => made.push(String(name)));
    try {
      for (let i = 0; i < 5; i++) (await ApplyLock.acquire(db)).release();
      await new Promise((settled) => setTimeout(settled, 100));
    } finally {
      watcher.close();
    }
    assert.deepEqual(made.filter((name) => name.endsWith('-journal')), []);
  });

  test('gives up after its wait with one line naming the lock file, and at once on an abort', async () => {
    const db = join(tempDir(), 'stickyban.db');
    const held = await ApplyLock.acquire(db);
    try {
      await assert.rejects(ApplyLock.acquire(db, { waitMs: 50 }), /^LockHeldError: another stickyban .* held .*stickyban\.db\.lock; try again$/);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stopping')), 20);
      await assert.rejects(ApplyLock.acquire(db, { signal: controller.signal }), /stopping/);
    } finally {
      held.release();
    }
  });
});
