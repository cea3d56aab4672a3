import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, mock, test } from 'node:test';
import { systemClock } from '../../../src/clock.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { Daemon } from '../../../src/daemon/daemon.js';
import { daemonSchedules } from '../../../src/config/schedules.js';
import { schedule } from '../../../src/daemon/schedule.js';
import { DryRunBackend } from '../../../src/firewall/dry-run.js';
import { tempDir } from '../../helpers/tmp.js';
import { Store } from '../../../src/store/store.js';

const silent = { info: () => {}, detail: () => {}, warn: () => {}, data: () => {}, verbose: false, quiet: true };

test('the cron package fires the prune job at the scheduled local time, with a controlled clock', async () => {
  // 2026-11-21 04:16:00 local time; the schedule says 04:17 every day.
  const start = new Date(2026, 10, 21, 4, 16, 0);
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: start });
  after(() => mock.timers.reset());

  const dir = tempDir();
  const db = join(dir, 'stickyban.db');
  const store = Store.open({ path: db, busyTimeoutMs: 1000, create: true, busyWaitMs: 0 });
  after(() => store.close());
  // The jobs' command: a stand-in that writes down what it was asked to run.
  const calls = join(dir, 'jobs');
  const cli = [process.execPath, '-e', 'require("fs").appendFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)) + "\\n")', calls];
  // The prunes among the jobs (the daemon also reconciles the live set once it starts).
  // Whole lines only: a job process may be half way through appending one.
  const jobs = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').slice(0, -1).map((line) => JSON.parse(line) as string[]) : []).filter((args) => args.includes('prune'));
  const config = { ...DEFAULTS, db, daemon: { ...DEFAULTS.daemon, pruneSchedule: '17 4 * * *', resyncSchedule: '', socket: join(dir, 'run', 'stickyban.sock') } };
  const daemon = new Daemon(
    { config, backend: new DryRunBackend(config, silent), healIntervalSeconds: 3600, metricsFile: undefined },
    { store, clock: systemClock, runner: async () => ({ stdout: '', stderr: '', exitCode: 0 }), env: {}, cli, log: () => {}, fail: () => {} },
  );
  const stop = new AbortController();
  const running = daemon.run(stop.signal);
  after(async () => {
    stop.abort();
    await running;
  });
  // The timers are mocked: wait on real time without them.
  const settle = async (what: string, ready: () => boolean) => {
    const deadline = performance.now() + 5000;
    while (!ready()) {
      assert.ok(performance.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await settle('the socket', () => existsSync(config.daemon.socket));
  mock.timers.tick(59_000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(jobs(), [], 'no prune before 04:17');

  mock.timers.tick(2_000);
  await settle('the 04:17 prune', () => jobs().length === 1);
  assert.deepEqual(jobs(), [['--db', db, 'prune', '--json']]);

  mock.timers.tick(24 * 3600_000);
  await settle('the next day\'s prune', () => jobs().length === 2);
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
