// The store's side of the fleet: what this host has published to the shared log and how far it has
// read it. Local events are published in id order; events that came from the fleet (source
// "fleet:<host>") are never published again, nor are temporary bans (`ban --duration`): the shared
// log has no end for a ban, so every other host would keep it for good.

import type Database from 'better-sqlite3';
import { networkFromKeys } from './keys.js';
import { StatementCache } from './statements.js';
import type { BanEvent } from './bans.js';
import type { Family } from '../address/network.js';

/** A local ban event as the fleet log takes it. */
export type OutgoingBan = Pick<BanEvent, 'uuid' | 'network' | 'jail' | 'bannedAt' | 'bantime' | 'source' | 'reason' | 'restored'> & { readonly id: number };

/**
 * What the store keeps of the fleet: how far the log is read (cursor), the last local event sent
 * (published), and whether a bulk catch-up still owes the restore that loads what it recorded
 * (restore_owed: from its first batch until that restore has run).
 */
export type FleetKey = 'cursor' | 'published' | 'restore_owed';

/** The source given to events that came from the fleet: never published again. */
export const FLEET_SOURCE = 'fleet:';

/**
 * Whether a push sends this event (as FleetTable.outgoing selects them): not one from the fleet,
 * nor a temporary ban, which the fleet would keep for good.
 */
export function isPublished(event: Pick<BanEvent, 'source' | 'until'>): boolean {
  return !event.source.startsWith(FLEET_SOURCE) && event.until === undefined;
}

/**
 * After events were deleted: ids above the largest left are handed out again (the bans table's
 * INTEGER PRIMARY KEY reuses them), so the published mark is kept below them, or the local ban given
 * such an id would never be sent. In the deleting transaction: a ban recorded after it may take one.
 */
export function keepPublishedBelowFreedIds(cache: StatementCache): void {
  cache
    .get(
      `UPDATE fleet_state SET value = CAST((SELECT coalesce(max(id), 0) FROM bans) AS TEXT)
       WHERE key = 'published' AND CAST(value AS INTEGER) > (SELECT coalesce(max(id), 0) FROM bans)`,
    )
    .run();
}

export class FleetTable {
  private readonly cache: StatementCache;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  get(key: FleetKey): string | undefined {
    return this.cache.get('SELECT value FROM fleet_state WHERE key = ?').pluck().get(key) as string | undefined;
  }

  set(key: FleetKey, value: string): void {
    this.cache.get('INSERT INTO fleet_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  unset(key: FleetKey): void {
    this.cache.get('DELETE FROM fleet_state WHERE key = ?').run(key);
  }

  /** How many removals the store has seen (plan_changes): a push compares it before it moves its mark (see push). */
  removals(): number {
    return this.cache.get('SELECT removals FROM plan_changes').pluck().get() as number;
  }

  /** Local ban events after `afterId` that did not come from the fleet, oldest first, at most `limit`. */
  outgoing(afterId: number, limit: number): OutgoingBan[] {
    const rows = this.cache
      .get(
        `SELECT id, uuid, family, first, last, jail, banned_at, bantime, source, reason, restored FROM bans
         WHERE id > ? AND source NOT LIKE '${FLEET_SOURCE}%' AND until IS NULL ORDER BY id LIMIT ?`,
      )
      .all(afterId, limit) as Array<{ id: number; uuid: Buffer; family: Family; first: unknown; last: unknown; jail: string; banned_at: number; bantime: number | null; source: string; reason: string | null; restored: 0 | 1 }>;
    return rows.map((row) => ({
      id: row.id,
      uuid: row.uuid,
      network: networkFromKeys(row.family, row.first, row.last),
      jail: row.jail,
      bannedAt: row.banned_at,
      bantime: row.bantime,
      source: row.source,
      reason: row.reason,
      restored: row.restored === 1,
    }));
  }

  /** How many local events wait to be published. */
  waiting(afterId: number): number {
    return this.cache.get(`SELECT count(*) FROM bans WHERE id > ? AND source NOT LIKE '${FLEET_SOURCE}%' AND until IS NULL`).pluck().get(afterId) as number;
  }
}
