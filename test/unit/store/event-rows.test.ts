import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { network4, network6 } from '../../../src/address/network.js';
import type { BanEvent } from '../../../src/store/bans.js';
import { EventInserts, eventRows, ROWS_PER_INSERT } from '../../../src/store/event-rows.js';
import { uuidv7 } from '../../../src/store/ids.js';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/tmp.js';

function ban(i: number, overrides: Partial<BanEvent> = {}): BanEvent {
  return { uuid: uuidv7(1_765_000_000_000 + i), origin: 'host-a', network: network4(0xc6336400 + i, 32), jail: 'sshd', bannedAt: 1_765_000_000 + i, bantime: 600, source: 'fleet:host-a', reason: null, restored: false, ...overrides };
}

const rows = (store: Store) => store.db.prepare('SELECT uuid, origin, family, first, last, address, jail, banned_at, bantime, source, reason, restored FROM bans ORDER BY id').raw().all();

test('rows in statements of many, sharing columns or not, are the rows inserted one by one; events stored already are not counted', () => {
  const dir = tempDir();
  const [many, one] = ['many.db', 'one.db'].map((name) => Store.open({ path: join(dir, name), busyTimeoutMs: 1000, create: true }));
  // Runs that share every column a statement binds once, and statements where one row differs in
  // each of those columns in turn (host, family, jail, source, reason, replay flag), or only in its own.
  const differs: Array<Partial<BanEvent>> = [
    { origin: 'host-b' },
    { network: network6(0x20010db8n << 96n, 64) },
    { jail: 'nginx' },
    { source: 'fleet:host-b' },
    { reason: 'brute force' },
    { restored: true },
    { bantime: null, network: network4(0x0a000000, 8) },
  ];
  const events: BanEvent[] = [];
  for (let statement = 0; statement < differs.length + 2; statement++) {
    for (let i = 0; i < ROWS_PER_INSERT; i++) {
      const n = statement * ROWS_PER_INSERT + i;
      events.push(ban(n, i === 17 ? differs[statement] : {}));
    }
  }
  events.push(ban(10_000), ban(10_001, { reason: 'x' }));
  assert.equal(many!.write(() => many!.bans.insertMany(events)), events.length);
  for (const event of events) assert.equal(one!.write(() => one!.bans.insert(event)), true);
  assert.deepEqual(rows(many!), rows(one!));
  // Again, with new events among them, in statements that share their columns and in ones that do not.
  const again = [...events.slice(0, 60), ban(20_000), ...events.slice(60, 120), ban(20_001, { jail: 'postfix' })];
  assert.equal(many!.write(() => many!.bans.insertMany(again)), 2);
  assert.equal(rows(many!).length, events.length + 2);
  many!.close();
  one!.close();
});

test('statements whose rows share the six columns bind them once; one row that differs keeps its statement on the plain way', () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  const inserts = new EventInserts(store.db);
  const shared = Array.from({ length: 3 * ROWS_PER_INSERT }, (_, i) => ban(i));
  shared[ROWS_PER_INSERT + 7] = ban(ROWS_PER_INSERT + 7, { jail: 'nginx' });
  assert.equal(store.write(() => inserts.insert(eventRows(shared))), shared.length);
  assert.equal(inserts.sharedRuns, 2, 'the first and the third statement');
  assert.equal(rows(store).length, shared.length);
  store.close();
});
