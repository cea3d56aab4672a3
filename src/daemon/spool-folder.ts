// Bans the hook had to spool (the store was locked past its wait, or could not be opened) are folded
// in as they are written, through the daemon's writer, and made live: a ban that could not reach the
// store is still enforced at once, not at the next command. The directory is watched; the poll is
// for what a watch can miss (a directory replaced, inotify watches exhausted).

import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Clock } from '../clock.js';
import { claimSpool, releaseSpool, spoolPath } from '../store/spool.js';
import { lockoutCheck } from '../actions/lockout.js';
import type { Store } from '../store/store.js';
import type { BanWriter } from './ban-writer.js';
import { count } from '../input/plural.js';

const POLL_MS = 1000;

export class SpoolFolder {
  private timer: NodeJS.Timeout | undefined;
  private watcher: FSWatcher | undefined;
  private folding = false;
  /** A write seen while a fold ran: fold again once it is done. */
  private again = false;

  constructor(
    private readonly store: Store,
    private readonly writer: BanWriter,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.fold(), POLL_MS);
    const spool = basename(spoolPath(this.store.path));
    try {
      this.watcher = watch(dirname(this.store.path), { persistent: false }, (_event, name) => {
        if (name === spool) void this.fold();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // Polled only.
    }
    void this.fold();
  }

  stop(): void {
    clearInterval(this.timer);
    this.watcher?.close();
  }

  /** Folds what waits in the spool, if anything; one fold at a time. */
  async fold(): Promise<void> {
    if (this.folding) {
      this.again = true;
      return;
    }
    this.folding = true;
    this.again = false;
    try {
      const claimed = claimSpool(this.store.path, this.clock(), lockoutCheck());
      if (!claimed) return;
      if (claimed.rejected > 0) this.log(`${count(claimed.rejected, 'spooled line was', 'spooled lines were')} unreadable; kept in ${this.store.path}.spool.bad`);
      await Promise.all(claimed.events.map((event) => this.writer.submit(event)));
      // Only once every ban of them is committed: until then the files are the bans' only record.
      releaseSpool(claimed);
      if (claimed.events.length > 0) this.log(`folded ${count(claimed.events.length, 'spooled ban')} into the store`);
    } catch (error) {
      this.log(`error: spooled bans not folded in: ${(error as Error).message}`);
    } finally {
      this.folding = false;
      if (this.again) void this.fold();
    }
  }
}
