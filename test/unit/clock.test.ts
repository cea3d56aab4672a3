import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTime } from '../../src/clock.js';

/** The plain way, which formatTime's arithmetic replaces. */
const plain = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

test('formatTime writes what toISOString writes, without its milliseconds', () => {
  const edges = [0, 59, 86_399, 86_400, 951_782_400 /* 2000-02-29 */, 951_868_799, 4_107_456_000 /* 2100-02-28 */, 4_107_542_400, 1_790_000_000, 253_402_300_799];
  let state = 1;
  const random = Array.from({ length: 100_000 }, () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * 253_402_300_800);
  });
  for (const seconds of [...edges, ...random]) assert.equal(formatTime(seconds), plain(seconds), String(seconds));
  // Outside whole seconds of four-digit years from 1970: as toISOString writes them.
  for (const seconds of [-1, 1.5, 253_402_300_800]) assert.equal(formatTime(seconds), plain(seconds));
  assert.equal(formatTime(1_790_000_000), '2026-09-21T14:13:20Z');
});
