// Ban events written as rows of the bans table, many per INSERT: each statement run costs far more
// than each row it carries (a million address-ordered rows: 3.5 s one by one, 2.6 s fifty at a
// time). Rows that share their host, family, jail, source, reason and replay flag (one host's bans
// of one jail: nearly every statement of a fleet bootstrap or an import) bind those six once per
// statement instead of once per row: a scratch loop of 1M rows, 2.5-2.7 -> 1.5-2.0 s; the insert
// thread of a 1M-event bootstrap, ~3.25 -> ~2.6 s of CPU in its profile (2-core VM).

import type Database from 'better-sqlite3';
import { formatNetwork } from '../address/format.js';
import type { Network } from '../address/network.js';
import type { BanEvent } from './bans.js';
import { blockParams } from './keys.js';

/** Rows per INSERT statement: 600 parameters, far below SQLite's limit of 32766. */
export const ROWS_PER_INSERT = 50;
/** The parameters of one row, in COLUMNS' order. */
export const EVENT_COLUMNS = 12;
const COLUMNS = 'uuid, origin, family, first, last, address, jail, banned_at, bantime, source, reason, restored';
/** Of COLUMNS, those rows of a run share, by position, and the names they are bound by. */
const SHARED: ReadonlyArray<readonly [number, string]> = [[1, 'origin'], [2, 'family'], [6, 'jail'], [9, 'source'], [10, 'reason'], [11, 'restored']];
/** Of COLUMNS, those of each row alone, by position. */
const OWN = [0, 3, 4, 5, 7, 8];

/** Rows to insert: how many, each one's EVENT_COLUMNS parameters written from `at`, and the prefix lengths among them. */
export interface EventRows {
  readonly count: number;
  readonly write: (row: number, params: unknown[], at: number) => void;
  readonly prefixes: () => Iterable<Pick<Network, 'family' | 'prefix'>>;
}

/** The events as EventRows. */
export function eventRows(events: readonly BanEvent[]): EventRows {
  return { count: events.length, write: (i, params, at) => eventParams(events[i]!, params, at), prefixes: () => events.map((event) => event.network) };
}

/** The block's four columns of a row (family, first, last, address), written into `params` for the row at `at`. */
export function blockColumns(network: Network, params: unknown[], at: number): void {
  const { family, first, last } = blockParams(network);
  params[at + 2] = family;
  params[at + 3] = first;
  params[at + 4] = last;
  params[at + 5] = formatNetwork(network);
}

/** Writes the event's parameters into `params` from `at`: positional, cheaper than named ones in bulk. */
function eventParams(event: BanEvent, params: unknown[], at: number): void {
  params[at] = event.uuid;
  params[at + 1] = event.origin;
  blockColumns(event.network, params, at);
  params[at + 6] = event.jail;
  params[at + 7] = event.bannedAt;
  params[at + 8] = event.bantime;
  params[at + 9] = event.source;
  params[at + 10] = event.reason;
  params[at + 11] = event.restored ? 1 : 0;
}

/** INSERT OR IGNORE of `rows` events (an event whose uuid is stored already is skipped); `shared`: SHARED bound by name. */
function insertSql(rows: number, shared: boolean): string {
  const names = new Map(SHARED);
  const row = `(${Array.from({ length: EVENT_COLUMNS }, (_, column) => (shared && names.has(column) ? `@${names.get(column)}` : '?')).join(', ')})`;
  return `INSERT OR IGNORE INTO bans (${COLUMNS}) VALUES ${new Array<string>(rows).fill(row).join(', ')}`;
}

/** A connection's INSERTs of rows, prepared once per row count and shape (their text is kilobytes long). */
export class EventInserts {
  private readonly each: Database.Statement[] = [];
  private readonly sharing: Database.Statement[] = [];
  private readonly params = new Array<unknown>(ROWS_PER_INSERT * EVENT_COLUMNS);
  private readonly own = new Array<unknown>(ROWS_PER_INSERT * OWN.length);
  private readonly shared: Record<string, unknown> = {};
  /** Statements run with the shared columns bound once (a test reads it). */
  sharedRuns = 0;

  constructor(private readonly db: Database.Database) {}

  /** Inserts the rows; how many were new. */
  insert(rows: EventRows): number {
    const { params } = this;
    let inserted = 0;
    for (let start = 0; start < rows.count; start += ROWS_PER_INSERT) {
      const count = Math.min(ROWS_PER_INSERT, rows.count - start);
      params.length = count * EVENT_COLUMNS;
      for (let i = 0; i < count; i++) rows.write(start + i, params, i * EVENT_COLUMNS);
      inserted += count > 1 && this.runShared(count) ? this.insertShared(count) : (this.each[count] ??= this.db.prepare(insertSql(count, false))).run(params).changes;
    }
    return inserted;
  }

  /** True when the `count` rows in params share every SHARED column. */
  private runShared(count: number): boolean {
    const { params } = this;
    for (const [column] of SHARED) {
      const value = params[column];
      for (let at = EVENT_COLUMNS + column; at < count * EVENT_COLUMNS; at += EVENT_COLUMNS) if (params[at] !== value) return false;
    }
    return true;
  }

  private insertShared(count: number): number {
    const { params, own, shared } = this;
    for (const [column, name] of SHARED) shared[name] = params[column];
    own.length = count * OWN.length;
    for (let i = 0; i < count; i++) for (let c = 0; c < OWN.length; c++) own[i * OWN.length + c] = params[i * EVENT_COLUMNS + OWN[c]!];
    this.sharedRuns++;
    return (this.sharing[count] ??= this.db.prepare(insertSql(count, true))).run(own, shared).changes;
  }
}
