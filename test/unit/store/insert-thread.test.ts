import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { network4, network6 } from '../../../src/address/network.js';
import { packBans, unpackBans } from '../../../src/store/ban-pack.js';
import type { BanEvent } from '../../../src/store/bans.js';
import { uuidv7 } from '../../../src/store/ids.js';
import { InsertThread } from '../../../src/store/insert-thread.js';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/tmp.js';

/** The clock the inserts are made at (it judges replays). */
const NOW = 1_765_100_000;

function ban(i: number, overrides: Partial<BanEvent> = {}): BanEvent {
  return { uuid: uuidv7(1_765_000_000_000 + i), origin: 'host-a', network: network4(0xc0000200 + i, 32), jail: 'sshd', bannedAt: 1_765_000_000 + i, bantime: 600, source: 'fleet:host-a', reason: null, restored: false, ...overrides };
}

test('packed and unpacked, ban events are what they were: both families, wide blocks, no bantime or reason, a restored replay, text of any kind', () => {
  const events = [
    ban(0),
    ban(1, { network: network4(0, 0), bantime: null, reason: 'a reason: été, 🙂, tabs\tand\nlines', restored: true }),
    ban(2, { network: network4(0xffffffff, 32), bantime: -1, jail: 'nginx-limit-req', origin: 'host-b', source: 'fleet:host-b' }),
    ban(3, { network: network6(0x20010db8_00000000_00000000_00000001n, 128), bannedAt: 978_307_200 }),
    ban(4, { network: network6(0xffffffff_ffffffff_ffffffff_ffffffffn, 128), bantime: 3_153_600_000 }),
    ban(5, { network: network6(0x20010db8_00010000_00000000_00000000n, 48), reason: '' }),
    ban(6, { network: network6(0n, 0) }),
  ];
  const packed = packBans(events);
  assert.deepEqual(packed.strings, ['host-a', 'sshd', 'fleet:host-a', 'a reason: été, 🙂, tabs\tand\nlines', 'host-b', 'nginx-limit-req', 'fleet:host-b', ''], 'each string once');
  assert.deepEqual(unpackBans(packed), events);
  assert.deepEqual(unpackBans(packBans([])), []);
  assert.throws(() => packBans([ban(7, { until: 1_765_000_600 })]), /temporary ban/);
});

test('the insert thread records batches in order as insertMany does, answers with the new ones, and leaves the store checkpointed', async () => {
  const dir = tempDir();
  const [threaded, plain] = [join(dir, 'threaded.db'), join(dir, 'plain.db')].map((path) => Store.open({ path, busyTimeoutMs: 1000, create: true }));
  // Rows of every kind a batch carries: no bantime, a reason, other hosts and jails, wide blocks of both families.
  const varied: Record<number, Partial<BanEvent>> = {
    1: { bantime: null, reason: 'a reason: été' },
    2: { origin: 'host-b', jail: 'nginx', source: 'fleet:host-b', bantime: -1, network: network4(0x0a000000, 8) },
    3: { network: network6(0x20010db8_00000000_00000000_00000001n, 128) },
  };
  const batches = [Array.from({ length: 3000 }, (_, i) => ban(i, varied[i])), Array.from({ length: 2000 }, (_, i) => ban(i + 2500, i === 0 ? { network: network6(0x20010db8n << 96n, 32) } : {}))];
  // The second batch repeats 500 events of the first: replays are harmless.
  batches[1]!.splice(0, 500, ...batches[0]!.slice(2500));
  const thread = InsertThread.start(threaded!.path, 1000);
  try {
    const answers = [];
    for (const batch of batches) answers.push(await thread.insert(batch, NOW));
    assert.deepEqual(answers, [3000, 1500]);
    await thread.finish();
  } finally {
    await thread.stop();
  }
  for (const batch of batches) plain!.write(() => plain!.bans.insertMany(batch));
  const rows = (store: Store) => store.db.prepare('SELECT uuid, origin, family, first, last, address, jail, banned_at, bantime, source, reason, restored FROM bans ORDER BY id').raw().all();
  assert.deepEqual(rows(threaded!), rows(plain!));
  const prefixes = (store: Store) => store.db.prepare('SELECT family, prefix FROM ban_prefixes ORDER BY family, prefix').raw().all();
  assert.deepEqual(prefixes(threaded!), [[4, 8], [4, 32], [6, 128]], 'the prefix lengths noted');
  assert.deepEqual(prefixes(threaded!), prefixes(plain!));
  assert.deepEqual(threaded!.db.pragma('wal_checkpoint(PASSIVE)'), [{ busy: 0, log: 0, checkpointed: 0 }], 'the WAL was moved into the store and emptied');
  threaded!.close();
  plain!.close();
});

test('a thread that cannot write says why, and so does every batch after', async () => {
  const thread = InsertThread.start(join(tempDir(), 'missing.db'), 1000);
  try {
    await assert.rejects(thread.insert([ban(0)], NOW), /the insert thread: unable to open database file/);
    await assert.rejects(thread.insert([ban(1)], NOW), /the insert thread: unable to open database file/);
  } finally {
    await thread.stop();
  }
});

test('at finish the thread waits for a reader beside it (the restore) to let go, and the WAL is emptied', async () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 5000, create: true });
  const thread = InsertThread.start(store.path, 5000);
  try {
    await thread.insert(Array.from({ length: 3000 }, (_, i) => ban(i)), NOW);
    // A restore reading the store, from the latest snapshot, while the thread finishes.
    store.db.exec('BEGIN');
    store.db.prepare('SELECT count(*) FROM bans').pluck().get();
    const finishing = thread.finish();
    await new Promise((resolve) => setTimeout(resolve, 300));
    store.db.exec('COMMIT');
    await finishing;
    assert.equal(statSync(`${store.path}-wal`).size, 0, 'the WAL was truncated once the reader was done');
  } finally {
    await thread.stop();
    store.close();
  }
});
