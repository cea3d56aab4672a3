// A process's descendants, read from /proc: which tool sessions a daemon holds.

import { readdirSync, readFileSync } from 'node:fs';

/** The pids among `root`'s descendants whose command line is exactly `argv`. */
export function descendantsRunning(root: number, argv: readonly string[]): number[] {
  const wanted = `${argv.join('\0')}\0`;
  // The daemon's short-lived tools (an iptables listing) may end while they are looked at.
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ESRCH') return '';
      throw error;
    }
  };
  const children = (pid: number): number[] => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return [];
    }
    return tasks.flatMap((task) => read(`/proc/${pid}/task/${task}/children`).trim().split(' ').filter(Boolean).map(Number));
  };
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children(pid)) {
      if (read(`/proc/${child}/cmdline`) === wanted) found.push(child);
      walk(child);
    }
  };
  walk(root);
  return found;
}
