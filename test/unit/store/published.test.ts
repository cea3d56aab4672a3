import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempStore } from '../../helpers/store.js';

test('an id freed by prune at the top is handed out again, and the local ban given it is still published', () => {
  const store = Store.open({ path: tempStore(), busyTimeoutMs: 1000 });
  try {
    // Three local bans, all sent; the newest is a fail2ban replay dated long ago, so prune takes it.
    const old = { ...banEvent('192.0.2.3'), bannedAt: 1_000_000_000, restored: true };
    store.write(() => {
      store.bans.insert(banEvent('192.0.2.1'));
      store.bans.insert(banEvent('192.0.2.2'));
      store.bans.insert(old);
      store.fleet.set('published', '3');
    });
    assert.equal(store.write(() => store.bans.deleteIfStale(old.network, 1_500_000_000, false)), 1);
    const next = banEvent('192.0.2.4');
    store.write(() => store.bans.insert(next));
    assert.equal(store.read(() => store.bans.maxId()), 3, 'SQLite gave the freed id again');
    const published = Number(store.read(() => store.fleet.get('published')));
    assert.deepEqual(store.read(() => store.fleet.outgoing(published, 10)).map((ban) => ban.uuid), [next.uuid], 'it waits to be sent');
    assert.equal(store.read(() => store.fleet.waiting(published)), 1);
  } finally {
    store.close();
  }
});
