import type Database from 'better-sqlite3';
import { StatementCache } from './statements.js';

export interface RestoreRecord {
  readonly started_at: number;
  readonly duration_ms: number;
  readonly backend: string;
  readonly entries4: number;
  readonly entries6: number;
  readonly trigger: string;
}

/** What each restore did, for stats, doctor and metrics. */
export class RestoreTable {
  private readonly cache: StatementCache;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  record(run: RestoreRecord): void {
    this.cache
      .get(
        `INSERT INTO restores (started_at, duration_ms, backend, entries4, entries6, trigger)
         VALUES (@started_at, @duration_ms, @backend, @entries4, @entries6, @trigger)`,
      )
      .run(run);
    // A restore every 30 s from the daemon would grow this forever; the last thousand tell enough.
    this.cache.get('DELETE FROM restores WHERE id <= (SELECT max(id) - 1000 FROM restores)').run();
  }

  /**
   * The backends restores have loaded since the last one of `current`: what a switch
   * to `current` leaves in place. Once `current` has a restore of its own, they are not asked again.
   */
  backendsSince(current: string): string[] {
    return this.cache
      .get(
        `SELECT DISTINCT backend FROM restores WHERE backend <> @current
         AND id > (SELECT coalesce(max(id), 0) FROM restores WHERE backend = @current)`,
      )
      .pluck()
      .all({ current }) as string[];
  }

  /** The backend the last restore loaded: the one whose live set is in place. */
  lastBackend(): string | undefined {
    return this.last()?.backend;
  }

  last(): RestoreRecord | undefined {
    return this.cache.get('SELECT started_at, duration_ms, backend, entries4, entries6, trigger FROM restores ORDER BY id DESC LIMIT 1').get() as
      | RestoreRecord
      | undefined;
  }
}
