// The entry counts of the plan, kept with the state of the store they were counted in (migration
// 0007 says why; src/actions/plan-count.ts uses them).

import type Database from 'better-sqlite3';
import { StatementCache } from './statements.js';

/** What the plan depends on in the store, besides the clock. */
export interface PlanState {
  /** The newest event. */
  readonly max_id: number;
  /** Lifts, deletions and safelist changes so far. */
  readonly removals: number;
  /** The last restore (0: none). */
  readonly restore_id: number;
  /** The policy and the config's safelist, as the caller writes them. */
  readonly config: string;
}

export interface PlanCounts extends PlanState {
  /** Entries planned now, per family. */
  readonly now4: number;
  readonly now6: number;
  /** Entries planned without the retention, per family. */
  readonly all4: number;
  readonly all6: number;
}

export class PlanCountTable {
  private readonly cache: StatementCache;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  /** The store's side of the state now: a few index lookups. */
  state(config: string): PlanState {
    return this.cache
      .get(
        `SELECT (SELECT coalesce(max(id), 0) FROM bans) AS max_id, (SELECT removals FROM plan_changes) AS removals,
                (SELECT coalesce(max(id), 0) FROM restores) AS restore_id, @config AS config`,
      )
      .get({ config }) as PlanState;
  }

  get(): PlanCounts | undefined {
    return this.cache.get('SELECT max_id, removals, restore_id, config, now4, now6, all4, all6 FROM plan_counts WHERE id = 1').get() as PlanCounts | undefined;
  }

  put(counts: PlanCounts): void {
    this.cache
      .get(
        `INSERT OR REPLACE INTO plan_counts (id, max_id, removals, restore_id, config, now4, now6, all4, all6)
         VALUES (1, @max_id, @removals, @restore_id, @config, @now4, @now6, @all4, @all6)`,
      )
      .run(counts);
  }
}

/** Counts a change to what is planned other than a new event (see migration 0007). */
export function noteRemoval(cache: StatementCache): void {
  cache.get('UPDATE plan_changes SET removals = removals + 1').run();
}
