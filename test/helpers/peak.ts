// The peak memory of one CLI run, as the process itself counts it at exit
// (process.resourceUsage().maxRSS), with its output read the way a slow consumer reads it.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliCommand } from './cli.js';
import type { Netns } from './netns.js';
import { tempDir } from './tmp.js';

export interface Counted {
  readonly code: number | null;
  readonly stderr: string;
  /** Of stdout, which is counted as it arrives and never held. */
  readonly bytes: number;
  readonly lines: number;
  /** Of stdout. */
  readonly head: string;
  readonly tail: string;
  readonly peakMiB: number;
}

const PROBE = "process.on('exit', () => require('node:fs').writeFileSync(process.env.STICKYBAN_TEST_PEAK, String(process.resourceUsage().maxRSS)));\n";
const KEEP = 4096;

/**
 * Runs the CLI in `netns` and counts its stdout. Nothing is read from the pipe for `holdMs` at
 * first, as when the output goes to a pager or a slow gzip: a writer that ignores the pipe's
 * back-pressure then queues its whole output in memory.
 */
export async function countedCli(netns: Netns, args: readonly string[], options: { env?: NodeJS.ProcessEnv; holdMs?: number } = {}): Promise<Counted> {
  const dir = tempDir('stickyban-peak-');
  const probe = join(dir, 'probe.cjs');
  const peak = join(dir, 'peak');
  writeFileSync(probe, PROBE);
  const [file, argv] = cliCommand(args, netns.name);
  const child = spawn(file, argv, {
    env: { ...process.env, SSH_CONNECTION: '', SSH_CLIENT: '', ...options.env, NODE_OPTIONS: `--require ${probe}`, STICKYBAN_TEST_PEAK: peak },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let bytes = 0;
  let lines = 0;
  let head = '';
  let tail = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const count = (chunk: Buffer): void => {
    bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    const text = chunk.toString('latin1');
    if (head.length < KEEP) head += text.slice(0, KEEP - head.length);
    tail = (tail + text).slice(-KEEP);
  };
  child.stdout.pause();
  const held = setTimeout(() => child.stdout.on('data', count).resume(), options.holdMs ?? 500);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  clearTimeout(held);
  if (!existsSync(peak)) throw new Error(`no peak memory recorded (exit code ${code}): ${stderr}`);
  return { code, stderr, bytes, lines, head, tail, peakMiB: Number(readFileSync(peak, 'utf8')) / 1024 };
}
