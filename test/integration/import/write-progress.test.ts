// The progress display of an import's write pass: reading, then writing each window as it goes to
// the store, cleared once at the very end (a window can hold a whole file, written after reading).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prepare, write } from '../../../src/import/run.js';
import type { Progress } from '../../../src/import/progress.js';
import { Store } from '../../../src/store/store.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { plainListJob } from './job.js';

test('the write pass reports reading, every batch written of each window, and is done once at the end', async () => {
  const dir = tempDir();
  const list = join(dir, 'list.txt');
  const lines = 25_000;
  writeFileSync(list, `${Array.from({ length: lines }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join('\n')}\n`);
  const calls: string[] = [];
  const recorder: Progress = {
    update: (line) => calls.push(`read ${line}`),
    writing: (written, total) => calls.push(`wrote ${written}/${total}`),
    done: () => calls.push('done'),
  };
  const job = plainListJob(list, { batchSize: 4000, windowSize: 10_000 }, recorder);
  const { result, store } = await write(async () => Store.open({ path: join(dir, 'stickyban.db'), busyTimeoutMs: 1000, create: true }), job, await prepare(job, false));
  store?.close();
  assert.equal(result.added, lines);
  assert.equal(count(join(dir, 'stickyban.db'), 'bans'), lines);
  // Windows fill up at the reader's checks (every 8192 lines): 16384 and 8616 events.
  assert.deepEqual(calls, [
    'read 8192',
    'read 16384',
    'wrote 4000/16384',
    'wrote 8000/16384',
    'wrote 12000/16384',
    'wrote 16000/16384',
    'wrote 16384/16384',
    'read 24576',
    'wrote 4000/8616',
    'wrote 8000/8616',
    'wrote 8616/8616',
    'done',
  ]);
});
