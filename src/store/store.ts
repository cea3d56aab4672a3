import { accessSync, constants } from 'node:fs';
import type Database from 'better-sqlite3';
import { openDatabase } from './sqlite.js';
import { prepareStoreFile } from './store-file.js';
import { StoreError, UsageError } from '../errors.js';
import { shownPath } from '../input/quote.js';
import { migrate, readMigrations, shippedMigrations } from './migrate.js';
import { BanTable } from './bans.js';
import { SafelistTable } from './safelist.js';
import { RestoreTable } from './restores.js';
import { FleetTable } from './fleet.js';
import { isBusy, retryWhileBusy, retryWhileBusyAsync } from './busy.js';

export interface StoreOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly migrationsDir?: string;
  /**
   * How long SQLite itself waits, blocking the thread, before an attempt reports the store busy:
   * a few ms for commands (see SQLITE_BUSY_WAIT_MS), 0 for the daemon, which waits with timers
   * (writeAsync).
   */
  readonly busyWaitMs?: number;
  /**
   * Make the store when it is missing: `stickyban init` (and tests). Every other opening refuses a
   * missing store (StoreMissingError): a restore that made one at a mistyped path would load an
   * empty blocklist.
   */
  readonly create?: boolean;
}

/** The SQLite store: the only place that holds SQL. */
export class Store {
  readonly bans: BanTable;
  readonly safelist: SafelistTable;
  readonly restores: RestoreTable;
  readonly fleet: FleetTable;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    this.bans = new BanTable(db);
    this.safelist = new SafelistTable(db);
    this.restores = new RestoreTable(db);
    this.fleet = new FleetTable(db);
  }

  /**
   * Opens (with `create`, creating with owner-only permissions if needed) and migrates the store;
   * refuses one where another user could put links (store-file.ts).
   */
  static open(options: StoreOptions): Store {
    const { path } = options;
    prepareStoreFile(path, path, { create: options.create === true });
    let db: Database.Database | undefined;
    try {
      db = openDatabase(path, { timeout: options.busyWaitMs ?? SQLITE_BUSY_WAIT_MS });
      const opened = db;
      retryWhileBusy(() => refuseForeign(opened, path), options.busyTimeoutMs, commitsOf(opened));
      configure(opened, options.busyTimeoutMs);
      const migrations = options.migrationsDir === undefined ? shippedMigrations() : readMigrations(options.migrationsDir);
      retryWhileBusy(() => migrate(opened, migrations, path), options.busyTimeoutMs, commitsOf(opened));
      return new Store(opened, path, options.busyTimeoutMs);
    } catch (error) {
      db?.close();
      throw describeStoreFailure(error, path);
    }
  }

  /** Runs `work` in a write transaction taken up front (BEGIN IMMEDIATE), so it never deadlocks on upgrade. */
  write<T>(work: () => T): T {
    try {
      return retryWhileBusy(() => this.db.transaction(work).immediate(), this.busyTimeoutMs, commitsOf(this.db));
    } catch (error) {
      throw describeStoreFailure(error, this.path);
    }
  }

  /**
   * write() without blocking the thread while the store is busy: for the daemon, whose store is
   * opened with busyWaitMs 0. `signal` gives up the wait (the daemon stopping).
   */
  async writeAsync<T>(work: () => T, signal?: AbortSignal): Promise<T> {
    try {
      return await retryWhileBusyAsync(() => this.db.transaction(work).immediate(), this.busyTimeoutMs, commitsOf(this.db), signal);
    } catch (error) {
      throw describeStoreFailure(error, this.path);
    }
  }

  /** Runs `work` on one consistent snapshot. */
  read<T>(work: () => T): T {
    try {
      return retryWhileBusy(() => this.db.transaction(work).deferred(), this.busyTimeoutMs, commitsOf(this.db));
    } catch (error) {
      throw describeStoreFailure(error, this.path);
    }
  }

  /**
   * read() for work that waits in between: a listing of millions written to a slow reader (a pager,
   * a pipe to gzip) waits for it page by page instead of holding what it has read. The snapshot is
   * taken at once and kept until `work` ends; meanwhile nothing else may use this connection, and
   * the WAL cannot be checkpointed past the snapshot (writers go on).
   */
  async readAsync<T>(work: () => Promise<T>): Promise<T> {
    try {
      retryWhileBusy(() => this.beginSnapshot(), this.busyTimeoutMs, commitsOf(this.db));
    } catch (error) {
      throw describeStoreFailure(error, this.path);
    }
    try {
      const result = await work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw describeStoreFailure(error, this.path);
    }
  }

  /** A read transaction with its snapshot taken: BEGIN alone takes none until the first read. */
  private beginSnapshot(): void {
    this.db.exec('BEGIN');
    try {
      this.db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Moves the WAL's content into the database file and truncates the WAL. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/**
 * SQLite's own busy handler sleeps up to 100 ms between attempts, so under a storm of writers (300
 * ban hooks beside a prune) a waiting hook keeps missing the short moments the lock is free. It
 * waits briefly itself; the retry loop (busy.ts) tries again every few milliseconds.
 */
const SQLITE_BUSY_WAIT_MS = 20;

/** Changes whenever another connection commits: tells a crowded store from a stuck one. */
function commitsOf(db: Database.Database): () => unknown {
  return () => db.pragma('data_version', { simple: true });
}

/**
 * Another program's database given as --db (fail2ban's, say) is refused before anything is written
 * to it, not even the switch to WAL: its tables and no record of our migrations say it is not ours.
 */
function refuseForeign(db: Database.Database, path: string): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  if (tables.length === 0 || (tables.includes('schema_migrations') && isOurMigrationTable(db))) return;
  const listed = tables.length > 5 ? `${tables.slice(0, 5).join(', ')}, …` : tables.join(', ');
  throw new UsageError(`${shownPath(path)} is not a stickyban store: it is another program's SQLite database (tables ${listed}); give --db a path of its own`);
}

/** Rails, Ecto and golang-migrate keep a schema_migrations table too (version, dirty, inserted_at); ours has name and checksum. */
function isOurMigrationTable(db: Database.Database): boolean {
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('schema_migrations') as string[];
  return columns.includes('name') && columns.includes('checksum');
}

function configure(db: Database.Database, busyTimeoutMs: number): void {
  // Switching a new database to WAL needs a moment of exclusive access; when hundreds of hooks meet
  // a fresh store at once, SQLite may report BUSY here without using the busy handler.
  retryWhileBusy(() => db.pragma('journal_mode = WAL'), busyTimeoutMs, commitsOf(db));
  // FULL: a ban the hook reported as recorded survives a power cut.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}


/** SQLite's messages are terse; say which store and what to do. */
export function describeStoreFailure(error: unknown, path: string): Error {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: string }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return error as Error;
  const message = (error as Error).message;
  const shown = shownPath(path);
  if (isBusy(error)) return new StoreError(`store ${shown} is locked by another process (${message}); try again`);
  if (code.startsWith('SQLITE_CANTOPEN') && !isReadable(path)) return new StoreError(`cannot read store ${shown}: permission denied (run as root, or pass --db)`);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    return new StoreError(`cannot write store ${shown}: ${message} (run as root, or pass --db)`);
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(`${shown} is not a usable stickyban store: ${message} (check it with: stickyban doctor)`);
  }
  return new StoreError(`store ${shown}: ${message} (${code})`);
}

/** SQLite says only that it cannot open the file; a store this user may not read is the usual reason. */
function isReadable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
