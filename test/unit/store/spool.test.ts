import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { uuidText } from '../../../src/store/ids.js';
import { appendToSpool, claimSpool, releaseSpool } from '../../../src/store/spool.js';
import { banEvent } from '../../helpers/seed.js';
import { tempDir } from '../../helpers/tmp.js';

test('a drain that takes the spool over between a hook opening it and writing to it does not lose that ban', () => {
  const db = join(tempDir(), 'stickyban.db');
  const first = banEvent('192.0.2.1');
  const second = banEvent('192.0.2.2');
  appendToSpool(db, first);
  let drained: ReturnType<typeof claimSpool>;
  // The drain renames and reads the file the hook has just opened, before the hook writes.
  appendToSpool(db, second, () => (drained = claimSpool(db)));
  assert.deepEqual(drained!.events.map((e) => uuidText(e.uuid)), [uuidText(first.uuid)], 'the drain read what was there');
  releaseSpool(drained!);
  const next = claimSpool(db);
  assert.deepEqual(next?.events.map((e) => uuidText(e.uuid)), [uuidText(second.uuid)], 'the late write is in the spool for the next drain');
});
