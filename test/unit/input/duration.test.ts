import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseBantime, parseDuration, readDuration } from '../../../src/input/duration.js';

describe('durations', () => {
  test('units and sums', () => {
    const cases: Array<[string, number]> = [
      ['30s', 30],
      ['15m', 900],
      ['12h', 43_200],
      ['90d', 7_776_000],
      ['2w', 1_209_600],
      ['1y', 31_536_000],
      ['1h30m', 5400],
      ['1d12h', 129_600],
    ];
    for (const [text, seconds] of cases) assert.equal(readDuration(text), seconds, text);
  });

  test('refuses what is not a duration, with the expected form in the message', () => {
    for (const text of ['', '90', '90 d', 'd', '-5d', '1.5d', '5x', '1h 30m', '١d', `${'9'.repeat(12)}d`]) {
      assert.equal(readDuration(text), undefined, JSON.stringify(text));
      assert.throws(() => parseDuration(text, '--older-than'), /^UsageError: invalid --older-than .*expected a number with a unit/);
    }
  });

  test('a duration out of range says the range, not the form (0s read as "expected a number with a unit")', () => {
    assert.equal(readDuration('0s'), 0);
    assert.throws(() => parseDuration('0s', '--heal-interval', 1, 86_400), /^UsageError: invalid --heal-interval "0s": expected from 1s to 1d$/);
    assert.throws(() => parseDuration('2d', '--heal-interval', 1, 86_400), /^UsageError: invalid --heal-interval "2d": expected from 1s to 1d$/);
    assert.throws(() => parseDuration('0d', '--older-than'), /^UsageError: invalid --older-than "0d": expected from 1s to 100y$/);
    assert.throws(() => parseDuration('101y', '--older-than'), /expected from 1s to 100y$/);
    assert.equal(parseDuration('100y', '--older-than'), 3_153_600_000);
  });

  test("fail2ban's bantime: seconds, -1 for forever, or a duration", () => {
    assert.equal(parseBantime('600'), 600);
    assert.equal(parseBantime('-1'), -1);
    assert.equal(parseBantime('0'), 0);
    assert.equal(parseBantime('1w'), 604_800);
    // bantime.increment without maxtime: 86400 * 2^17, and far beyond what a number holds.
    assert.equal(parseBantime('11324620800'), 11_324_620_800);
    assert.equal(parseBantime('999999999999999'), 999_999_999_999_999);
    assert.equal(parseBantime('97276010173950771200'), Number.MAX_SAFE_INTEGER, 'capped, still a bantime');
    for (const bad of ['-2', '10.5', 'forever', '', '0600']) assert.throws(() => parseBantime(bad), /invalid bantime/, bad);
  });

  test('formats back to the largest whole unit', () => {
    assert.deepEqual([600, 86_400, 5400, 61, -1, 0, 31_536_000].map(formatDuration), ['10m', '1d', '90m', '61s', 'forever', '0s', '1y']);
  });
});
