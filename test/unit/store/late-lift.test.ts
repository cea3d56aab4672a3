// A fleet-wide lift that reaches a host late (it was cut off): dated when the admin decided it,
// never before the ban it lifts; the bans found since are left; what had ended or been lifted here
// in between stays as it was.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseNetwork } from '../../../src/address/parse.js';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

const T = 1_795_000_000;
const NOW = T + 3600;

test('a late lift: dated then or at the ban, banned since left, ended or lifted meanwhile untouched, a replay of a ban it lifted stays lifted', () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  try {
    const before = { ...banEvent('192.0.2.1'), bannedAt: T - 100 };
    const justAfter = { ...banEvent('192.0.2.2'), bannedAt: T + 100 };
    const since = { ...banEvent('192.0.2.3'), bannedAt: T + 1000 };
    const ended = { ...banEvent('192.0.2.4'), jail: 'manual', source: 'manual', bannedAt: T - 500, until: T + 50 };
    const unbanned = { ...banEvent('192.0.2.5'), bannedAt: T - 200 };
    const all = parseNetwork('192.0.2.0/24');
    store.write(() => {
      for (const event of [before, justAfter, since, ended, unbanned]) store.bans.insert(event);
      store.bans.lift(unbanned.network, undefined, T + 60, 'unban');
    });
    const lifted = store.write(() => store.bans.lift(all, undefined, NOW, 'fleet:admin', { at: T, upTo: T + 300 }));
    assert.equal(lifted, 2);
    assert.equal(store.read(() => store.bans.bannedAfter(all, undefined, NOW, T + 300)), 1);
    const rows = store.db.prepare('SELECT address, lifted_at, lifted_by FROM bans ORDER BY address').all();
    assert.deepEqual(rows, [
      { address: '192.0.2.1', lifted_at: T, lifted_by: 'fleet:admin' },
      { address: '192.0.2.2', lifted_at: T + 100, lifted_by: 'fleet:admin' },
      { address: '192.0.2.3', lifted_at: null, lifted_by: null },
      { address: '192.0.2.4', lifted_at: T + 50, lifted_by: 'duration' },
      { address: '192.0.2.5', lifted_at: T + 60, lifted_by: 'unban' },
    ]);
    // fail2ban restarting replays the ban it holds: the lift is a decision a replay does not undo.
    const replay = { ...justAfter, uuid: banEvent('192.0.2.2').uuid, restored: true };
    assert.deepEqual(store.read(() => store.bans.liftOfReplay(replay)), { lifted_at: T + 100, lifted_by: 'fleet:admin' });
  } finally {
    store.close();
  }
});
