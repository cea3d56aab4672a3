// A catch-up's bans recorded in bulk (BanTable.insertCaughtUp, the insert thread's) are judged as
// the ban path judges them one by one: a replay of a ban held here records nothing, one of a ban
// lifted since is recorded lifted, whatever else the batch holds.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

const T = 1_795_000_000;

test('in a bulk batch, a replay of a ban held here (the batch’s own too) records nothing; one of a lifted ban is recorded lifted; others are recorded', () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  try {
    const lifted = { ...banEvent('192.0.2.3'), bannedAt: T - 7200 };
    store.write(() => {
      store.bans.insert(lifted);
      store.bans.lift(lifted.network, undefined, T - 3600, 'unban');
    });
    const batch = [
      { ...banEvent('192.0.2.1'), bannedAt: T - 7200 },
      { ...banEvent('192.0.2.1'), bannedAt: T - 600, restored: true },
      { ...banEvent('192.0.2.2'), bannedAt: T - 600, restored: true },
      { ...lifted, uuid: banEvent('192.0.2.3').uuid, restored: true },
    ];
    assert.equal(store.write(() => store.bans.insertCaughtUp(batch, T)), 3);
    assert.deepEqual(store.db.prepare('SELECT address, restored, lifted_by FROM bans ORDER BY address, restored').all(), [
      { address: '192.0.2.1', restored: 0, lifted_by: null },
      { address: '192.0.2.2', restored: 1, lifted_by: null },
      { address: '192.0.2.3', restored: 0, lifted_by: 'unban' },
      { address: '192.0.2.3', restored: 1, lifted_by: 'unban' },
    ]);
  } finally {
    store.close();
  }
});
