import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BLOCK_INDEX_COLUMNS, buildBlockIndex, dropBlockIndex, hasBlockIndex, repairBlockIndex } from '../../../src/store/block-index.js';
import { ApplyLock } from '../../../src/store/lock.js';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/tmp.js';

const definition = (store: Store) => store.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = 'bans_by_block'").pluck().get();

test('the block index built again is the one the migrations made, and the planner reads by it again', () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  try {
    const migrated = definition(store);
    assert.equal(migrated, `CREATE INDEX bans_by_block ON bans (${BLOCK_INDEX_COLUMNS})`);
    const plan = () => store.db.prepare('EXPLAIN QUERY PLAN SELECT family, first, last FROM bans WHERE family = 4 ORDER BY family, first, last').all().map((row) => (row as { detail: string }).detail).join('; ');
    assert.match(plan(), /USING COVERING INDEX bans_by_block/);
    store.write(() => dropBlockIndex(store.db));
    assert.equal(hasBlockIndex(store.db), false);
    assert.doesNotMatch(plan(), /bans_by_block/);
    assert.equal(store.write(() => buildBlockIndex(store.db)), true);
    assert.equal(definition(store), migrated);
    assert.match(plan(), /USING COVERING INDEX bans_by_block/);
    assert.equal(store.write(() => buildBlockIndex(store.db)), false, 'built once');
  } finally {
    store.close();
  }
});

test('a block index left dropped is built again by a restore, unless a pull holds the store (it may be loading without it)', async () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  try {
    assert.equal(await repairBlockIndex(store), false, 'nothing to repair');
    store.write(() => dropBlockIndex(store.db));
    const pulling = await ApplyLock.acquire(store.path, { kind: 'pull' });
    try {
      assert.equal(await repairBlockIndex(store), false);
      assert.equal(hasBlockIndex(store.db), false, 'left to the pull');
    } finally {
      pulling.release();
    }
    assert.equal(await repairBlockIndex(store), true);
    assert.equal(hasBlockIndex(store.db), true);
    // The pull lock was let go: a pull takes it at once.
    (await ApplyLock.acquire(store.path, { kind: 'pull', waitMs: 0 })).release();
  } finally {
    store.close();
  }
});
