// --strict reads a file twice: the write pass must take exactly the lines the check pass judged,
// not what a live log gained in between.

import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { check, prepare, write } from '../../../src/import/run.js';
import { Store } from '../../../src/store/store.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { plainListJob } from './job.js';

test('the write pass of --strict stops at the lines the check pass judged', async () => {
  const dir = tempDir();
  const list = join(dir, 'list.txt');
  const db = join(dir, 'stickyban.db');
  writeFileSync(list, '198.51.100.1\n198.51.100.2\n');
  const job = plainListJob(list);
  const prepared = await prepare(job, true);
  const checked = await check(job, prepared);
  assert.deepEqual([checked.read, checked.invalid], [2, 0]);
  // The file grows between the passes, with a line the check never saw.
  appendFileSync(list, 'not an address\n198.51.100.3\n');
  const { result, store } = await write(async () => Store.open({ path: db, busyTimeoutMs: 1000, create: true }), job, prepared, checked.read);
  store?.close();
  assert.deepEqual([result.read, result.added, result.invalid], [2, 2, 0]);
  assert.equal(count(db, 'bans'), 2);
});
