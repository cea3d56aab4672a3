// `ban` and `unban` take several addresses, as fail2ban-client's banip does: every one is checked
// before any is written, so one that is not valid (or would lock the admin out) means none is.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempStore } from '../../helpers/store.js';

async function setup() {
  const netns = await Netns.create();
  const db = tempStore();
  const cli = (...args: string[]) => netns.cli(['--db', db, ...args]);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return { netns, db, cli, ok };
}

test('ban and unban take several addresses: each recorded and made live, each said in one line; an address given twice is one ban', async () => {
  const { netns, db, ok } = await setup();
  await ok('restore');
  assert.equal(await ok('ban', '192.0.2.1', '198.51.100.0/30', '2001:db8::1', '192.0.2.1', '--jail', 'sshd'), 'banned 192.0.2.1 (jail sshd)\nbanned 198.51.100.0/30 (jail sshd)\nbanned 2001:db8::1 (jail sshd)\n');
  assert.deepEqual(query(db, 'SELECT address, jail FROM bans ORDER BY id'), [
    { address: '192.0.2.1', jail: 'sshd' },
    { address: '198.51.100.0/30', jail: 'sshd' },
    { address: '2001:db8::1', jail: 'sshd' },
  ]);
  assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['192.0.2.1', '198.51.100.0/30']);
  assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8::1']);

  assert.equal(await ok('unban', '192.0.2.1', '2001:db8::1'), 'unbanned 192.0.2.1 (1 ban event lifted)\nunbanned 2001:db8::1 (1 ban event lifted)\n');
  assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['198.51.100.0/30']);
  assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), []);
});

test('one address that is not valid, or that would lock the admin out, and none of them is written (exit 2, one line)', async () => {
  const { db, cli, ok } = await setup();
  await ok('ban', '203.0.113.9');
  const before = query(db, 'SELECT * FROM bans');
  const cases: Array<[string[], RegExp]> = [
    [['ban', '192.0.2.7', '999.1.1.1', '--jail', 'sshd'], /^stickyban: invalid address "999\.1\.1\.1": .*\n$/],
    [['ban', '192.0.2.7', '127.0.0.1'], /^stickyban: refusing to ban 127\.0\.0\.1 \(meets 127\.0\.0\.0\/8\): it is loopback; .*\n$/],
    [['ban', '192.0.2.7', '192.0.2.8', '--event-id', '0190a6b2-5f3c-7d6e-8a9b-0c1d2e3f4a5b'], /^stickyban: --event-id names one ban event: expected one address with it\n$/],
    [['unban', '203.0.113.9', '192.0.2.0/33'], /^stickyban: invalid address "192\.0\.2\.0\/33": .*\n$/],
  ];
  for (const [args, message] of cases) {
    const result = await cli(...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, message, args.join(' '));
  }
  assert.deepEqual(query(db, 'SELECT * FROM bans'), before, 'nothing written, nothing lifted');
  assert.equal(count(db, 'bans', 'lifted_at IS NULL'), 1);
});
