import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BulkWrites } from '../../../src/store/bulk.js';
import { Store } from '../../../src/store/store.js';
import { banEvent } from '../../helpers/seed.js';
import { tempStore } from '../../helpers/store.js';

const synchronous = (store: Store) => store.db.pragma('synchronous', { simple: true });

test('a bookkeeping write commits without an fsync of its own; every other write stays synced', async () => {
  const store = Store.open({ path: tempStore(), busyTimeoutMs: 1000, busyWaitMs: 0 });
  try {
    assert.equal(synchronous(store), 2, 'FULL: a ban answered as recorded survives a power cut');
    const during = await store.writeAsync(() => {
      store.fleet.set('cursor', '7:42');
      return synchronous(store);
    }, undefined, 'bookkeeping');
    assert.equal(during, 1, 'NORMAL while the fleet cursor is committed');
    assert.equal(synchronous(store), 2, 'FULL again after it');
    assert.equal(store.read(() => store.fleet.get('cursor')), '7:42');

    assert.equal(await store.writeAsync(() => (store.bans.insert(banEvent('192.0.2.1')), synchronous(store))), 2, 'a ban: synced');
    await assert.rejects(store.writeAsync(() => {
      store.fleet.set('published', '1');
      throw new Error('the work failed');
    }, undefined, 'bookkeeping'), /the work failed/);
    assert.equal(synchronous(store), 2, 'FULL again after a failed one');
    assert.equal(store.read(() => store.fleet.get('published')), undefined, 'rolled back');

    // A bulk catch-up that is not synced commit by commit keeps its setting.
    const bulk = new BulkWrites(store.db);
    await store.writeAsync(() => store.fleet.set('cursor', '8:1'), undefined, 'bookkeeping');
    assert.equal(synchronous(store), 1);
    bulk.end();
    assert.equal(synchronous(store), 2);
  } finally {
    store.close();
  }
});
