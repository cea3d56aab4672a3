// bench/hook: the ban hook's wall time against a bare Node start, interleaved in one run so both
// see the same machine state. Goal: median ≤ 1.5 × `node -e 0`.
// The hook runs in a network namespace against a live ipset (a restore ran first), so each ban
// really records, fsyncs and calls `ipset add`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchNetns, CLI, ENVIRONMENT_NOTE, median, printTable, timeRun } from './lib.js';

const runs = Number(process.env.BENCH_RUNS ?? 40);
const dir = mkdtempSync(join(tmpdir(), 'stickyban-bench-'));
const db = join(dir, 'stickyban.db');
const netns = new BenchNetns();
try {
  netns.run(CLI, ['--db', db, 'init', '--quiet']);
  netns.run(CLI, ['--db', db, 'ban', '192.0.2.1', '--quiet']);
  const live = netns.argv(CLI, ['--db', db, 'restore', '--quiet']);
  timeRun(live[0], live[1]);

  const bare: number[] = [];
  const hook: number[] = [];
  for (let i = 0; i < runs + 3; i++) {
    const [file, args] = netns.argv(process.execPath, ['-e', '0']);
    const [hookFile, hookArgs] = netns.argv(CLI, ['--db', db, 'ban', `198.18.${i >> 8}.${i & 255}`, '--jail', 'sshd', '--bantime', '600', '--quiet']);
    const a = timeRun(file, args);
    const b = timeRun(hookFile, hookArgs);
    if (i >= 3) {
      bare.push(a);
      hook.push(b);
    }
  }
  const ratio = median(hook) / median(bare);
  console.log(`bench/hook: ${runs} runs each, interleaved, inside a network namespace with a live ipset${ENVIRONMENT_NOTE}`);
  printTable(['command', 'median ms', 'min ms', 'max ms'], [
    ['node -e 0 (baseline)', median(bare), Math.min(...bare), Math.max(...bare)],
    ['stickyban ban <ip> --jail sshd', median(hook), Math.min(...hook), Math.max(...hook)],
  ]);
  console.log(`ratio: ${ratio.toFixed(2)}x the baseline (goal <= 1.5x): ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
