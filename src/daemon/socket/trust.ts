// Whose answers a command believes. A socket another user could have put at the configured path
// (theirs, or in a directory they can change) could answer "banned" for a ban it threw away, and
// would read every request. Such a socket is not asked: the command does the work itself.

import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { distrustOf } from '../../files/trusted-dir.js';

/** Why the socket at `path` is not to be asked, or undefined when only root (or this user) can have put it there. */
export function socketDistrust(path: string, euid: number = process.geteuid?.() ?? 0): string | undefined {
  try {
    const distrust = distrustOf(dirname(path), { euid });
    if (distrust) return `${distrust.path} ${distrust.problem}`;
    const stats = lstatSync(path);
    if (!stats.isSocket()) return `${path} is not a socket`;
    if (stats.uid !== 0 && stats.uid !== euid) return `${path} is owned by uid ${stats.uid}, not ${euid === 0 ? 'root' : `root or uid ${euid}`}`;
    return undefined;
  } catch (error) {
    return `${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}
