import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { retryWhileBusy } from '../../../src/store/store.js';

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
