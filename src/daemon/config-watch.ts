// The config file as the daemon read it. One edited since (a safelist entry added) is not in force
// until SIGHUP, and the bans the daemon answers are judged by the one it read: a ban of an address
// the file now safelists was blocked, and nothing said so where the admin would look (the command
// line says it; the fail2ban action, which asks the daemon, did not).

import { statSync } from 'node:fs';
import { shownPath } from '../input/quote.js';

export class ConfigWatch {
  private path: string | undefined;
  private seen = '';
  private said = false;

  constructor(private readonly log: (line: string) => void) {}

  /** The file as just read (at start, at SIGHUP); undefined: no config file. */
  read(path: string | undefined): void {
    this.path = path;
    this.seen = stampOf(path);
    this.said = false;
  }

  /** Says once when the file is no longer what was read. */
  check(): void {
    if (this.path === undefined || this.said || stampOf(this.path) === this.seen) return;
    this.said = true;
    this.log(`the config file ${shownPath(this.path)} changed since it was read: systemctl reload stickyban (SIGHUP) puts it in force; until then bans are judged by the one read`);
  }
}

function stampOf(path: string | undefined): string {
  try {
    const stats = path === undefined ? undefined : statSync(path, { throwIfNoEntry: false });
    return stats ? `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}` : 'none';
  } catch (error) {
    // Unreadable is a change too (a directory on the way replaced), never a throw in the daemon's timer.
    return `error ${(error as NodeJS.ErrnoException).code ?? ''}`;
  }
}
