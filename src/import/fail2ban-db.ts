// fail2ban's database (dbfile, usually /var/lib/fail2ban/fail2ban.sqlite3). `bans` is the history,
// one row per ban; `bips` (schema 4, fail2ban ≥ 0.11) keeps the latest ban per (ip, jail) and
// outlives the purge of `bans` for permanent bans, so rows found only in `bips` are read too.
// `bancount` is not made into events: it counts an address's bans across all jails when
// bantime.overalljails is on, and events made up for purged rows would change identity as rows
// are purged, so a re-import would add them again. min_bans sees the rows the database still holds.
// fail2ban writes the file with synchronous=OFF while it runs: it is opened read-only, with a busy
// timeout, and read completely in one short read transaction so fail2ban is not held up while the
// rows are imported.

import type Database from 'better-sqlite3';
import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { OperationalError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { openDatabase } from '../store/sqlite.js';
import { banTimeOf, bantimeOf, textOf } from '../input/ban-record.js';
import { parseJail } from '../input/names.js';
import type { LineOutcome } from './outcome.js';

export interface Fail2banRow {
  readonly table: 'bans' | 'bips';
  readonly rowid: number;
  readonly jail: unknown;
  readonly ip: unknown;
  readonly timeofban: unknown;
  readonly bantime: unknown;
}

/** Every ban event in the database; `source` is a path or the bytes of the file (stdin). */
export function readFail2banDb(source: string | Buffer, name: string, busyTimeoutMs: number): Fail2banRow[] {
  let db: Database.Database | undefined;
  try {
    db = typeof source === 'string' ? openDatabase(source, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs }) : openDatabase(source, { readonly: true });
    const handle = db;
    return handle.transaction(() => {
      const columns = (table: string): string[] => (handle.pragma(`table_info(${table})`) as Array<{ name: string }>).map((column) => column.name);
      const bans = columns('bans');
      if (!['jail', 'ip', 'timeofban'].every((column) => bans.includes(column))) {
        throw new UsageError(`${name} is not a fail2ban database: it has no table bans(jail, ip, timeofban, …) (fail2ban's dbfile is usually /var/lib/fail2ban/fail2ban.sqlite3)`);
      }
      // Schema 1 (fail2ban 0.9) has no bantime column: the bantime is unknown there.
      const bantime = bans.includes('bantime') ? 'bantime' : 'NULL';
      const rows = handle
        .prepare(`SELECT 'bans' AS "table", rowid, jail, ip, timeofban, ${bantime} AS bantime FROM bans ORDER BY rowid`)
        .all() as Fail2banRow[];
      const bips = columns('bips');
      if (['jail', 'ip', 'timeofban', 'bantime'].every((column) => bips.includes(column))) {
        rows.push(
          ...(handle
            .prepare(
              `SELECT 'bips' AS "table", rowid, jail, ip, timeofban, bantime FROM bips
               WHERE NOT EXISTS (SELECT 1 FROM bans WHERE bans.jail = bips.jail AND bans.ip = bips.ip AND bans.timeofban = bips.timeofban)
               ORDER BY rowid`,
            )
            .all() as Fail2banRow[]),
        );
      }
      return rows;
    }).deferred();
  } catch (error) {
    throw describeDbFailure(error, name);
  } finally {
    db?.close();
  }
}

/**
 * One row as a ban, each field checked as the hook checks its arguments (a time of 1e20 is not one:
 * the store refused it at insert, after the rows before it were committed); its identity is the time
 * of the ban, so the same row imported twice is one event.
 */
export function rowOutcome(row: Fail2banRow): LineOutcome {
  try {
    const jail = parseJail(textOf(row.jail, 'jail'));
    if (row.ip === null) return { error: 'no address (ip is NULL)' };
    const ip = textOf(row.ip, 'ip');
    const network = tryParseNetwork(ip);
    if (isParseFailure(network)) return { error: `invalid address ${quote(ip)}: ${network.error}` };
    const bannedAt = banTimeOf(row.timeofban, 'timeofban');
    // Schema 1 (fail2ban 0.9) has no bantime: unknown.
    const bantime = row.bantime === null ? null : bantimeOf(row.bantime, 'bantime');
    return { network, jail, bannedAt, bantime, identity: String(bannedAt) };
  } catch (error) {
    if (error instanceof UsageError) return { error: error.message };
    throw error;
  }
}

/** The row as an admin would look it up with sqlite3. */
export function describeRow(row: Fail2banRow): string {
  return `${row.table} rowid ${row.rowid}`;
}

function describeDbFailure(error: unknown, name: string): Error {
  if (error instanceof UsageError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code === 'SQLITE_NOTADB') return new UsageError(`${name} is not a fail2ban database: it is not an SQLite file (${message})`);
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return new UsageError(`cannot open ${name}: ${message}`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new OperationalError(`${name} stayed locked by fail2ban past the busy timeout (${message}); try again`);
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_IOERR')) {
    return new UsageError(`cannot read ${name} as a fail2ban database: ${message}`);
  }
  return error as Error;
}
