// fail2ban's database (dbfile, usually /var/lib/fail2ban/fail2ban.sqlite3). `bans` is the history,
// one row per ban; `bips` (schema 4, fail2ban ≥ 0.11) keeps the latest ban per (ip, jail) and
// outlives the purge of `bans` for permanent bans, so rows found only in `bips` are read too.
// `bancount` is not made into events: it counts an address's bans across all jails when
// bantime.overalljails is on, and events made up for purged rows would change identity as rows
// are purged, so a re-import would add them again. min_bans sees the rows the database still holds.
// fail2ban writes the file with synchronous=OFF while it runs: it is opened read-only, with a busy
// timeout, and copied aside in one short read, so fail2ban is not held up while the rows are imported.

import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { tryParseNetwork, isParseFailure } from '../address/parse.js';
import { OperationalError, UsageError } from '../errors.js';
import { quote } from '../input/quote.js';
import { openDatabase } from '../store/sqlite.js';
import { banTimeOf, bantimeOf, textOf } from '../input/ban-record.js';
import { parseJail } from '../input/names.js';
import { checkSchema, type Fail2banSchema } from './fail2ban-schema.js';
import type { LineOutcome } from './outcome.js';

export interface Fail2banRow {
  readonly table: 'bans' | 'bips';
  readonly rowid: number;
  readonly jail: unknown;
  readonly ip: unknown;
  readonly timeofban: unknown;
  readonly bantime: unknown;
}

/** Time one row may take to be found; a real table gives its next row in microseconds. */
const STEP_LIMIT_MS = 10_000;

/**
 * A fail2ban database, read from a private copy that nobody else writes: rows are streamed from it
 * (memory holds one at a time), and --strict reads exactly the same rows twice.
 */
export class Fail2banDb {
  /** Rows to read, for the progress display. */
  readonly count: number;
  private readonly statements: Database.Statement[];
  /** When the row being looked for was asked for (see STEP_LIMIT_MS). */
  private asked = Date.now();

  private constructor(
    private readonly db: Database.Database,
    readonly name: string,
    schema: Fail2banSchema,
    stepLimitMs: number,
  ) {
    // A time limit inside SQLite's own loops: called for every row a query visits, it ends the
    // query once one row has taken too long to find. The schema check rules out what could take
    // that long; this is the bound should anything still do.
    db.function('stickyban_in_time', { deterministic: false }, () => {
      if (Date.now() - this.asked > stepLimitMs) throw new UsageError(`${name} took more than ${stepLimitMs / 1000} s to give one row: is it fail2ban's database?`);
      return 1;
    });
    const bantime = schema.bantime ? 'bantime' : 'NULL';
    const tables = [{ table: 'bans', bantime, only: [] as string[] }];
    if (schema.bips) {
      // A key of its own on the private copy, under a name the file cannot hold already, and used
      // by force: without one (fail2ban makes it, a database made another way may not) every bips
      // row would scan the whole of bans. A file that held an index of that name on something else
      // (CREATE INDEX IF NOT EXISTS then made none), or statistics that steered SQLite to a worse
      // index, made an import of 40k rows take minutes, of more rows hours.
      const key = `stickyban_import_key_${randomBytes(8).toString('hex')}`;
      db.exec(`CREATE INDEX ${key} ON bans (jail, ip, timeofban)`);
      const unseen = `NOT EXISTS (SELECT 1 FROM bans INDEXED BY ${key} WHERE bans.jail = bips.jail AND bans.ip = bips.ip AND bans.timeofban = bips.timeofban)`;
      tables.push({ table: 'bips', bantime: 'bantime', only: [unseen] });
    }
    this.statements = tables.map(({ table, bantime, only }) =>
      db.prepare(`SELECT '${table}' AS "table", rowid, jail, ip, timeofban, ${bantime} AS bantime FROM ${table} WHERE ${['stickyban_in_time()', ...only].join(' AND ')} ORDER BY rowid`),
    );
    this.count = tables.reduce((sum, { table, only }) => sum + (db.prepare(`SELECT count(*) FROM ${table}${only.length > 0 ? ` WHERE ${only.join(' AND ')}` : ''}`).pluck().get() as number), 0);
  }

  /**
   * The database at `path` (fail2ban's own, possibly in use): its schema checked, then copied to
   * `copy` in one read (VACUUM INTO), so fail2ban, which writes it with synchronous=OFF while it
   * runs, waits no longer than the copy takes, however long the import.
   */
  static copied(path: string, copy: string, name: string, busyTimeoutMs: number): Fail2banDb {
    let source: Database.Database | undefined;
    try {
      source = openDatabase(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
      checkSchema(source, name);
      source.prepare('VACUUM INTO ?').run(copy);
    } catch (error) {
      throw describeDbFailure(error, name);
    } finally {
      source?.close();
    }
    return Fail2banDb.open(copy, name);
  }

  /** A private copy, made by copied() or from stdin. */
  static open(copy: string, name: string, stepLimitMs = STEP_LIMIT_MS): Fail2banDb {
    let db: Database.Database | undefined;
    try {
      db = openDatabase(copy, { fileMustExist: true });
      // A copy nobody else opens, removed after the import: no journal beside it.
      db.pragma('journal_mode = OFF');
      return new Fail2banDb(db, name, checkSchema(db, name), stepLimitMs);
    } catch (error) {
      db?.close();
      throw describeDbFailure(error, name);
    }
  }

  /** Every ban row of `bans`, then those of `bips` that `bans` does not hold, each in rowid order. */
  *rows(): Generator<Fail2banRow> {
    for (const statement of this.statements) {
      this.asked = Date.now();
      try {
        for (const row of statement.iterate() as IterableIterator<Fail2banRow>) {
          yield row;
          this.asked = Date.now();
        }
      } catch (error) {
        throw describeDbFailure(error, this.name);
      }
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
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
  // The schema passed its check, so what SQLite cannot do with it comes from the file: a collation
  // or function of another program, a table where the import key goes.
  if (code === 'SQLITE_ERROR' || code.startsWith('SQLITE_ERROR_')) return new UsageError(`cannot read ${name} as a fail2ban database: ${message}`);
  return error as Error;
}
