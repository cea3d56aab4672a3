// The store's WAL copied into the database file once the store has been quiet for a while, so that
// the next commit starts it over. SQLite checkpoints by itself only when a commit finds the WAL past
// 1,000 pages (4 MB), and a daemon's trickle of bans (a commit or two each, a few pages) can stay
// below that for days: bench/fleet left every host a 1.7-2.1 MB WAL over a 57 KB database after
// its 100 propagation samples, and a storm starting on it cost each daemon a few percent more CPU
// than one starting on an empty WAL (every frame since the WAL last started over stays in its
// index). Done only when nothing was committed for a whole IDLE_MS, so never in a storm; PASSIVE,
// so it waits for no one, and it copies at most what autocheckpoint would have copied inside a
// commit. The file is not truncated: truncated, the next commit (the next ban) grows it again, and
// a growing file's fsync journals its size too.

import type { ChangeMark, Store } from '../store/store.js';

/** Quiet this long (then up to as long again) before the checkpoint. */
export const IDLE_MS = 1000;

export class IdleCheckpoint {
  private timer: NodeJS.Timeout | undefined;
  /** The store's mark at the last look, and when the WAL was last emptied. */
  private seen: string | undefined;
  private emptied: string | undefined;
  /** Checkpoints done, for tests and the log. */
  checkpoints = 0;
  private lastError: string | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: (line: string) => void,
    private readonly everyMs = IDLE_MS,
  ) {}

  start(): void {
    // The store as opened is the state after the daemon's start: nothing of its own to move yet.
    this.seen = markKey(this.store.changeMark());
    this.timer = setInterval(() => this.look(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look: the checkpoint when nothing was committed since the last look, but something since the last checkpoint. */
  look(): void {
    try {
      this.lookOnce();
    } catch (error) {
      const message = (error as Error).message;
      if (message !== this.lastError) this.log(`error: checkpointing the store while idle: ${message}`);
      this.lastError = message;
    }
  }

  /** look's work; throws what reading the store's mark throws too (a store whose files were moved under it: the daemon's watch stops it). */
  private lookOnce(): void {
    const mark = markKey(this.store.changeMark());
    const quiet = mark === this.seen;
    this.seen = mark;
    if (!quiet || mark === this.emptied || this.store.db.inTransaction) return;
    // A reader on an older snapshot (a command listing the store) keeps the frames it reads from
    // being copied: the next quiet look tries again.
    if (!this.store.checkpointPassive()) return;
    this.emptied = mark;
    this.checkpoints++;
    this.lastError = undefined;
  }
}

function markKey(mark: ChangeMark): string {
  return `${mark.others}:${mark.own}:${mark.bookkeeping}`;
}
