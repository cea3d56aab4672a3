import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS } from '../../../src/config/config.js';
import { Store } from '../../../src/store/store.js';
import { banEvent, seedBans } from '../../helpers/seed.js';
import { tempDb } from '../../helpers/tmp.js';

test('readAsync keeps one snapshot across waits, and writers go on meanwhile', async () => {
  const db = tempDb();
  seedBans(db, ['192.0.2.1', '192.0.2.2']);
  const reader = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
  const writer = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
  const listed = () => [...reader.bans.summaries(DEFAULTS.policy, 0)].map((summary) => summary.address);
  try {
    const seen = await reader.readAsync(async () => {
      const before = listed();
      // A slow reader of the output: the loop turns, a ban hook commits.
      await new Promise((resolve) => setTimeout(resolve, 10));
      writer.write(() => writer.bans.insert(banEvent('192.0.2.3')));
      return [before, listed()];
    });
    assert.deepEqual(seen, [['192.0.2.1', '192.0.2.2'], ['192.0.2.1', '192.0.2.2']]);
    assert.deepEqual(listed(), ['192.0.2.1', '192.0.2.2', '192.0.2.3'], 'read after, the new ban is there');
    assert.equal(reader.db.inTransaction, false);
    await assert.rejects(reader.readAsync(async () => Promise.reject(new Error('the reader went away'))), /the reader went away/);
    assert.equal(reader.db.inTransaction, false, 'a failed read ends its snapshot');
  } finally {
    reader.close();
    writer.close();
  }
});
