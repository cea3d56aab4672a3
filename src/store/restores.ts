import type Database from 'better-sqlite3';
import { StatementCache } from './statements.js';

export interface RestoreRecord {
  readonly started_at: number;
  readonly duration_ms: number;
  readonly backend: string;
  readonly entries4: number;
  readonly entries6: number;
  readonly trigger: string;
  /** The backend's settings it loaded (JSON, see firewall/select.ts targetOf); null before migration 0006. */
  readonly target: string | null;
  /** The backend the config named at the time; null before migration 0006. */
  readonly config_backend: string | null;
}

/** What a restore loaded: a backend, and its settings (null when not recorded). */
export interface LoadedTarget {
  readonly backend: string;
  readonly target: string | null;
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
        `INSERT INTO restores (started_at, duration_ms, backend, entries4, entries6, trigger, target, config_backend)
         VALUES (@started_at, @duration_ms, @backend, @entries4, @entries6, @trigger, @target, @config_backend)`,
      )
      .run(run);
    // A restore every 30 s from the daemon would grow this forever; the last thousand tell enough.
    this.cache.get('DELETE FROM restores WHERE id <= (SELECT max(id) - 1000 FROM restores)').run();
  }

  /**
   * Every backend and settings restores have loaded, as far as the record goes back (the last
   * thousand): what a restore of another one may find left in place.
   */
  targets(): LoadedTarget[] {
    return this.cache.get('SELECT DISTINCT backend, target FROM restores ORDER BY backend, target').all() as LoadedTarget[];
  }

  /** The backend the last restore loaded: the one whose live set is in place. */
  lastBackend(): string | undefined {
    return this.last()?.backend;
  }

  last(): RestoreRecord | undefined {
    return this.cache.get('SELECT started_at, duration_ms, backend, entries4, entries6, trigger, target, config_backend FROM restores ORDER BY id DESC LIMIT 1').get() as
      | RestoreRecord
      | undefined;
  }
}
