import type Database from 'better-sqlite3';
import { StatementCache } from './statements.js';

/** A live update a process owes (see migrations/0010_live_owed.sql). */
export interface OwedUpdate {
  readonly pid: number;
  readonly startedMs: number;
  readonly what: string;
}

export class LiveOwedTable {
  private readonly cache: StatementCache;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  /** This process owes the live set an update from now on; returns its row's id. */
  add(pid: number, startedMs: number, what: string): number {
    return Number(this.cache.get('INSERT INTO live_owed (pid, started_ms, what) VALUES (?, ?, ?)').run(pid, startedMs, what).lastInsertRowid);
  }

  remove(id: number): void {
    this.cache.get('DELETE FROM live_owed WHERE id = ?').run(id);
  }

  /** What processes no longer `running` owed: their live update never came. */
  cutShort(running: (pid: number) => boolean): OwedUpdate[] {
    const rows = this.cache.get('SELECT pid, started_ms AS startedMs, what FROM live_owed ORDER BY id').all() as OwedUpdate[];
    return rows.filter((row) => !running(row.pid));
  }

  /**
   * A restore read the store from `atMs` on and loaded the live set from it: what processes no
   * longer running owed from before then is paid. A running one settles its own.
   */
  settle(atMs: number, running: (pid: number) => boolean): void {
    const rows = this.cache.get('SELECT id, pid FROM live_owed WHERE started_ms < ?').all(atMs) as Array<{ id: number; pid: number }>;
    for (const row of rows) if (!running(row.pid)) this.remove(row.id);
  }
}
