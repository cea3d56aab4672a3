// bench/import: `stickyban import --format plain` of a 1,000,000-line list (9 lines in 10 IPv4, 1 in
// 10 IPv6), once in address order and once shuffled, each into a fresh store; then the same list
// again (every line a duplicate). Beside it, in the same run:
//   - reading and splitting the same file in Node: the floor of any importer written in Node;
//   - a bare prepared INSERT loop of the same rows (ids, keys and text precomputed, untimed) into a
//     store of the same schema, 50 rows per statement and 10k per transaction, with the import's
//     connection settings: the floor SQLite sets for this schema, whatever the import does before
//     the INSERT. In the shuffled order it shows what the import's sorting window saves.
// Goal: ≥ 200,000 lines/s. The CLI runs in a throwaway network namespace with --no-apply: the figure
// is the import itself, not a restore.
// Then a fail2ban log of as many lines (3 Found lines, then the Ban line, per address), into a fresh
// store and into one that holds the same bans from the hook already (each Ban line is then looked up
// and left out: import/same-ban.ts).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNetwork } from '../src/address/format.js';
import { parseNetwork } from '../src/address/parse.js';
import { compareNetworks } from '../src/address/network.js';
import { importEventId } from '../src/import/event-id.js';
import { BATCH_SIZE } from '../src/import/importer.js';
import { ROWS_PER_INSERT } from '../src/store/event-rows.js';
import { blockParams } from '../src/store/keys.js';
import { Store } from '../src/store/store.js';
import { uuidv7 } from '../src/store/ids.js';
import { hostname } from 'node:os';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, peakRssKiB, printTable } from './lib.js';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
// A fail2ban log's times are the host's local time: UTC here and in the commands.
process.env.TZ = 'UTC';
const GOAL = 200_000;

/** A permutation of the 32-bit space, so no two lines are alike; every 10th line is IPv6. */
function line(i: number): string {
  const n = Number((BigInt(i) * 2_654_435_761n) % 2n ** 32n);
  if (i % 10 === 3) return `2001:db8:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;
  return `${((n >>> 24) % 100) + 11}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Epoch seconds of the first line of the log. */
const LOG_START = Date.UTC(2026, 10, 21, 9, 0, 0) / 1000;

/** Line i of a fail2ban log (UTC): per address 3 Found lines, then its Ban line, ten lines a second. */
function logLine(i: number): { text: string; ban?: { address: string; at: number } } {
  const at = LOG_START + Math.floor(i / 10);
  const stamp = new Date(at * 1000).toISOString().replace('T', ' ').slice(0, 19);
  const address = line(i >> 2);
  if ((i & 3) < 3) return { text: `${stamp},${String(i % 1000).padStart(3, '0')} fail2ban.filter         [31395]: INFO    [sshd] Found ${address} - ${stamp}` };
  return { text: `${stamp},${String(i % 1000).padStart(3, '0')} fail2ban.actions        [31395]: NOTICE  [sshd] Ban ${address}`, ban: { address, at } };
}

function shuffled<T>(values: T[]): T[] {
  let state = 42;
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1664525 + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Timed {
  readonly ms: number;
  readonly peakKiB: number | undefined;
}

/** Wall time and peak memory of one process (GNU time reports the peak). */
function timed(file: string, args: readonly string[]): Timed {
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', 'PEAKRSS=%M', file, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ').slice(0, 200)} failed: ${result.stderr.slice(0, 500)}`);
  return { ms, peakKiB: peakRssKiB(result.stderr) };
}

/** The floor: the same rows inserted by a minimal loop, with the import's connection settings. */
function bareInserts(db: string, lines: readonly string[]): number {
  const store = Store.open({ path: db, busyTimeoutMs: 10_000, create: true });
  try {
    store.db.pragma('wal_autocheckpoint = 16384');
    store.db.pragma('synchronous = NORMAL');
    const now = Math.floor(Date.now() / 1000);
    const rows = lines.map((text) => {
      const network = parseNetwork(text);
      const address = formatNetwork(network);
      const { family, first, last } = blockParams(network);
      return [importEventId(network, 'import:plain\nimport\n'), family, first, last, address, now] as const;
    });
    // As many rows per statement as the import writes, each transaction's rows cut into statements
    // and their parameters laid out flat before the clock starts: the loop below only runs them.
    const batches: unknown[][][] = [];
    for (let i = 0; i < rows.length; i += BATCH_SIZE) {
      const end = Math.min(rows.length, i + BATCH_SIZE);
      const batch: unknown[][] = [];
      for (let j = i; j < end; j += ROWS_PER_INSERT) batch.push(rows.slice(j, Math.min(end, j + ROWS_PER_INSERT)).flat());
      batches.push(batch);
    }
    const statements = new Map<number, ReturnType<typeof store.db.prepare>>();
    const statement = (params: number) => {
      const count = params / 6;
      if (!statements.has(count)) {
        statements.set(
          count,
          store.db.prepare(
            `INSERT OR IGNORE INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source, reason, restored) VALUES ` +
              new Array(count).fill(`(?, 'bench', ?, ?, ?, ?, 'import', ?, -1, 'import:plain', NULL, 0)`).join(', '),
          ),
        );
      }
      return statements.get(count)!;
    };
    for (const batch of batches) for (const params of batch) statement(params.length);
    const start = process.hrtime.bigint();
    for (const batch of batches) {
      store.write(() => {
        for (const params of batch) statement(params.length).run(params);
      });
    }
    store.checkpoint();
    return Number(process.hrtime.bigint() - start) / 1e6;
  } finally {
    store.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
const netns = new BenchNetns();
try {
  const lines = Array.from({ length: LINES }, (_, i) => line(i));
  const sortedFile = join(dir, 'sorted.txt');
  const shuffledFile = join(dir, 'shuffled.txt');
  const inOrder = lines
    .map((text) => ({ text, network: parseNetwork(text) }))
    .sort((a, b) => compareNetworks(a.network, b.network))
    .map((entry) => entry.text);
  writeFileSync(sortedFile, `${inOrder.join('\n')}\n`);
  writeFileSync(shuffledFile, `${shuffled(lines).join('\n')}\n`);

  // Made as `stickyban init` makes them (an import refuses a store that does not exist); not timed.
  const made = (db: string): string => {
    Store.open({ path: db, busyTimeoutMs: 10_000, create: true }).close();
    return db;
  };
  const importInto = (db: string, file: string): Timed => {
    const [bin, args] = netns.argv(CLI, ['--db', db, 'import', file, '--format', 'plain', '--no-apply', '--quiet']);
    return timed(bin, args);
  };
  const split = timed(process.execPath, ['-e', `require('node:fs').readFileSync(${JSON.stringify(shuffledFile)}, 'utf8').split('\\n').length`]);
  const sortedRun = importInto(made(join(dir, 'a.db')), sortedFile);
  const again = importInto(join(dir, 'a.db'), sortedFile);
  const shuffledRun = importInto(made(join(dir, 'b.db')), shuffledFile);
  const floorSorted = bareInserts(join(dir, 'c.db'), inOrder);
  const floorShuffled = bareInserts(join(dir, 'd.db'), shuffled(lines));

  // The log and the hook's events of its bans (as the hook records them: this host, source fail2ban).
  const logFile = join(dir, 'fail2ban.log');
  const bans: Array<{ address: string; at: number }> = [];
  writeFileSync(
    logFile,
    `${Array.from({ length: LINES }, (_, i) => {
      const { text, ban } = logLine(i);
      if (ban) bans.push(ban);
      return text;
    }).join('\n')}\n`,
  );
  const hooked = join(dir, 'f.db');
  const hookStore = Store.open({ path: hooked, busyTimeoutMs: 10_000, create: true });
  for (let i = 0; i < bans.length; i += 10_000) {
    hookStore.write(() => {
      for (const ban of bans.slice(i, i + 10_000)) {
        hookStore.bans.insert({ uuid: uuidv7(), origin: hostname(), network: parseNetwork(ban.address), jail: 'sshd', bannedAt: ban.at, bantime: 600, source: 'fail2ban', reason: null, restored: false });
      }
    });
  }
  hookStore.close();
  const importLog = (db: string): Timed => {
    const [bin, args] = netns.argv(CLI, ['--db', db, 'import', logFile, '--format', 'fail2ban-log', '--no-apply', '--quiet']);
    return timed(bin, args);
  };
  const logFresh = importLog(made(join(dir, 'e.db')));
  const logHooked = importLog(hooked);
  const check = Store.open({ path: hooked, busyTimeoutMs: 10_000 });
  const logged = check.db.prepare("SELECT count(*) FROM bans WHERE source = 'import:fail2ban-log'").pluck().get() as number;
  check.close();
  if (logged !== 0) console.error(`bench/import: ${logged} of the log's bans were added beside the hook's events of the same bans`);

  const rate = (ms: number) => Math.round((LINES * 1000) / ms);
  const row = (what: string, ms: number, peak?: number): Array<string | number> => [
    what,
    ms / 1000,
    rate(ms).toLocaleString('en-US'),
    `${((rate(ms) / GOAL) * 100).toFixed(0)}%`,
    peak === undefined ? '-' : `${Math.round(peak / 1024)}`,
  ];
  console.log(`bench/import: ${LINES.toLocaleString('en-US')} lines (1 in 10 IPv6), fresh store per run, inside a network namespace, --no-apply${ENVIRONMENT_NOTE}`);
  printTable(['what', 'seconds', 'lines/s', 'of goal', 'peak MiB'], [
    row('baseline: node reads + splits the file', split.ms, split.peakKiB),
    row('baseline: bare INSERT loop, same rows, address order', floorSorted),
    row('baseline: bare INSERT loop, same rows, shuffled', floorShuffled),
    row('stickyban import, list in address order', sortedRun.ms, sortedRun.peakKiB),
    row('stickyban import, same list again (all duplicates)', again.ms, again.peakKiB),
    row('stickyban import, shuffled list', shuffledRun.ms, shuffledRun.peakKiB),
    row(`fail2ban log (${bans.length.toLocaleString('en-US')} Ban lines), fresh store`, logFresh.ms, logFresh.peakKiB),
    row('same log, every ban recorded by the hook already', logHooked.ms, logHooked.peakKiB),
  ]);
  // A list kept with `echo <ip> >> file` is in the order of the bans, not of the addresses: the goal
  // counts only when both lists reach it.
  const worst = Math.min(rate(sortedRun.ms), rate(shuffledRun.ms));
  console.log(
    `goal >= ${GOAL.toLocaleString('en-US')} lines/s in both orders: ${worst >= GOAL ? 'met' : 'NOT met'} (address order ${rate(sortedRun.ms).toLocaleString('en-US')}, shuffled ${rate(shuffledRun.ms).toLocaleString('en-US')}); ` +
      `the bare INSERT loop alone runs at ${rate(floorSorted).toLocaleString('en-US')} / ${rate(floorShuffled).toLocaleString('en-US')} lines/s`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
