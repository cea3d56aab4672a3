import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { systemClock } from '../../../src/clock.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { daemonSchedules } from '../../../src/config/schedules.js';
import { schedule } from '../../../src/daemon/schedule.js';
import { DryRunBackend } from '../../../src/firewall/dry-run.js';
import { seedBans } from '../../helpers/seed.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { Store } from '../../../src/store/store.js';

const silent = { info: () => {}, detail: () => {}, warn: () => {}, data: () => {}, verbose: false };

test('the cron package fires the prune at the scheduled local time, with a controlled clock', async () => {
  // 2026-11-21 04:16:00 local time; the schedule says 04:17 every day.
  const start = new Date(2026, 10, 21, 4, 16, 0);
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: start });
  after(() => mock.timers.reset());

  const db = join(tempDir(), 'stickyban.db');
  const nowSeconds = Math.floor(start.getTime() / 1000);
  seedBans(db, [
    { address: '203.0.113.1', bannedAt: nowSeconds - 200 * 86_400 },
    { address: '203.0.113.2', bannedAt: nowSeconds - 10 * 86_400 },
    // Ages out at 04:30 today: the first prune keeps it, the next day's removes it.
    { address: '203.0.113.3', bannedAt: nowSeconds - 180 * 86_400 + 14 * 60 },
  ]);
  const store = Store.open({ path: db, busyTimeoutMs: 1000 });
  after(() => store.close());
  const log: string[] = [];
  const config = { ...DEFAULTS, db, daemon: { ...DEFAULTS.daemon, pruneSchedule: '17 4 * * *', healIntervalSeconds: 3600 } };
  const daemon = new Daemon({ config, backend: new DryRunBackend(config, silent), healIntervalSeconds: 3600, metricsFile: undefined }, store, systemClock, (line) => log.push(line), async () => {});
  daemon.start();
  await daemon.idle();
  assert.equal(count(db, 'bans'), 3, 'nothing pruned at start');

  mock.timers.tick(59_000);
  await daemon.idle();
  assert.equal(count(db, 'bans'), 3, 'not before 04:17');

  mock.timers.tick(2_000);
  await daemon.idle();
  assert.equal(count(db, 'bans'), 2, 'the 04:17 prune removed the address last banned 200 days ago');
  assert.ok(log.some((line) => line.startsWith('pruned 1 addresses')), log.join('\n'));

  mock.timers.tick(24 * 3600_000);
  await daemon.idle();
  assert.equal(count(db, 'bans'), 1, 'the next day the third one has aged out too');
  await daemon.stop();
});

test('a bad prune_schedule is refused with exit 2, and so is an empty one; an empty resync_schedule is off', () => {
  const { prune, resync } = daemonSchedules({ ...DEFAULTS.daemon, pruneSchedule: 'every day', resyncSchedule: '' });
  assert.throws(() => schedule(prune, () => {}), (error: Error & { kind?: string }) => {
    assert.equal(error.kind, 'invalid');
    assert.match(error.message, /invalid prune_schedule "every day": expected a cron expression/);
    return true;
  });
  assert.throws(() => schedule({ ...prune, expression: '' }, () => {}), /invalid prune_schedule "": expected a cron expression/);
  assert.equal(schedule(resync, () => {}), undefined);
});
