import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { UsageError } from '../../../src/errors.js';
import { parseBanRequest } from '../../../src/actions/ban-request.js';
import { banTimeOf, bantimeOf, LAST_BAN_TIME, originOf, parseBanRecord, type BanRecord } from '../../../src/input/ban-record.js';

const record = (fields: Partial<Record<keyof BanRecord, unknown>>): BanRecord => ({
  address: '192.0.2.7',
  jail: 'sshd',
  bantime: 600,
  source: 'fail2ban',
  reason: null,
  restored: false,
  ...fields,
});

describe('a ban record', () => {
  test("a record's typed values say what the command line's text says", () => {
    const fromText = parseBanRequest('192.0.2.7', { jail: 'sshd', bantime: '600', source: 'fail2ban', reason: 'flood', restored: '1' });
    const fromRecord = parseBanRecord(record({ reason: 'flood', restored: true }));
    assert.deepEqual(fromRecord, fromText);
    assert.equal(formatNetwork(fromRecord.network), '192.0.2.7');
  });

  test('a record is refused on any field the command line would refuse, naming the field', () => {
    const cases: Array<[Partial<Record<keyof BanRecord, unknown>>, RegExp]> = [
      [{ address: '999.1.1.1' }, /invalid address "999\.1\.1\.1"/],
      [{ address: '0.0.0.0/0' }, /refusing to ban 0\.0\.0\.0\/0/],
      [{ address: 7 }, /invalid address 7: expected text/],
      [{ jail: 'a b' }, /invalid jail name "a b"/],
      [{ jail: null }, /invalid jail null: expected text/],
      [{ bantime: 1.5 }, /invalid bantime 1\.5: expected whole seconds, or -1 for forever/],
      [{ bantime: -5 }, /invalid bantime -5/],
      [{ bantime: '600' }, /invalid bantime "600"/],
      [{ bantime: Number.POSITIVE_INFINITY }, /invalid bantime Infinity/],
      [{ source: 'x y' }, /invalid source "x y"/],
      [{ reason: 'a\nb' }, /invalid reason/],
      [{ reason: 'x'.repeat(201) }, /at most 200 characters/],
      [{ restored: 1 }, /invalid restored 1: expected true or false/],
      [{ restored: undefined }, /invalid restored \(missing\)/],
    ];
    for (const [fields, message] of cases) assert.throws(() => parseBanRecord(record(fields)), message, JSON.stringify(fields));
  });

  test('a bantime is read as the command line reads the same number: -1, whole seconds, a huge one capped', () => {
    assert.equal(bantimeOf(-1, 'bantime'), -1);
    assert.equal(bantimeOf(0, 'bantime'), 0);
    assert.equal(bantimeOf(1e20, 'bantime'), Number.MAX_SAFE_INTEGER);
    assert.equal(parseBanRequest('192.0.2.7', { bantime: '100000000000000000000' }).bantime, Number.MAX_SAFE_INTEGER);
  });

  test('a temporary ban is given its length once: --duration with --bantime is refused, naming both', () => {
    for (const bantime of ['-1', '600', '2h']) {
      assert.throws(() => parseBanRequest('192.0.2.7', { duration: '2h', bantime }), (error: Error) => error instanceof UsageError && error.message === `--duration "2h" and --bantime "${bantime}" both give the ban's length: expected one of them (--duration for a temporary ban, --bantime for fail2ban's)`);
    }
    assert.equal(parseBanRequest('192.0.2.7', { duration: '2h' }).duration, 7200);
    assert.equal(parseBanRequest('192.0.2.7', { bantime: '-1' }).bantime, -1);
  });

  test('a time of ban is whole seconds from 1970 to the end of year 9999', () => {
    for (const good of [0, 1_795_251_309, LAST_BAN_TIME]) assert.equal(banTimeOf(good, 'banned_at'), good);
    for (const bad of [1.5, -1, 1e20, LAST_BAN_TIME + 1, Number.NaN, '1795251309', null]) {
      assert.throws(() => banTimeOf(bad, 'banned_at'), /invalid banned_at .*: expected whole seconds since 1970, at most 253402300799 \(year 9999\)/, String(bad));
    }
  });

  test('an origin is whatever host name the writer had, bounded in length', () => {
    assert.equal(originOf('web-1.example', 'origin'), 'web-1.example');
    assert.equal(originOf('héte', 'origin'), 'héte');
    assert.throws(() => originOf('h'.repeat(256), 'origin'), /at most 255 characters/);
    assert.throws(() => originOf(42, 'origin'), /expected text/);
  });
});
