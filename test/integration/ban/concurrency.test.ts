import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { query } from '../../helpers/sqlite.js';
import { tempStore } from '../../helpers/store.js';

test('300 ban hooks started at once: every one exits 0 and all 300 addresses are stored', async () => {
  const netns = await Netns.create();
  const db = tempStore();
  const addresses = Array.from({ length: 300 }, (_, i) => (i % 5 === 4 ? `2001:db8:77::${(i + 1).toString(16)}` : `198.18.${i >> 8}.${i & 255}`));

  const results = await Promise.all(addresses.map((address) => netns.cli(['--db', db, 'ban', address, '--jail', 'sshd', '--bantime', '600'])));

  const failures = results.flatMap((result, i) => (result.code === 0 ? [] : [`${addresses[i]}: exit ${result.code}: ${result.stderr.trim()}`]));
  assert.deepEqual(failures, []);
  const stored = query<{ address: string }>(db, 'SELECT DISTINCT address FROM bans ORDER BY address').map((row) => row.address);
  assert.deepEqual(stored, [...addresses].sort());
  assert.equal(query(db, 'SELECT id FROM bans').length, 300, 'one event per hook, none twice');
});
