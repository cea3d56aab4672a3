import type Database from 'better-sqlite3';
import type { ProcessIdentity } from '../exec/pid.js';
import type { LoadedTarget } from './restores.js';
import { StatementCache } from './statements.js';

/** A live update a process owes (see migrations/0010_live_owed.sql, 0012). */
export interface OwedUpdate {
  readonly pid: number;
  /** The owner's pid namespace and start (0012); null in a note written before. */
  readonly pidNs: number | null;
  readonly startTicks: number | null;
  readonly startedMs: number;
  readonly what: string;
}

/** Whether the process that wrote a note still runs. */
export type OwnerRuns = (owed: OwedUpdate) => boolean;

const COLUMNS = 'pid, pid_ns AS pidNs, start_ticks AS startTicks, started_ms AS startedMs, what';

export class LiveOwedTable {
  private readonly cache: StatementCache;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  /**
   * The process `owner` owes the live set an update from now on; returns its row's id. `loading`:
   * a restore's, the backend and target it loads (migrations/0013).
   */
  add(owner: ProcessIdentity, startedMs: number, what: string, loading?: LoadedTarget): number {
    const insert = this.cache.get('INSERT INTO live_owed (pid, pid_ns, start_ticks, started_ms, what, backend, target) VALUES (?, ?, ?, ?, ?, ?, ?)');
    return Number(insert.run(owner.pid, owner.pidNs, owner.startTicks, startedMs, what, loading?.backend ?? null, loading?.target ?? null).lastInsertRowid);
  }

  /** What restores of processes no longer running were loading: it may be in the kernel, recorded nowhere else. */
  loadingCutShort(runs: OwnerRuns): LoadedTarget[] {
    const rows = this.cache.get(`SELECT ${COLUMNS}, backend, target FROM live_owed WHERE backend IS NOT NULL ORDER BY id`).all() as Array<OwedUpdate & LoadedTarget>;
    return rows.filter((row) => !runs(row)).map(({ backend, target }) => ({ backend, target }));
  }

  remove(id: number): void {
    this.cache.get('DELETE FROM live_owed WHERE id = ?').run(id);
  }

  /** What processes no longer running owed: their live update never came. */
  cutShort(runs: OwnerRuns): OwedUpdate[] {
    const rows = this.cache.get(`SELECT ${COLUMNS} FROM live_owed WHERE settled = 0 ORDER BY id`).all() as OwedUpdate[];
    return rows.filter((row) => !runs(row));
  }

  /**
   * A restore read the store from `atMs` on and loaded `done.loaded` from it (and removed
   * `done.retired`): what processes no longer running owed from before then is paid. A running one
   * settles its own.
   */
  settle(atMs: number, runs: OwnerRuns, done: { readonly loaded: LoadedTarget; readonly retired: readonly LoadedTarget[] }): void {
    const rows = this.cache.get(`SELECT id, ${COLUMNS}, backend, target FROM live_owed WHERE started_ms < ?`).all(atMs) as Array<OwedUpdate & LoadedTarget & { id: number }>;
    const same = (a: LoadedTarget, b: LoadedTarget) => a.backend === b.backend && a.target === b.target;
    for (const row of rows) {
      if (runs(row)) continue;
      // What a gone restore was loading, other than what this one loaded or removed, may still be
      // in the kernel: kept, as a leftover alone (owed no more), for a restore that removes it.
      if (row.backend !== null && !same(row, done.loaded) && !done.retired.some((retired) => same(row, retired))) {
        this.cache.get('UPDATE live_owed SET settled = 1 WHERE id = ?').run(row.id);
      } else {
        this.remove(row.id);
      }
    }
  }
}
