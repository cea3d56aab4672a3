// bench/nftables: `stickyban restore --backend nftables` beside a bare `nft -f` that loads the same
// final table, interleaved in one run so both see the same machine state, inside a network namespace.
// Sizes: 100k and 1M IPv4 entries plus 10% IPv6 (1% of each are CIDR blocks). Goal: restore ≤ 1.3 ×
// the bare load. Two cases: after `nft flush ruleset` (what a firewall reload leaves) and replacing a
// table that is there. The baseline file is nft's own listing of the restored table, so it is exactly
// the same ruleset.
//   BENCH_SIZES=100000,1000000 BENCH_RUNS=3 STICKYBAN_CLI=dist/stickyban.cjs node --import tsx bench/nftables.ts

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { formatIPv4, formatIPv6 } from '../src/address/format.js';
import { uuidv7 } from '../src/store/ids.js';
import { toStoredKey } from '../src/store/keys.js';
import { Store } from '../src/store/store.js';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, median, peakRssKiB, printTable } from './lib.js';

const sizes = (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const TABLE = 'stickyban';

interface Measured {
  readonly ms: number;
  /** Peak RSS of the process tree (GNU time %M: the largest of the process and the children it waited for). */
  readonly treeKiB: number;
  /** Peak RSS of the node process itself, when it is one. */
  readonly nodeKiB: number | undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
const netns = new BenchNetns();
// Reports node's own peak RSS at exit, to tell it apart from nft's.
const rssProbe = join(dir, 'rss.cjs');
writeFileSync(rssProbe, "process.on('exit', () => process.stderr.write(`NODERSS=${process.resourceUsage().maxRSS}\\n`));\n");

function measure(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Measured {
  const [wrapped, argv] = netns.argv(file, args);
  const start = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', 'PEAKRSS=%M', wrapped, ...argv], { encoding: 'utf8', maxBuffer: 1 << 30, env: { ...process.env, ...env } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${result.stderr.slice(0, 800)}`);
  const node = /NODERSS=(\d+)/.exec(result.stderr);
  return { ms, treeKiB: peakRssKiB(result.stderr) ?? NaN, nodeKiB: node ? Number(node[1]) : undefined };
}

/** Writes `v4` IPv4 and v4/10 IPv6 ban events straight into the store, 1% of each as CIDR blocks. */
function fill(db: string, v4: number): { entries4: number; entries6: number } {
  const handle = new Database(db);
  const insert = handle.prepare(
    `INSERT INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source)
     VALUES (?, 'bench', ?, ?, ?, ?, 'sshd', ?, 600, 'fail2ban')`,
  );
  const now = Math.floor(Date.now() / 1000);
  const v6 = Math.round(v4 / 10);
  handle.transaction(() => {
    for (let i = 0; i < v4; i++) {
      if (i % 100 === 99) {
        const first = 0x64000000 + i * 256; // /24 blocks in 100.0.0.0/8 and up, apart from the addresses
        insert.run(uuidv7(), 4, toStoredKey(4, first), toStoredKey(4, first + 255), `${formatIPv4(first)}/24`, now);
      } else {
        const address = 0x0b000000 + i * 3; // spaced addresses in 11.0.0.0/8 and up
        insert.run(uuidv7(), 4, toStoredKey(4, address), toStoredKey(4, address), formatIPv4(address), now);
      }
    }
    for (let i = 0; i < v6; i++) {
      if (i % 100 === 99) {
        const first = (0x2001_0db9n << 96n) + (BigInt(i) << 80n); // /48 blocks
        insert.run(uuidv7(), 6, toStoredKey(6, first), toStoredKey(6, first + (1n << 80n) - 1n), `${formatIPv6(first)}/48`, now);
      } else {
        const address = (0x2001_0db8n << 96n) + BigInt(i) * 5n;
        insert.run(uuidv7(), 6, toStoredKey(6, address), toStoredKey(6, address), formatIPv6(address), now);
      }
    }
  })();
  handle.close();
  return { entries4: v4, entries6: v6 };
}

/** Elements in `nft list` output: the comma-separated items of each `elements = { ... }`. */
function countElements(listing: string): number {
  let count = 0;
  for (const match of listing.matchAll(/elements = \{([^}]*)\}/g)) count += match[1]!.split(',').length;
  return count;
}

try {
  const rows: Array<Array<string | number>> = [];
  const ratios: string[] = [];
  for (const size of sizes) {
    const db = join(dir, `stickyban-${size}.db`);
    Store.open({ path: db, busyTimeoutMs: 10_000, create: true }).close(); // creates and migrates the store
    const fillStart = Date.now();
    const { entries4, entries6 } = fill(db, size);
    const restore = (): Measured => measure(CLI, ['--db', db, 'restore', '--backend', 'nftables', '--quiet'], { NODE_OPTIONS: `--require ${rssProbe}` });
    const flush = (): void => void netns.run('nft', ['flush', 'ruleset']);

    restore(); // warm the page cache, and the table to list
    const listing = netns.run('nft', ['list', 'table', 'inet', TABLE]);
    const loaded = countElements(listing);
    if (loaded !== entries4 + entries6) throw new Error(`restore loaded ${loaded} elements, expected ${entries4 + entries6}`);
    const baseline = join(dir, `bare-${size}.nft`);
    writeFileSync(baseline, `table inet ${TABLE}\ndelete table inet ${TABLE}\n${listing}`);
    console.error(`bench/nftables: ${size} IPv4 + ${entries6} IPv6 entries stored in ${((Date.now() - fillStart) / 1000).toFixed(1)} s, ${runs} runs each`);

    for (const [label, before] of [
      ['after nft flush ruleset', flush],
      ['replacing the table', () => undefined],
    ] as const) {
      const ours: Measured[] = [];
      const bare: Measured[] = [];
      for (let run = 0; run < runs; run++) {
        before();
        ours.push(restore());
        before();
        bare.push(measure('nft', ['-f', baseline]));
      }
      const ratio = median(ours.map((m) => m.ms)) / median(bare.map((m) => m.ms));
      const peak = (list: Measured[], key: 'treeKiB' | 'nodeKiB') => Math.max(...list.map((m) => m[key] ?? 0)) / 1024;
      const n = `${size / 1000}k+${entries6 / 1000}k`;
      rows.push([n, label, median(ours.map((m) => m.ms)), median(bare.map((m) => m.ms)), `${ratio.toFixed(2)}x`, peak(ours, 'nodeKiB'), peak(ours, 'treeKiB'), peak(bare, 'treeKiB')]);
      ratios.push(`${n} ${label}: ${ratio.toFixed(2)}x ${ratio <= 1.3 ? 'met' : 'NOT met'}`);
    }
    flush();
  }
  console.log(`bench/nftables: stickyban restore --backend nftables vs bare nft -f of the same table (nft ${netns.run('nft', ['--version']).trim().split(' ')[1]}), median of ${runs} runs, inside a network namespace${ENVIRONMENT_NOTE}`);
  printTable(['entries v4+v6', 'case', 'restore ms', 'bare nft -f ms', 'ratio', 'restore node MiB', 'restore peak MiB', 'bare nft MiB'], rows);
  console.log('peak MiB: largest resident set of the process tree (stickyban restore: node or the nft it runs); node MiB: the node process alone');
  console.log(`goal <= 1.3x: ${ratios.join('; ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
