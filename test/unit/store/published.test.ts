import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { isPublished } from '../../../src/store/fleet.js';
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

test('the local events to publish are found by an index of their own, never by reading the fleet’s events', () => {
  const store = Store.open({ path: tempStore(), busyTimeoutMs: 1000 });
  try {
    // The statements FleetTable prepares while it answers, as SQLite would run them.
    const prepared: string[] = [];
    const prepare = store.db.prepare.bind(store.db);
    store.db.prepare = ((sql: string) => (prepared.push(sql), prepare(sql))) as typeof store.db.prepare;
    store.write(() => store.bans.insertMany([{ ...banEvent('198.51.100.1'), source: 'fleet:other' }, banEvent('192.0.2.1')]));
    assert.equal(store.read(() => store.fleet.outgoing(0, 10)).length, 1);
    assert.equal(store.read(() => store.fleet.waiting(0)), 1);
    const reads = prepared.filter((sql) => /^\s*SELECT/.test(sql) && /NOT LIKE/.test(sql));
    assert.equal(reads.length, 2, reads.join('\n'));
    for (const sql of reads) {
      const plan = (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...[0, 10].slice(0, sql.split('?').length - 1)) as Array<{ detail: string }>).map((row) => row.detail).join('; ');
      assert.match(plan, /USING (COVERING )?INDEX bans_local/, `${sql}\n→ ${plan}`);
    }
  } finally {
    store.close();
  }
});

test('isPublished says of an event what a push does: neither the fleet’s events nor temporary bans are sent', () => {
  const store = Store.open({ path: tempStore(), busyTimeoutMs: 1000 });
  try {
    const events = [
      banEvent('192.0.2.1'),
      { ...banEvent('192.0.2.2'), source: 'manual', jail: 'manual' },
      { ...banEvent('192.0.2.3'), source: 'fleet:host-b' },
      { ...banEvent('192.0.2.4'), source: 'import:fail2ban-db' },
      { ...banEvent('192.0.2.5'), source: 'manual', jail: 'manual', until: 1_790_000_600 },
    ];
    store.write(() => events.forEach((event) => store.bans.insert(event)));
    const sent = store.read(() => store.fleet.outgoing(0, 10)).map((ban) => formatNetwork(ban.network));
    assert.deepEqual(sent, ['192.0.2.1', '192.0.2.2', '192.0.2.4']);
    assert.deepEqual(events.filter(isPublished).map((event) => formatNetwork(event.network)), sent);
  } finally {
    store.close();
  }
});
