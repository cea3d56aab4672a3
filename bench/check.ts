// bench/check: what the daemon's periodic check (and restore --if-missing) costs at a million bans,
// now that it compares the live entry counts with the plan's (issue 17, item 8), beside the check
// of sets, chains and rules alone that it replaced. The plan's counts are kept in the store with the
// state they were counted in: a check of an unchanged store reads them back, one after a few new
// bans counts those on top, and only other changes count the whole plan again (in turns in the
// daemon, beside its loop).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_COUNT, DAEMON_COUNT, findProblems } from '../src/actions/heal.js';
import { countInTurns, plannedRanges } from '../src/actions/plan-count.js';
import { firstPlanned } from '../src/plan/stream.js';
import { streamFamilyPlan } from '../src/actions/plan-store.js';
import { parseNetwork } from '../src/address/parse.js';
import { loadConfig } from '../src/config/config.js';
import { run, type Runner } from '../src/exec/run.js';
import { IpsetBackend } from '../src/firewall/ipset/backend.js';
import { uuidv7 } from '../src/store/ids.js';
import { Store } from '../src/store/store.js';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, median, printTable, timeRun } from './lib.js';
import { seed } from './seed.js';

const n = Number(process.env.BENCH_CHECK_SIZE ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
const netns = new BenchNetns();

/** The tools run in the benchmark's namespace, as `ip netns exec` runs the CLI there. */
const inNetns: Runner = (file, args, options) => run('ip', ['netns', 'exec', netns.name, file, ...args], options);

async function timed(work: () => Promise<unknown>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const used = process.cpuUsage(cpu);
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (used.user + used.system) / 1000 };
}

async function medianOf(work: () => Promise<unknown>, before: () => void = () => undefined): Promise<{ ms: number; cpuMs: number }> {
  const all: Array<{ ms: number; cpuMs: number }> = [];
  for (let i = 0; i < runs; i++) {
    before();
    all.push(await timed(work));
  }
  return { ms: median(all.map((one) => one.ms)), cpuMs: median(all.map((one) => one.cpuMs)) };
}

try {
  const db = join(dir, 'stickyban.db');
  const seeding = Date.now();
  seed(db, n);
  console.log(`bench/check: ${n.toLocaleString('en-US')} IPv4 + ${(n / 10).toLocaleString('en-US')} IPv6 bans, 10k safelisted CIDRs, stored in ${((Date.now() - seeding) / 1000).toFixed(1)} s${ENVIRONMENT_NOTE}`);
  netns.run(CLI, ['--db', db, 'restore', '--quiet']);

  const store = Store.open({ path: db, busyTimeoutMs: 10_000 });
  const config = await loadConfig({ db }, {});
  const clock = () => Math.floor(Date.now() / 1000);
  const backend = new IpsetBackend(config.ipset, inNetns);
  let banned = 0;
  const ban = (count: number) =>
    store.write(() => {
      for (let i = 0; i < count; i++, banned++) {
        const address = `198.18.${(banned >> 8) & 255}.${banned & 255}`;
        store.bans.insert({ uuid: uuidv7(), origin: 'bench', network: parseNetwork(address), jail: 'sshd', bannedAt: clock(), bantime: 600, source: 'fail2ban', reason: null, restored: false });
      }
    });

  // What the check was: sets, chains and rules, and the store asked only about an empty set.
  const presenceOnly = () => backend.presence({ firstPlanned: (family) => store.read(() => firstPlanned(streamFamilyPlan(store, config, clock(), family))) });
  const check = () => findProblems(store, config, clock, backend, DAEMON_COUNT);
  const full = await timed(() => countInTurns(store, config, clock(), () => new Promise((resolve) => setImmediate(resolve))));
  // Each case beside the baseline measured right before it: the machine's load varies.
  const before: Array<{ ms: number; cpuMs: number }> = [];
  const measure = async (prepare: () => void = () => undefined) => {
    before.push(await medianOf(presenceOnly));
    return medianOf(check, prepare);
  };
  const unchanged = await measure();
  const oneBan = await measure(() => ban(1));
  const someBans = await measure(() => ban(32));
  // More new bans than the loop counts at once: counted in turns beside it.
  ban(1000);
  const manyBans = await timed(() => countInTurns(store, config, clock(), () => new Promise((resolve) => setImmediate(resolve))));
  // A lift, a prune or a safelist change: counted again in full (the command's way, in one go).
  const safe = parseNetwork('198.19.0.1');
  store.write(() => store.safelist.add(safe, null, clock()));
  const recount = await timed(async () => plannedRanges(store, config, clock(), COMMAND_COUNT));
  store.write(() => store.safelist.remove(safe));
  store.close();

  const ifMissing = (): number => timeRun(...netns.argv(CLI, ['--db', db, 'restore', '--if-missing', '--quiet']));
  const cliUnchanged = median(Array.from({ length: 5 }, ifMissing));
  const beside = (measured: { ms: number; cpuMs: number }, i: number) =>
    [measured.ms, measured.cpuMs, before[i]!.ms, before[i]!.cpuMs, `+${(measured.cpuMs - before[i]!.cpuMs).toFixed(2)} ms CPU`];
  printTable(
    ['check (median)', 'ms', 'CPU ms', 'sets/rules only: ms', 'CPU ms', 'difference'],
    [
      ['store unchanged', ...beside(unchanged, 0)],
      ['1 new ban since the last', ...beside(oneBan, 1)],
      ['32 new bans since the last (counted at once, the most)', ...beside(someBans, 2)],
    ],
  );
  printTable(
    ['counting the plan anew', 'ms', 'CPU ms'],
    [
      ['1000 new bans on top, in turns beside the daemon loop', manyBans.ms, manyBans.cpuMs],
      ['in full (after a lift, prune, safelist change or restore), in turns', full.ms, full.cpuMs],
      ['in full, at once (restore --if-missing)', recount.ms, recount.cpuMs],
    ],
  );
  console.log(`restore --if-missing on the unchanged store, a process: ${cliUnchanged.toFixed(0)} ms wall (median of 5)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
