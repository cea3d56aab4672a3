// bench/big-store: the read commands on a store of 5M ban events (issue 16, item 8): list, list
// --json, export in every format and prune --dry-run, each with its wall time and peak memory.
// Goal: each within 300 MiB. Beside them, the same commands on a store of three addresses: the
// memory any run of the CLI takes. Output goes to a file (its size is printed), so the figure is the
// command's own, not a pipe reader's.
//
// The store: 4.5M events of 4M IPv4 addresses (the first 500k banned twice, in two jails), 10k /24
// blocks, 490k IPv6 addresses, banned over a day 30 days ago; 1000 safelisted /28 ranges among the
// addresses and 100 /26 ranges that cut blocks. BENCH_EVENTS=1000000 scales it down.
// BENCH_REAL_PRUNE=1 also loads it into the kernel (restore) and prunes it all for real, last
// (minutes: 250 blocks per transaction, with a pause after each so that ban hooks get their turn).
// Its stale blocks are read and deleted a page at a time; its live update compares packed plans of
// before and after and removes the difference from the live set 50,000 entries at a time.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../src/store/store.js';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, peakRssKiB, printTable } from './lib.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000_000);
const GOAL_MIB = 300;
const NOW = Date.parse('2026-11-21T12:00:00Z') / 1000;
const BANNED_AT = NOW - 30 * 86_400;

/** The store above, written by SQLite itself: 5M events in well under a minute. */
function seed(db: string): { v4Events: number; hosts4: number; blocks4: number; v6: number } {
  const blocks4 = Math.round(EVENTS / 500);
  const v6 = Math.round(EVENTS * 0.098);
  const v4Events = EVENTS - blocks4 - v6;
  const hosts4 = Math.round((v4Events * 8) / 9);
  const store = Store.open({ path: db, busyTimeoutMs: 10_000, create: true });
  try {
    store.db.pragma('synchronous = OFF');
    const numbers = 'WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < @count - 1)';
    const insert = 'INSERT INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source, restored)';
    const uuid = "unhex(printf('%08x%024x', @family * 1000 + @kind, i))";
    const jail = "CASE i % 3 WHEN 0 THEN 'sshd' WHEN 1 THEN 'nginx-http-auth' ELSE 'postfix' END";
    const common = `${jail}, @bannedAt + i % 86400, 600, 'fail2ban', i % 10 = 0`;
    const dotted = (v: string) => `(${v} >> 24) || '.' || ((${v} >> 16) & 255) || '.' || ((${v} >> 8) & 255) || '.' || (${v} & 255)`;
    // IPv4 addresses spaced by 3 from 11.0.0.0; the first ones banned again (i past hosts4).
    const host4 = '(184549376 + (i % @hosts) * 3)';
    // /24 blocks from 100.0.0.0, apart from the addresses.
    const block4 = '(1677721600 + i * 256)';
    const v6Key = "unhex(printf('20010db80000000000000001%04x%04x', i >> 16, i & 65535))";
    store.write(() => {
      const run = (sql: string, params: Record<string, unknown>) => store.db.prepare(`${numbers} ${insert} ${sql}`).run({ bannedAt: BANNED_AT, ...params });
      run(`SELECT ${uuid}, 'bench', 4, ${host4}, ${host4}, ${dotted(host4)}, ${common} FROM n`, { count: v4Events, hosts: hosts4, family: 4, kind: 1 });
      run(`SELECT ${uuid}, 'bench', 4, ${block4}, ${block4} + 255, ${dotted(block4)} || '/24', ${common} FROM n`, { count: blocks4, family: 4, kind: 2 });
      run(`SELECT ${uuid}, 'bench', 6, ${v6Key}, ${v6Key}, printf('2001:db8::1:%x:%x', i >> 16, i & 65535), ${common} FROM n`, { count: v6, family: 6, kind: 1 });
      const safelist = 'INSERT INTO safelist (family, first, last, address, added_at)';
      const range = (first: string, size: number, prefix: number) => `SELECT 4, ${first}, ${first} + ${size - 1}, ${dotted(first)} || '/${prefix}', @bannedAt FROM n`;
      store.db.prepare(`${numbers} ${safelist} ${range('(184549376 + i * 48000)', 16, 28)}`).run({ count: 1000, bannedAt: BANNED_AT });
      store.db.prepare(`${numbers} ${safelist} ${range('(1677721600 + i * 25600 + 64)', 64, 26)}`).run({ count: 100, bannedAt: BANNED_AT });
    });
    store.checkpoint();
  } finally {
    store.close();
  }
  return { v4Events, hosts4, blocks4, v6 };
}

interface Measured {
  readonly seconds: number;
  readonly peakMiB: number;
  readonly outputMiB: number;
}

function measure(netns: BenchNetns, db: string, args: readonly string[], out: string): Measured {
  const [file, argv] = netns.argv('/usr/bin/time', ['-f', 'PEAKRSS=%M', 'sh', '-c', 'exec "$@" > "$0"', out, CLI, '--db', db, ...args]);
  const start = process.hrtime.bigint();
  const result = spawnSync(file, argv, { encoding: 'utf8', env: { ...process.env, STICKYBAN_NOW: String(NOW) } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`stickyban ${args.join(' ')} failed: ${result.stderr.slice(0, 500)}`);
  const outputMiB = statSync(out).size / 2 ** 20;
  rmSync(out);
  return { seconds, peakMiB: (peakRssKiB(result.stderr) ?? NaN) / 1024, outputMiB };
}

const COMMANDS: ReadonlyArray<readonly string[]> = [
  ['list'],
  ['list', '--json'],
  ['export'],
  ['export', '--format', 'ipset'],
  ['export', '--format', 'nft'],
  ['export', '--format', 'json'],
  ['prune', '--dry-run', '--older-than', '7d'],
];

const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
const netns = new BenchNetns();
try {
  const small = join(dir, 'small.db');
  Store.open({ path: small, busyTimeoutMs: 10_000, create: true }).close();
  for (const address of ['192.0.2.1', '198.51.100.0/24', '2001:db8::1']) netns.run(CLI, ['--db', small, 'ban', address, '--quiet']);
  const db = join(dir, 'big.db');
  const seeding = Date.now();
  const shape = seed(db);
  console.log(`bench/big-store: ${EVENTS.toLocaleString('en-US')} events stored in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);
  const out = join(dir, 'out');
  // Warms the page cache: the first command would pay for reading the store from disk.
  measure(netns, db, ['export'], out);

  const rows: Array<Array<string | number>> = [];
  let worst = 0;
  for (const args of COMMANDS) {
    const floor = measure(netns, small, args, out);
    const big = measure(netns, db, args, out);
    worst = Math.max(worst, big.peakMiB);
    rows.push([`stickyban ${args.join(' ')}`, big.seconds, big.peakMiB, big.outputMiB, floor.peakMiB]);
  }
  let real: Measured | undefined;
  if (process.env.BENCH_REAL_PRUNE === '1') {
    const loaded = measure(netns, db, ['restore'], out);
    rows.push(['stickyban restore (the live set the prune empties)', loaded.seconds, loaded.peakMiB, loaded.outputMiB, '-']);
    real = measure(netns, db, ['prune', '--older-than', '7d'], out);
    rows.push(['stickyban prune --older-than 7d (real, live set updated)', real.seconds, real.peakMiB, real.outputMiB, '-']);
  }
  console.log(
    `bench/big-store: ${EVENTS.toLocaleString('en-US')} events (${shape.hosts4.toLocaleString('en-US')} IPv4 addresses in ${shape.v4Events.toLocaleString('en-US')} events, ` +
      `${shape.blocks4.toLocaleString('en-US')} /24 blocks, ${shape.v6.toLocaleString('en-US')} IPv6 addresses), inside a network namespace, output to a file${ENVIRONMENT_NOTE}`,
  );
  printTable(['command', 'seconds', 'peak MiB', 'output MiB', 'peak MiB, 3 addresses'], rows);
  console.log(`goal: each read within ${GOAL_MIB} MiB: ${worst <= GOAL_MIB ? 'met' : 'NOT met'} (largest ${worst.toFixed(0)} MiB)`);
  if (real) console.log(`the real prune: ${real.peakMiB.toFixed(0)} MiB, ${real.peakMiB <= GOAL_MIB ? 'within' : 'NOT within'} ${GOAL_MIB} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
