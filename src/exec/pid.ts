// Whether a process still runs. A pid alone does not say: the kernel hands ids out again (a busy
// host, a small pid_max), and one written in another pid namespace (a container sharing the store)
// names some other process here, pid 1 of the host for one that ran as 1 in its own. So what a
// process leaves for others to judge (a note, a claim) also says when it started, or carries its
// identity: its pid namespace and its start time in clock ticks since boot (/proc/PID/stat).

import { readFileSync, statSync } from 'node:fs';

/** Whether a process with this id runs (another user's too: EPERM says it exists). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who a process is, beyond its id: its pid namespace (the inode of /proc/self/ns/pid) and its start. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly pidNs: number;
  readonly startTicks: number;
}

let own: ProcessIdentity | undefined;

/** This process's identity (read once). */
export function ownIdentity(): ProcessIdentity {
  own ??= { pid: process.pid, pidNs: statSync('/proc/self/ns/pid').ino, startTicks: startTicksOf('self')! };
  return own;
}

/**
 * Whether the process `identity` names still runs. One of another pid namespace cannot be seen
 * from here: taken as gone, which costs a needless restore at worst, never a missed one.
 */
export function stillRuns(identity: ProcessIdentity): boolean {
  if (identity.pidNs !== ownIdentity().pidNs) return false;
  return startTicksOf(String(identity.pid)) === identity.startTicks;
}

/** USER_HZ: the unit of /proc's start times, 100 on every Linux architecture stickyban runs on. */
const TICKS_PER_SECOND = 100;
/** The boot time in /proc/stat is whole seconds: a start is known to within this. */
const BOOT_TIME_SLACK_MS = 1000;

/**
 * Whether process `pid` runs and had started by `sinceMs` (unix ms): what it wrote then is its own,
 * not an earlier holder's of the id. For what names only a pid and a time (a spool claim's file
 * name); a process of another pid namespace is not told from one of ours by it.
 */
export function ranSince(pid: number, sinceMs: number): boolean {
  const ticks = startTicksOf(String(pid));
  if (ticks === undefined) return isRunning(pid);
  const startedMs = bootTimeMs() + (ticks * 1000) / TICKS_PER_SECOND;
  return startedMs <= sinceMs + BOOT_TIME_SLACK_MS;
}

/** Field 22 of /proc/PID/stat; undefined when there is no such process. */
function startTicksOf(pid: string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its end.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[22 - 3]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

function bootTimeMs(): number {
  const line = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'));
  return line ? Number(line[1]) * 1000 : 0;
}
