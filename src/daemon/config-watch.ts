// The config file as the daemon read it. One edited since (a safelist entry added) is not in force
// until SIGHUP, and the bans the daemon answers are judged by the one it read: a ban of an address
// the file now safelists was blocked, and nothing said so where the admin would look (the command
// line says it; the fail2ban action, which asks the daemon, did not).

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { MAX_CONFIG_BYTES } from '../config/config-file.js';
import { shownPath } from '../input/quote.js';

/** The file's place, size and time (cheap to look at), and what it holds. */
interface Look {
  readonly stat: string;
  readonly content: string;
}

export class ConfigWatch {
  private path: string | undefined;
  private seen: Look = { stat: '', content: '' };
  private said = false;

  constructor(private readonly log: (line: string) => void) {}

  /** The file as just read (at start, at SIGHUP); undefined: no config file. */
  read(path: string | undefined): void {
    this.path = path;
    this.seen = lookAt(path);
    this.said = false;
  }

  /** Says once when what the file holds is no longer what was read. */
  check(): void {
    if (this.path === undefined || this.said) return;
    const now = lookAt(this.path, this.seen);
    if (now.content === this.seen.content) {
      this.seen = now;
      return;
    }
    this.said = true;
    this.log(`the config file ${shownPath(this.path)} changed since it was read: systemctl reload stickyban (SIGHUP) puts it in force; until then bans are judged by the one read`);
  }
}

/**
 * The file as it is. Its content (a digest) is read only when its size or time moved since `last`:
 * a `touch`, or an edit put back as it was, is no change. A file larger than a config file may be
 * is a change without being read; one that cannot be looked at is one too, never a throw in the
 * daemon's timer.
 */
function lookAt(path: string | undefined, last?: Look): Look {
  try {
    const stats = path === undefined ? undefined : statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return { stat: 'none', content: 'none' };
    const stat = `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}`;
    if (last?.stat === stat) return last;
    // Not read unless a regular file of a config file's size: a pipe put there would hold the loop.
    if (!stats.isFile() || stats.size > MAX_CONFIG_BYTES) return { stat, content: `not a config file: ${stat}` };
    return { stat, content: createHash('sha256').update(readFileSync(path!)).digest('hex') };
  } catch (error) {
    return { stat: 'error', content: `error ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
}
