// `stickyban list` narrowed the way admins ask: by status, jail, time of the last ban and address.
// Each filter is checked against a store where every other row would show if it were ignored, and
// each bad value is one line, exit 2.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { seedBans } from '../../helpers/seed.js';
import { configuredStore } from '../../helpers/tmp.js';

const NOW = Date.parse('2026-11-21T09:00:00Z') / 1000;
const HOUR = 3600;
const DAY = 86_400;

test('list --status, --since, --address and --jail select the rows they name, together too; bad values are one line, exit 2', async () => {
  const netns = await Netns.create();
  // Two bans make a block permanent: one ban leaves it pending, and an old pair expired.
  const { db, config } = configuredStore('[policy]\nmin_bans = 2\nretention = "180d"\n');
  seedBans(db, [
    { address: '203.0.113.7', jail: 'sshd', bannedAt: NOW - 30 * DAY },
    { address: '203.0.113.7', jail: 'recidive', bannedAt: NOW - HOUR },
    { address: '198.51.100.0/24', jail: 'manual', bannedAt: NOW - 10 * DAY },
    { address: '198.51.100.0/24', jail: 'manual', bannedAt: NOW - 9 * DAY },
    { address: '198.51.100.9', jail: 'sshd', bannedAt: NOW - 3 * HOUR },
    { address: '192.0.2.10', jail: 'sshd', bannedAt: NOW - 200 * DAY },
    { address: '192.0.2.10', jail: 'sshd', bannedAt: NOW - 199 * DAY },
    { address: '192.0.2.200', jail: 'sshd', bannedAt: NOW - 2 * DAY },
    { address: '192.0.2.200', jail: 'sshd', bannedAt: NOW - DAY },
    { address: '2001:db8::7', jail: 'nginx', bannedAt: NOW - 30 * 60 },
  ]);
  const run = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args], { env: { STICKYBAN_NOW: String(NOW) } });
  assert.equal((await run('safelist', 'add', '192.0.2.128/25')).code, 0);
  const listed = async (...filters: string[]): Promise<string[]> => {
    const result = await run('list', '--json', ...filters);
    assert.equal(result.code, 0, `list ${filters.join(' ')}: ${result.stderr}`);
    return (JSON.parse(result.stdout) as Array<{ address: string }>).map((row) => row.address);
  };

  assert.deepEqual(await listed(), ['192.0.2.10', '192.0.2.200', '198.51.100.0/24', '198.51.100.9', '203.0.113.7', '2001:db8::7']);
  assert.deepEqual(await listed('--status', 'permanent'), ['198.51.100.0/24', '203.0.113.7']);
  assert.deepEqual(await listed('--status', 'pending'), ['198.51.100.9', '2001:db8::7']);
  assert.deepEqual(await listed('--status', 'expired'), ['192.0.2.10']);
  assert.deepEqual(await listed('--status', 'safelisted'), ['192.0.2.200']);

  // Banned since: the block's last ban is at or after the time.
  assert.deepEqual(await listed('--since', '2h'), ['203.0.113.7', '2001:db8::7']);
  assert.deepEqual(await listed('--since', '1d1h'), ['192.0.2.200', '198.51.100.9', '203.0.113.7', '2001:db8::7']);
  assert.deepEqual(await listed('--since', '2026-11-12'), ['192.0.2.200', '198.51.100.0/24', '198.51.100.9', '203.0.113.7', '2001:db8::7']);
  assert.deepEqual(await listed('--since', '2026-11-21T05:30:00Z'), ['198.51.100.9', '203.0.113.7', '2001:db8::7']);
  assert.deepEqual(await listed('--since', '2026-11-21T10:00:00+02:00'), ['203.0.113.7', '2001:db8::7']);

  // Blocks that meet the address: those that hold it and those inside it.
  assert.deepEqual(await listed('--address', '198.51.100.9'), ['198.51.100.0/24', '198.51.100.9']);
  assert.deepEqual(await listed('--address', '198.51.100.128/25'), ['198.51.100.0/24']);
  assert.deepEqual(await listed('--address', '198.51.0.0/16'), ['198.51.100.0/24', '198.51.100.9']);
  assert.deepEqual(await listed('--address', '192.0.2.0/24'), ['192.0.2.10', '192.0.2.200']);
  assert.deepEqual(await listed('--address', '2001:db8::/32'), ['2001:db8::7']);
  assert.deepEqual(await listed('--address', '10.0.0.1'), []);
  assert.deepEqual(await listed('--address', '::ffff:203.0.113.7'), ['203.0.113.7'], 'an IPv4-mapped address is IPv4');

  // Together, and with the filters that were there before.
  assert.deepEqual(await listed('--status', 'pending', '--address', '198.51.100.0/24'), ['198.51.100.9']);
  assert.deepEqual(await listed('--status', 'permanent', '--since', '1d'), ['203.0.113.7']);
  assert.deepEqual(await listed('--jail', 'sshd', '--since', '1w'), ['192.0.2.200', '198.51.100.9']);
  assert.deepEqual(await listed('--family', '6', '--address', '203.0.113.7'), []);

  // The table: only the rows asked for, and a word when none is.
  const table = await run('list', '--status', 'expired');
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^ADDRESS +STATUS +BANS +JAILS +LAST BAN\n192\.0\.2\.10 +expired +2 +sshd +2026-05-06T09:00:00Z\n$/);
  const none = await run('list', '--address', '10.0.0.0/8');
  assert.equal(none.code, 0, none.stderr);
  assert.equal(none.stdout, 'no banned block matches the filters\n');

  for (const [args, message] of [
    [['--status', 'banned'], /^stickyban: invalid --status "banned": expected permanent, temporary, pending, expired or safelisted\n$/],
    [['--since', 'yesterday'], /^stickyban: invalid --since "yesterday": expected a duration back from now such as 2h or 7d, or a time such as 2026-11-21 or 2026-11-21T09:00:00Z\n$/],
    [['--since', '2026-11-21T09:00:00'], /^stickyban: invalid --since "2026-11-21T09:00:00": .*2026-11-21T09:00:00Z\n$/],
    [['--since', '2026-02-30'], /^stickyban: invalid --since "2026-02-30": /],
    [['--address', '198.51.100.9/24'], /^stickyban: .*198\.51\.100\.0\/24/],
    [['--address', 'example.org'], /^stickyban: invalid address "example\.org"/],
  ] as const) {
    const result = await run('list', ...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stdout, '');
  }
});
