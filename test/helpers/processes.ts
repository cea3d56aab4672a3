// Processes as /proc tells of them: which tool sessions a daemon holds, and how much CPU a run took.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's times, asked once, when first needed. */
let ticks: number | undefined;
function ticksPerSecond(): number {
  return (ticks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100);
}

/**
 * CPU seconds (user and system) from /proc/PID/stat: the process's own, and those of its children
 * that ended and were waited for (a spawnSync's whole tree, the tools it ran included). Nothing
 * for a process that ended meanwhile: its time is its parent's by then.
 */
export function cpuSeconds(pid: number | 'self'): { readonly own: number; readonly children: number } {
  const stat = readGone(`/proc/${pid}/stat`);
  if (stat === '') return { own: 0, children: 0 };
  // From the state on: the command name before it may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ').map(Number);
  return { own: (fields[11]! + fields[12]!) / ticksPerSecond(), children: (fields[13]! + fields[14]!) / ticksPerSecond() };
}

/** The pids of `pid`'s children. */
export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) => readGone(`/proc/${pid}/task/${task}/children`).trim().split(' ').filter(Boolean).map(Number));
}

/** A /proc file, or '' when its process ended meanwhile. */
function readGone(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return '';
    throw error;
  }
}

/** The pids among `root`'s descendants whose command line is exactly `argv`. */
export function descendantsRunning(root: number, argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  const found: number[] = [];
  // The daemon's short-lived tools (an iptables listing) may end while they are looked at.
  const walk = (pid: number) => {
    for (const child of childrenOf(pid)) {
      if (readGone(`/proc/${child}/cmdline`) === wanted) found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}
