import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { IdleCheckpoint } from '../../../src/daemon/idle-checkpoint.js';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempStore } from '../../helpers/store.js';
import { tempDir } from '../../helpers/tmp.js';
import { walState } from '../../helpers/wal.js';

test('the WAL is copied into the database file once nothing was committed for a whole look, then starts over; no write is lost', async () => {
  const db = tempStore();
  // As the daemon opens it: SQLite itself never waits, the daemon's waits are timers.
  const store = Store.open({ path: db, busyTimeoutMs: 1000, busyWaitMs: 0 });
  const idle = new IdleCheckpoint(store, () => undefined, 60_000);
  try {
    idle.start();
    const ban = (address: string) => store.writeAsync(() => store.bans.insert(banEvent(address)));
    for (let i = 0; i < 50; i++) await ban(`192.0.2.${i}`);
    await store.writeAsync(() => store.fleet.set('cursor', '1:50'), undefined, 'bookkeeping');
    assert.ok(walState(db).frames >= 50);

    idle.look();
    assert.equal(idle.checkpoints, 0, 'a look right after commits: the store may be in a storm');
    await ban('192.0.2.50');
    idle.look();
    assert.equal(idle.checkpoints, 0, 'still writing');
    idle.look();
    assert.equal(idle.checkpoints, 1, 'quiet for a whole look');
    const { frames, copied } = walState(db);
    assert.equal(copied, frames, 'every frame is in the database file');
    idle.look();
    assert.equal(idle.checkpoints, 1, 'nothing new to move');

    // The database file alone holds every ban committed before it, and the cursor.
    const copy = join(tempDir(), 'copy.db');
    copyFileSync(db, copy);
    const alone = Store.open({ path: copy, busyTimeoutMs: 1000 });
    assert.equal(alone.read(() => alone.bans.maxId()), 51);
    assert.equal(alone.read(() => alone.fleet.get('cursor')), '1:50');
    alone.close();

    // The next commit starts the WAL over; writes go on as before.
    await ban('192.0.2.51');
    assert.ok(walState(db).frames < 10, `${walState(db).frames} frames: the WAL started over`);
    for (let i = 52; i < 60; i++) await ban(`192.0.2.${i}`);
    assert.equal(store.read(() => store.bans.maxId()), 60);
  } finally {
    idle.stop();
    store.close();
  }
  const reopened = Store.open({ path: db, busyTimeoutMs: 1000 });
  assert.equal(reopened.read(() => reopened.bans.maxId()), 60, 'every ban, after the daemon\'s connection closed');
  reopened.close();
});

test('a reader on an older snapshot (a command listing the store) is not waited for: the next quiet look checkpoints', async () => {
  const db = tempStore();
  const store = Store.open({ path: db, busyTimeoutMs: 1000, busyWaitMs: 0 });
  const reader = Store.open({ path: db, busyTimeoutMs: 1000 });
  const idle = new IdleCheckpoint(store, () => undefined, 60_000);
  try {
    idle.start();
    await store.writeAsync(() => store.bans.insert(banEvent('192.0.2.1')));
    let release: () => void = () => undefined;
    const reading = reader.readAsync(() => new Promise<void>((resolve) => (release = resolve)));
    await store.writeAsync(() => store.bans.insert(banEvent('192.0.2.2')));
    idle.look();
    const started = Date.now();
    idle.look();
    assert.ok(Date.now() - started < 100, 'the look did not wait for the reader');
    assert.equal(idle.checkpoints, 0, 'the reader holds a snapshot the WAL still serves');
    release();
    await reading;
    idle.look();
    assert.equal(idle.checkpoints, 1);
    assert.equal(walState(db).copied, walState(db).frames);
  } finally {
    idle.stop();
    reader.close();
    store.close();
  }
});
