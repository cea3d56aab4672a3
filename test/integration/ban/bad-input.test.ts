import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { count } from '../../helpers/sqlite.js';
import { tempDb, tempDir } from '../../helpers/tmp.js';
import { tempStore } from '../../helpers/store.js';

const BAD_ADDRESSES = [
  '1.2.3.4; rm -rf /',
  '$(id)',
  '`reboot`',
  '1.2.3.4 && touch /tmp/pwned',
  '1.2.3.4|nc evil 1',
  '',
  ' ',
  'x'.repeat(10_240),
  '١.٢.٣.٤',
  '1.2.3.٤',
  '１２.0.0.1',
  '010.0.0.1',
  '192.168.1.1/33',
  '10.0.0.5/8',
  '2001:db8::1/32',
  'fe80::1%eth0',
  'example.com',
  '999.1.1.1',
  '1.2.3',
  '1:2:3:4:5:6:7:8:9',
  '1::2::3',
  '0x7f000001',
  '-1',
  '1.2.3.4\nrm -rf /',
  '1.2.3.4\u202e',
  '::ffff:1.2.3.999',
];

const BAD_OPTIONS: string[][] = [
  ['ban', '192.0.2.10', '--jail', 'ssh d'],
  ['ban', '192.0.2.10', '--jail', '$(id)'],
  ['ban', '192.0.2.10', '--jail', ''],
  ['ban', '192.0.2.10', '--jail', 'j'.repeat(65)],
  ['ban', '192.0.2.10', '--bantime', 'ten minutes'],
  ['ban', '192.0.2.10', '--reason', '-1 day'],
  ['ban', '192.0.2.10', '--jail', '-x'],
  ['ban', '192.0.2.10', '--bantime', '-5'],
  ['ban', '192.0.2.10', '--reason', 'line one\nline two'],
  ['ban', '192.0.2.10', '--restored', 'maybe'],
  ['ban', '192.0.2.10', '--no-such-option'],
  ['ban', '192.0.2.10', '192.0.2.11/33'],
  ['ban', '192.0.2.10', '192.0.2.11', '--event-id', '0190a6b2-5f3c-7d6e-8a9b-0c1d2e3f4a5b'],
  ['unban', '192.0.2.10', '192.0.2.0/33'],
  ['ban'],
  ['ban', '0.0.0.0/0', '--force'],
  ['safelist', 'add', '192.0.2.10', '--note', `a${'\u0007'}bell`],
  ['list', '--family', '5'],
  ['restore', 'now'],
  ['restore', '--bogus'],
  ['restore', '--backend', 'pf'],
  ['prune', '--older-than', 'soon'],
  ['unban', '192.0.2.0/33'],
  ['show', 'example.com'],
];

test('invalid input exits 2 with one line, and the store is unchanged', async () => {
  const netns = await Netns.create();
  const db = tempStore();
  const seeded = await netns.cli(['--db', db, 'ban', '203.0.113.50', '--jail', 'sshd']);
  assert.equal(seeded.code, 0, seeded.stderr);
  await netns.cli(['--db', db, 'safelist', 'add', '198.51.100.0/24']);
  const before = { bans: count(db, 'bans'), safelist: count(db, 'safelist') };

  const cases = [
    ...BAD_ADDRESSES.map((address) => ['ban', address, '--jail', 'sshd']),
    ...BAD_ADDRESSES.slice(0, 12).map((address) => ['safelist', 'add', address]),
    ...BAD_OPTIONS,
  ];
  assert.ok(cases.length >= 30);
  const results = await Promise.all(cases.map((args) => netns.cli(['--db', db, ...args])));
  results.forEach((result, i) => {
    const label = JSON.stringify(cases[i]).slice(0, 80);
    assert.equal(result.code, 2, `${label}: exit ${result.code}, stderr ${result.stderr}`);
    assert.equal(result.stdout, '', `${label}: nothing on stdout`);
    const lines = result.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, `${label}: one line, got ${JSON.stringify(result.stderr.slice(0, 300))}`);
    assert.match(lines[0]!, /^stickyban: .*(expected|refusing|unknown|missing|unexpected|too many|see stickyban)/, label);
    assert.ok(lines[0]!.length < 400, `${label}: message stays short`);
    assert.doesNotMatch(result.stderr, /\bat \w+ \(|node:internal/, `${label}: no stack trace`);
  });
  assert.deepEqual({ bans: count(db, 'bans'), safelist: count(db, 'safelist') }, before);
  assert.equal(existsSync('/tmp/pwned'), false);
});

test('bad input does not even create a store', async () => {
  const netns = await Netns.create();
  const db = tempDb();
  const result = await netns.cli(['--db', db, 'ban', '1.2.3.4; rm -rf /']);
  assert.equal(result.code, 2);
  assert.equal(existsSync(db), false);
});

test('a store path the file system cannot take is refused before anything is made: one short line, exit 2', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    // 120 KB: the error line was 360 KB, the path in it three times.
    [['--db', join(dir, 'a'.repeat(120_000)), 'ban', '192.0.2.1'], {}, /^stickyban: invalid --db ".{60}"… \(\d+ characters\): expected a path shorter than 4096 bytes\n$/],
    [['list'], { STICKYBAN_DB: join(dir, 'a'.repeat(5000)) }, /^stickyban: invalid STICKYBAN_DB ".{60}"… \(\d+ characters\): expected a path shorter than 4096 bytes\n$/],
    [['--db', join(dir, 'b'.repeat(256), 'stickyban.db'), 'ban', '192.0.2.1'], {}, /^stickyban: invalid --db ".{60}"… \(\d+ characters\): expected no name in the path longer than 255 bytes\n$/],
  ];
  for (const [args, env, message] of cases) {
    const result = await netns.cli(args, { env });
    assert.equal(result.code, 2, result.stderr.slice(0, 200));
    assert.match(result.stderr, message);
  }
  assert.deepEqual(readdirSync(dir), [], 'nothing made');
});
