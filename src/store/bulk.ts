// Settings of the store connection while an import writes, and why:
// - Auto-checkpoint after every 4 MB of WAL (SQLite's default) makes each 10k-row commit copy the
//   pages it touched back into the database file at once, which for a bulk insert is most of the
//   indexes, every batch (measured with a million hash-ordered rows: 40 s instead of 8 s, and single
//   commits of 3 s that a concurrent ban hook would wait for). Checkpointing every 64 MB instead keeps
//   the WAL bounded and the commits short.
// - synchronous=NORMAL: commits are not fsynced one by one. An import is idempotent, so after a power
//   cut it is simply run again; finish() ends with a checkpoint, which syncs the WAL and then the
//   database file, so once the summary is printed everything is on disk.
// These are settings of this connection only; the hook and other commands keep theirs.

import type Database from 'better-sqlite3';

const CHECKPOINT_PAGES = 16_384;

export class BulkWrites {
  private readonly saved: { autocheckpoint: unknown; synchronous: unknown };

  /**
   * `db`: the connection that writes (a store's, or the insert thread's own). `durable`: keep every
   * commit synced (the daemon, whose other writes are bans it answers as recorded); only the
   * checkpoints are spaced out. `checkpoints: false`: none on the way, only finish()'s (another
   * connection writes the bulk and checkpoints it, see insert-worker.ts: this one's small commits
   * must not do it in its stead).
   */
  constructor(
    private readonly db: Database.Database,
    { durable = false, checkpoints = true }: { durable?: boolean; checkpoints?: boolean } = {},
  ) {
    this.saved = { autocheckpoint: db.pragma('wal_autocheckpoint', { simple: true }), synchronous: db.pragma('synchronous', { simple: true }) };
    db.pragma(`wal_autocheckpoint = ${checkpoints ? CHECKPOINT_PAGES : 0}`);
    if (!durable) db.pragma('synchronous = NORMAL');
  }

  /**
   * Makes everything written durable and moves the WAL into the database file (the next hook then
   * does not pay for the import's pages), then goes back to the connection's own settings.
   */
  finish(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.end();
  }

  /** Back to the connection's own settings. */
  end(): void {
    const db = this.db;
    if (!db.open) return;
    db.pragma(`synchronous = ${Number(this.saved.synchronous)}`);
    db.pragma(`wal_autocheckpoint = ${Number(this.saved.autocheckpoint)}`);
  }
}
