// bench/nft-hook: the ban hook with the nftables backend, on a table of 0 and of 300k /28 blocks (the
// issue 17 case: nft 1.0.6 read every interval set back before any element change, so one hook took
// 13-22 s there). For each size: one `stickyban ban` after another (an address, then a /28 block), and
// 10 hooks started at once, each timed to its end; `node -e 0` beside them as the floor. Goal: the same
// cost at 300k as at 0. Inside a network namespace, the table loaded by `restore --backend nftables`.
//   BENCH_NFT_BLOCKS=0,300000 BENCH_RUNS=5 node --import tsx bench/nft-hook.ts

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { formatIPv4 } from '../src/address/format.js';
import { uuidv7 } from '../src/store/ids.js';
import { toStoredKey } from '../src/store/keys.js';
import { Store } from '../src/store/store.js';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, median, printTable, timeRun } from './lib.js';

const sizes = (process.env.BENCH_NFT_BLOCKS ?? '0,300000').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENT = 10;

const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
const netns = new BenchNetns();

/** `blocks` /28 bans in 10.0.0.0/8 and up, written straight into the store. */
function fill(db: string, blocks: number): void {
  Store.open({ path: db, busyTimeoutMs: 10_000, create: true }).close();
  const handle = new Database(db);
  const insert = handle.prepare(
    `INSERT INTO bans (uuid, origin, family, first, last, address, jail, banned_at, bantime, source)
     VALUES (?, 'bench', 4, ?, ?, ?, 'sshd', ?, 600, 'fail2ban')`,
  );
  const now = Math.floor(Date.now() / 1000);
  handle.transaction(() => {
    for (let i = 0; i < blocks; i++) {
      const first = 0x0a000000 + i * 16;
      insert.run(uuidv7(), toStoredKey(4, first), toStoredKey(4, first + 15), `${formatIPv4(first)}/28`, now);
    }
  })();
  handle.close();
}

/** Wall time of each of `argvs`, all started at once. */
function together(argvs: Array<[string, string[]]>): Promise<number[]> {
  return Promise.all(
    argvs.map(
      ([file, args]) =>
        new Promise<number>((resolve, reject) => {
          const start = process.hrtime.bigint();
          const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`${args.join(' ')} failed: ${stderr}`))));
        }),
    ),
  );
}

try {
  const rows: Array<Array<string | number>> = [];
  let counter = 0;
  // Each ban a new address of 198.18.0.0/15, away from the blocks.
  const address = (): string => `198.18.${counter >> 8}.${counter++ & 255}`;
  const block = (): string => `198.19.${counter >> 4}.${(counter++ & 15) * 16}/28`;
  const bare: number[] = [];
  for (const size of sizes) {
    const db = join(dir, `stickyban-${size}.db`);
    fill(db, size);
    netns.run('nft', ['flush', 'ruleset']);
    const loadMs = timeRun(...netns.argv(CLI, ['--db', db, 'restore', '--backend', 'nftables', '--quiet']));
    const hook = (target: string) => netns.argv(CLI, ['--db', db, 'ban', target, '--jail', 'sshd', '--bantime', '600', '--quiet']);
    const one: number[] = [];
    const oneBlock: number[] = [];
    for (let run = 0; run < runs; run++) {
      bare.push(timeRun(...netns.argv(process.execPath, ['-e', '0'])));
      one.push(timeRun(...hook(address())));
      oneBlock.push(timeRun(...hook(block())));
    }
    const all = await together(Array.from({ length: CONCURRENT }, () => hook(address())));
    const live = netns.run('nft', ['list', 'set', 'inet', 'stickyban', 'v4_hosts']);
    if (!live.includes(`198.18.${(counter - 1) >> 8}.${(counter - 1) & 255}`)) throw new Error('the last hook did not reach the live set');
    const label = `${size.toLocaleString('en-US')} /28 blocks`;
    console.error(`bench/nft-hook: ${label} loaded in ${(loadMs / 1000).toFixed(1)} s`);
    rows.push([label, 'one ban of an address', median(one), Math.min(...one), Math.max(...one)]);
    rows.push([label, 'one ban of a /28', median(oneBlock), Math.min(...oneBlock), Math.max(...oneBlock)]);
    rows.push([label, `${CONCURRENT} bans at once, each`, median(all), Math.min(...all), Math.max(...all)]);
  }
  rows.push(['-', 'node -e 0 (floor)', median(bare), Math.min(...bare), Math.max(...bare)]);
  console.log(`bench/nft-hook: stickyban ban with the nftables backend (nft ${netns.run('nft', ['--version']).trim().split(' ')[1]}), ${runs} runs each, inside a network namespace${ENVIRONMENT_NOTE}`);
  printTable(['table', 'what', 'median ms', 'min ms', 'max ms'], rows);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
