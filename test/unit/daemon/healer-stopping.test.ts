// A check that outlives the daemon's stop finds the store closed under it: that is the stop, not a
// failure to log (a SIGTERM just after start logged "error: The database connection is not open").

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULTS } from '../../../src/config/config.js';
import { Healer } from '../../../src/daemon/healer.js';
import type { Jobs } from '../../../src/daemon/jobs.js';
import type { FirewallBackend } from '../../../src/firewall/backend.js';
import { Store } from '../../../src/store/store.js';
import { tempDir } from '../../helpers/tmp.js';

test('a check on a store the stopping daemon has closed says nothing and counts no failure', async () => {
  const store = Store.open({ path: join(tempDir(), 'stickyban.db'), busyTimeoutMs: 1000, create: true });
  store.close();
  const lines: string[] = [];
  // Neither is reached: the check reads the store before any tool or job.
  const unreached = {} as FirewallBackend & Jobs;
  const healer = new Healer(store, () => ({ config: DEFAULTS, backend: unreached }), () => 1_795_000_000, unreached, (line) => lines.push(line), () => {
    throw new Error('no tool is run');
  });
  await assert.rejects(healer.check(), /not open/);
  assert.deepEqual(lines, []);
  assert.equal(healer.failures, 0);
});
