import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { network4 } from '../../../src/address/network.js';
import { BulkCatchUp } from '../../../src/fleet/bulk-catch-up.js';
import type { BanEvent } from '../../../src/store/bans.js';
import { uuidv7 } from '../../../src/store/ids.js';
import { hasBlockIndex } from '../../../src/store/block-index.js';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

const PIECE = 500;

function remote(i: number): BanEvent {
  // Addresses all over the space, as a log's are.
  return { uuid: uuidv7(1_765_000_000_000 + i), origin: 'host-a', network: network4((Math.imul(i, 2654435761) >>> 0) | 1, 32), jail: 'sshd', bannedAt: 1_765_000_000, bantime: 600, source: 'fleet:host-a', reason: null, restored: false };
}

test('a write of the daemon waiting for the store goes in between two pieces of a bulk catch-up, not after it', async () => {
  // As the daemon opens its store: SQLite does not wait in place, writeAsync waits with timers.
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 10_000, busyWaitMs: 0, create: true });
  const catchUp = new BulkCatchUp(store, 10_000, { durable: true, rowsPerTransaction: PIECE });
  const fleetRows = () => store.db.prepare("SELECT count(*) FROM bans WHERE source LIKE 'fleet:%'").pluck().get() as number;
  try {
    const events = Array.from({ length: 40 * PIECE }, (_, i) => remote(i));
    const inserting = catchUp.insert(events, 1_765_000_100);
    // Once the thread has begun, a ban as fail2ban hands it to the daemon.
    while (store.read(fleetRows) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const before = store.read(fleetRows);
    const alongside = await store.writeAsync(() => {
      store.bans.insert(banEvent('192.0.2.1'));
      return fleetRows();
    });
    await inserting;
    // The piece the thread was writing, and a few more at most: the write tries again every few ms,
    // and a piece takes about as long (0, 500 or 1,000 rows in 30 quiet runs; more on a busy machine).
    assert.ok(alongside - before <= 10 * PIECE, `${alongside - before} rows went in between`);
    assert.ok(alongside < events.length, 'the ban did not wait for the whole catch-up');
    await catchUp.finish();
    assert.equal(store.read(fleetRows), events.length);
    assert.equal(store.read(() => store.bans.maxId()), events.length + 1);
  } finally {
    catchUp.stop();
    store.close();
  }
});

test('a restore owed by a catch-up cut short, with nothing read since, still finds the WAL emptied (by a thread that wrote nothing)', async () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 10_000, create: true });
  try {
    // The catch-up cut short: its commits are in the WAL, never checkpointed.
    store.db.pragma('wal_autocheckpoint = 0');
    store.write(() => store.bans.insertMany(Array.from({ length: 3000 }, (_, i) => remote(i))));
    assert.ok(statSync(`${store.path}-wal`).size > 0);
    await new BulkCatchUp(store, 10_000, { durable: true }).finish();
    assert.equal(statSync(`${store.path}-wal`).size, 0);
  } finally {
    store.close();
  }
});

test("a command's catch-up into a store with no bans loads without the block index, builds it when ready, and records what the ordinary load records", async () => {
  const dir = tempDir();
  const open = (name: string) => Store.open({ path: join(dir, `${name}.db`), busyTimeoutMs: 10_000, create: true });
  const [empty, ordinary, holding] = [open('empty'), open('ordinary'), open('holding')];
  holding.write(() => holding.bans.insert(banEvent('192.0.2.1')));
  // Three batches, the second repeating some of the first (a page read again after a sync cut short).
  const events = Array.from({ length: 5800 }, (_, i) => remote(i));
  const batches = [0, 1900, 3800].map((from) => events.slice(from, from + 2000));
  const rows = (store: Store) => store.db.prepare("SELECT uuid, origin, family, first, last, address, jail, banned_at, bantime, source, reason, restored FROM bans WHERE source LIKE 'fleet:%' ORDER BY uuid").raw().all();
  try {
    for (const [store, indexAfterIntoEmpty] of [[empty, true], [ordinary, false], [holding, true]] as const) {
      const catchUp = new BulkCatchUp(store, 10_000, { durable: false, indexAfterIntoEmpty });
      const indexed: boolean[] = [];
      for (const batch of batches) {
        await catchUp.insert(batch, 1_765_000_100);
        indexed.push(hasBlockIndex(store.db));
      }
      await catchUp.ready();
      indexed.push(hasBlockIndex(store.db));
      await catchUp.finish();
      assert.deepEqual(indexed, store === empty ? [false, false, false, true] : [true, true, true, true], store.path);
    }
    assert.equal(empty.read(() => empty.bans.maxId()), 5800);
    assert.deepEqual(rows(empty), rows(ordinary));
    assert.deepEqual(rows(holding), rows(ordinary));
  } finally {
    for (const store of [empty, ordinary, holding]) store.close();
  }
});

test('a replay ends the load without the block index: the index is built first, and the replay judged by the bans of its block', async () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 10_000, create: true });
  const catchUp = new BulkCatchUp(store, 10_000, { durable: false, indexAfterIntoEmpty: true });
  try {
    await catchUp.insert(Array.from({ length: 1000 }, (_, i) => remote(i)), 1_765_000_100);
    assert.equal(hasBlockIndex(store.db), false);
    // fail2ban restarted on host-a and replays a ban still in force: nothing to record.
    const replay = { ...remote(5), uuid: uuidv7(1_765_000_900_000), restored: true };
    await catchUp.insert([remote(1000), replay], 1_765_000_100);
    assert.equal(hasBlockIndex(store.db), true);
    assert.equal(store.read(() => store.bans.maxId()), 1001, 'the replay was held');
    await catchUp.finish();
  } finally {
    catchUp.stop();
    store.close();
  }
});
