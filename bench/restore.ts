// bench/restore: `stickyban restore --rebuild` (ipset backend: every set loaded whole) at N = 10k, 100k, 1M IPv4 bans plus N/10 IPv6
// bans and 10k safelisted CIDRs, each in its own network namespace, beside:
//   - a bare `ipset restore` of exactly the final entries, in the same run (goal: ≤ 1.3× at 1M,
//     flat cost per entry);
//   - at 10k, the common replay script: one `iptables -I Blocklist -s <ip> -j DROP` process per
//     address (goal: stickyban ≥ 100× faster).
// BENCH_SIZES=10000,100000 limits the sizes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, median, printTable, timeRun } from './lib.js';
import { SAFELIST, seed } from './seed.js';

const sizes = (process.env.BENCH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const rows: Array<Array<string | number>> = [];
let replay: { n: number; script: number; stickyban: number } | undefined;

for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
  const db = join(dir, 'stickyban.db');
  const netns = new BenchNetns();
  try {
    seed(db, n);
    // --rebuild: every set loaded whole (temporary set, swap), as at boot or after `ipset destroy`;
    // a restore that finds the sets in place only updates them (bench/reload.ts measures that).
    const restore = () => {
      const [file, args] = netns.argv(CLI, ['--db', db, 'restore', '--rebuild', '--verbose']);
      let output = '';
      const ms = timeRun(file, args, {}, (stdout) => (output = stdout));
      return { ms, output };
    };
    const first = restore();
    // Later restores replace a live set, the usual case (after a firewall reload); median of a few.
    const again = Array.from({ length: n >= 1_000_000 ? 3 : 7 }, restore);
    const second = { ms: median(again.map((run) => run.ms)), output: again.at(-1)!.output };
    const entries = /restored (\d+) IPv4 and (\d+) IPv6 entries/.exec(second.output);
    const total = Number(entries?.[1]) + Number(entries?.[2]);
    const rss = /peak memory of stickyban: (\d+) MiB/.exec(second.output)?.[1] ?? '?';

    // The bare baseline: the same final entries, loaded into fresh sets by one ipset restore.
    const saved = netns.run('ipset', ['save']).replace(/stickyban([46])/g, 'bare$1');
    const script = join(dir, 'bare.ipset');
    writeFileSync(script, saved);
    const bare = timeRun('ip', ['netns', 'exec', netns.name, 'ipset', 'restore', '-file', script]);

    rows.push([n, total, first.ms, second.ms, bare, second.ms / bare, (second.ms * 1000) / total, rss]);

    if (n === 10_000) {
      const ips = join(dir, 'ips.txt');
      writeFileSync(ips, `${netns.run('ipset', ['save', 'stickyban4']).split('\n').filter((line) => line.startsWith('add ')).map((line) => line.split(' ')[2]).join('\n')}\n`);
      netns.run('iptables', ['-N', 'Replay']);
      const scriptMs = timeRun('ip', ['netns', 'exec', netns.name, 'bash', '-c', 'while read -r ip; do iptables -w -I Replay -s "$ip" -j DROP; done < "$1"', 'replay', ips]);
      replay = { n: Number(entries?.[1]), script: scriptMs, stickyban: second.ms };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`bench/restore: ipset backend, N IPv4 + N/10 IPv6 bans, ${SAFELIST} safelisted CIDRs, one network namespace per size${ENVIRONMENT_NOTE}`);
printTable(
  ['N', 'entries', 'first restore ms', 'restore ms (median)', 'bare ipset restore ms', 'ratio', 'µs/entry', 'peak RSS MiB'],
  rows,
);
const at1M = rows.find((row) => row[0] === 1_000_000);
if (at1M) console.log(`ratio at 1M: ${(at1M[5] as number).toFixed(2)}x the bare ipset restore (goal <= 1.3x): ${(at1M[5] as number) <= 1.3 ? 'met' : 'NOT met'}`);
if (replay) {
  const speedup = replay.script / replay.stickyban;
  printTable(['approach', `${replay.n} IPv4 entries, ms`], [
    ['replay script: one iptables -I per address', replay.script],
    ['stickyban restore (IPv4 + IPv6)', replay.stickyban],
  ]);
  console.log(`stickyban is ${speedup.toFixed(0)}x faster than the replay script (goal >= 100x): ${speedup >= 100 ? 'met' : 'NOT met'}`);
}
