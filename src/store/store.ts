import { accessSync, constants, existsSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { commitsOf, openDatabase, SQLITE_BUSY_WAIT_MS } from './sqlite.js';
import { missing, prepareStoreFile } from './store-file.js';
import { StoreError, StoreMissingError, UsageError } from '../errors.js';
import { shownPath } from '../input/quote.js';
import { migrate, pendingMigrations, readApplied, readMigrations, shippedMigrations, type Migration } from './migrate.js';
import { StoreCopy } from './read-copy.js';
import { BanTable } from './bans.js';
import { SafelistTable } from './safelist.js';
import { RestoreTable } from './restores.js';
import { FleetTable } from './fleet.js';
import { LiveOwedTable } from './live-owed.js';
import { PlanCountTable } from './plan-counts.js';
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
  /**
   * For a command that only reads: the store is opened read-only, so it may be on a read-only file
   * system or in a file this user may not write. Such a store is migrated (written) only when this
   * stickyban needs a newer schema.
   */
  readonly readOnly?: boolean;
}

/** See Store.changeMark. */
export interface ChangeMark {
  readonly others: number;
  readonly own: number;
  readonly bookkeeping: number;
}

/** The SQLite store: the only place that holds SQL. */
export class Store {
  readonly bans: BanTable;
  readonly safelist: SafelistTable;
  readonly restores: RestoreTable;
  readonly fleet: FleetTable;
  readonly planCounts: PlanCountTable;
  readonly liveOwed: LiveOwedTable;
  /** Write transactions committed through this connection (see changeMark), bookkeeping apart. */
  private ownCommits = 0;
  private bookkeepingCommits = 0;

  /** The file at `path` when it was opened, and its write-ahead log: what movedAway compares them with. */
  private readonly opened: Stats | undefined;
  private readonly openedLog: Stats | undefined;

  private constructor(
    readonly db: Database.Database,
    readonly path: string,
    private readonly busyTimeoutMs: number,
    /** The copy read instead of the store (see read-copy.ts), removed on close. */
    private readonly copy?: StoreCopy,
  ) {
    this.opened = statSync(path, { throwIfNoEntry: false });
    this.openedLog = statSync(`${path}-wal`, { throwIfNoEntry: false });
    this.bans = new BanTable(db);
    this.safelist = new SafelistTable(db);
    this.restores = new RestoreTable(db);
    this.fleet = new FleetTable(db);
    this.planCounts = new PlanCountTable(db);
    this.liveOwed = new LiveOwedTable(db);
  }

  /**
   * Why the file at the store's path is no longer the one this connection writes, if it is not:
   * removed, or another put in its place (an admin's `init` after moving the store away). A
   * long-running process (the daemon) would otherwise go on recording into a file no one reads
   * again, and answer every ban as recorded. A stat, a few µs.
   */
  movedAway(): string | undefined {
    let now: Stats | undefined;
    try {
      now = statSync(this.path, { throwIfNoEntry: false });
    } catch (error) {
      // A directory on the way replaced by a file, a loop of links: nothing of ours is there.
      return `the store ${shownPath(this.path)} can no longer be reached (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
    if (now === undefined) return `the store ${shownPath(this.path)} was removed`;
    if (this.opened !== undefined && (now.dev !== this.opened.dev || now.ino !== this.opened.ino)) return `another file was put in the place of the store ${shownPath(this.path)}`;
    // Its log too: this connection's commits go on into the one it holds open, which no other
    // process reads once that is removed (they make another), and a crash loses them.
    if (this.openedLog !== undefined) {
      const log = statSync(`${this.path}-wal`, { throwIfNoEntry: false });
      if (log === undefined || log.dev !== this.openedLog.dev || log.ino !== this.openedLog.ino) return `the store's write-ahead log ${shownPath(`${this.path}-wal`)} was removed or replaced`;
    }
    return undefined;
  }

  /**
   * Opens (with `create`, creating with owner-only permissions if needed) and migrates the store;
   * refuses one where another user could put links (store-file.ts).
   */
  static open(options: StoreOptions): Store {
    const { path } = options;
    prepareStoreFile(path, path, { create: options.create === true });
    const migrations = options.migrationsDir === undefined ? shippedMigrations() : readMigrations(options.migrationsDir);
    if (options.readOnly) {
      const read = Store.openToRead(options, migrations);
      if (read) return read;
      // The store needs migrations this stickyban brings: written first, as by any command.
      try {
        return Store.openToWrite(options, migrations);
      } catch (error) {
        if (!(error instanceof StoreError) || !error.message.startsWith('cannot write')) throw error;
        throw new StoreError(`${error.message.replace(/^cannot write store \S+: /, `store ${shownPath(path)} needs migrations this stickyban brings before it can be read, and cannot be written: `)}`);
      }
    }
    return Store.openToWrite(options, migrations);
  }

  private static openToWrite(options: StoreOptions, migrations: readonly Migration[]): Store {
    const { path } = options;
    let db: Database.Database | undefined;
    try {
      // Only init makes the file: a store removed between the check above and this open would
      // otherwise come back as an empty file (a job of the daemon's, racing an admin's rm).
      db = openDatabase(path, { timeout: options.busyWaitMs ?? SQLITE_BUSY_WAIT_MS, fileMustExist: options.create !== true });
      const opened = db;
      retryWhileBusy(() => refuseForeign(opened, path, options.create === true), options.busyTimeoutMs, commitsOf(opened));
      configure(opened, options.busyTimeoutMs);
      retryWhileBusy(() => migrate(opened, migrations, path), options.busyTimeoutMs, commitsOf(opened));
      return new Store(opened, path, options.busyTimeoutMs);
    } catch (error) {
      db?.close();
      throw describeStoreFailure(error, path);
    }
  }

  /**
   * The store opened read-only; or, when SQLite cannot open it where it is (see read-copy.ts), a
   * copy of it. Undefined when the store itself needs migrations (a copy is migrated as it is ours).
   */
  private static openToRead(options: StoreOptions, migrations: readonly Migration[]): Store | undefined {
    const { path, busyTimeoutMs } = options;
    const timeout = options.busyWaitMs ?? SQLITE_BUSY_WAIT_MS;
    let db: Database.Database | undefined;
    let copy: StoreCopy | undefined;
    try {
      db = openDatabase(path, { readonly: true, fileMustExist: true, timeout });
      try {
        const opened = db;
        retryWhileBusy(() => refuseForeign(opened, path, false), busyTimeoutMs, commitsOf(opened));
      } catch (error) {
        if (!cannotOpenWhereItIs(error, path)) throw error;
        db.close();
        copy = StoreCopy.make(path);
        db = openDatabase(copy.path, { fileMustExist: true, timeout });
        refuseForeign(db, path, false);
        migrate(db, migrations, path);
        return new Store(db, path, busyTimeoutMs, copy);
      }
      const opened = db;
      const pending = retryWhileBusy(() => pendingMigrations(readApplied(opened), migrations, `store ${path}`), busyTimeoutMs, commitsOf(opened));
      if (pending.length > 0) {
        db.close();
        return undefined;
      }
      return new Store(opened, path, busyTimeoutMs);
    } catch (error) {
      db?.close();
      copy?.remove();
      throw describeStoreFailure(error, path);
    }
  }

  /**
   * Where the store's history stands: the commits of other connections (SQLite's data_version),
   * this connection's own (counted here; data_version leaves them out), and this connection's
   * bookkeeping (see writeAsync), which changes nothing a plan reads. Equal marks mean nothing was
   * committed in between. A write transaction that wrote nothing may count as one.
   */
  changeMark(): ChangeMark {
    return { others: commitsOf(this.db)() as number, own: this.ownCommits, bookkeeping: this.bookkeepingCommits };
  }

  /**
   * Inside a write transaction: the mark the store has the moment it commits. No other connection
   * can commit while this one holds the write lock, and this one commits nothing else meanwhile.
   */
  markOnCommit(): ChangeMark {
    return { ...this.changeMark(), own: this.ownCommits + 1 };
  }

  /**
   * Runs `work` in a write transaction taken up front (BEGIN IMMEDIATE), so it never deadlocks on
   * upgrade. `bookkeeping`: as for writeAsync.
   */
  write<T>(work: () => T, kind: 'plan' | 'bookkeeping' = 'plan'): T {
    const attempt = this.attempt(work, kind);
    try {
      return retryWhileBusy(attempt, this.busyTimeoutMs, commitsOf(this.db));
    } catch (error) {
      throw describeStoreFailure(error, this.path);
    }
  }

  /**
   * write() without blocking the thread while the store is busy: for the daemon, whose store is
   * opened with busyWaitMs 0. `signal` gives up the wait (the daemon stopping). `bookkeeping`: the
   * work changes nothing a plan reads (the fleet's cursor), which changeMark counts apart, and
   * losing it to a power cut costs only work done again: it is committed without an fsync of its
   * own (see unsynced).
   */
  async writeAsync<T>(work: () => T, signal?: AbortSignal, kind: 'plan' | 'bookkeeping' = 'plan'): Promise<T> {
    const attempt = this.attempt(work, kind);
    try {
      return await retryWhileBusyAsync(attempt, this.busyTimeoutMs, commitsOf(this.db), signal);
    } catch (error) {
      throw describeStoreFailure(error, this.path);
    }
  }

  /** One try at `work` in a write transaction (BEGIN IMMEDIATE), counted as `kind` once committed. */
  private attempt<T>(work: () => T, kind: 'plan' | 'bookkeeping'): () => T {
    const transaction = this.db.transaction(work);
    return kind === 'bookkeeping' ? () => this.committed(this.unsynced(() => transaction.immediate()), kind) : () => this.committed(transaction.immediate(), kind);
  }

  /**
   * Runs `commit` with synchronous=NORMAL: in WAL mode its commit is not fsynced (a storm's fleet
   * cursor and published marks were 223 of a daemon's 512 fsyncs). The next synced commit (or
   * checkpoint) syncs the WAL up to it, and SQLite recovers a WAL only up to its first frame that
   * is not whole, so a power cut may lose this commit but never one synced after it, nor anything
   * before it. Work safe to lose only: the fleet's marks after bans (sent again, applied again:
   * idempotent; a fleet-wide change commits its position with itself, synced).
   */
  private unsynced<T>(commit: () => T): T {
    // Not prepared once: SQLite applies (and reads) this pragma when the statement is prepared.
    // Already not synced one by one (a bulk catch-up's settings, see bulk.ts): nothing to change.
    if (this.db.pragma('synchronous', { simple: true }) !== FULL) return commit();
    this.db.exec(`PRAGMA synchronous = ${NORMAL}`);
    try {
      return commit();
    } finally {
      this.db.exec(`PRAGMA synchronous = ${FULL}`);
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

  private committed<T>(result: T, kind: 'plan' | 'bookkeeping' = 'plan'): T {
    if (kind === 'bookkeeping') this.bookkeepingCommits++;
    else this.ownCommits++;
    return result;
  }

  /** Moves the WAL's content into the database file and truncates the WAL. */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Copies what the WAL holds into the database file without waiting for anyone (a PASSIVE
   * checkpoint), so that the next commit starts the WAL over from its beginning (SQLite does so
   * when every frame is in the database file and no reader still needs one). The WAL file keeps its
   * size: commits then overwrite it in place rather than grow it. False when a reader or writer of
   * another connection kept some frames from being copied.
   */
  checkpointPassive(): boolean {
    const [outcome] = this.db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    return outcome !== undefined && outcome.busy === 0 && outcome.log === outcome.checkpointed;
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.copy?.remove();
  }
}

/** PRAGMA synchronous values. */
const NORMAL = 1;
const FULL = 2;


/**
 * Another program's database given as --db (fail2ban's, say) is refused before anything is written
 * to it, not even the switch to WAL: its tables and no record of our migrations say it is not ours.
 */
function refuseForeign(db: Database.Database, path: string, create: boolean): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").pluck().all() as string[];
  // An empty file (or an init killed before its first commit) is no store yet: only init makes one,
  // never a read (which would write the schema) nor a ban at a mistyped --db that happens to exist.
  if (tables.length === 0 && !create) throw new StoreMissingError(`no store at ${shownPath(path)}: the file holds no tables; stickyban init creates the store there (or check --db, STICKYBAN_DB and db in the config)`);
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
  if (isBusy(error)) return new StoreError(`store ${shown} is locked by another process (${message})`, 'try again');
  // Gone between the check that it is there and the open (which makes no file: only init does).
  if (code.startsWith('SQLITE_CANTOPEN') && !existsSync(path)) return missing(path);
  if (code.startsWith('SQLITE_CANTOPEN') && !isReadable(path)) return new StoreError(`cannot read store ${shown}: permission denied (run as root, or pass --db)`);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    // Root gets past permissions: what is in the way is the file system, an attribute, or the store itself.
    const why = writeProblem(path) ?? writeProblem(dirname(path));
    return new StoreError(`cannot write store ${shown}: ${why ?? `${message}${process.geteuid?.() === 0 ? '' : ' (run as root, or pass --db)'}`}`);
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(`${shown} is not a usable stickyban store: ${message} (check it with: stickyban doctor)`);
  }
  return new StoreError(`store ${shown}: ${message} (${code})`);
}

/**
 * SQLite cannot open a WAL store without its -shm file, nor make one where it may not write: a
 * store closed cleanly (no -shm, no -wal) on a read-only file system, or in a directory this user
 * may not write.
 */
function cannotOpenWhereItIs(error: unknown, path: string): boolean {
  const code = (error as { code?: string }).code ?? '';
  // SQLITE_READONLY_DIRECTORY where it may not make the -shm file, SQLITE_CANTOPEN on a read-only file system.
  const refused = code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY');
  return refused && isReadable(path) && !existsSync(`${path}-shm`) && writeProblem(dirname(path)) !== undefined;
}

/** Why `path` cannot be written, in a few words; undefined when it can. */
function writeProblem(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return 'read-only file system';
    // access() says EPERM, not EACCES, for a file marked immutable (chattr +i), root or not.
    if (code === 'EPERM') return `${shownPath(path)} is immutable (lsattr shows it; chattr -i ${shownPath(path)})`;
    if (code === 'EACCES') return process.geteuid?.() === 0 ? `permission denied to root on ${shownPath(path)}` : 'permission denied (run as root, or pass --db)';
    return code === 'ENOENT' ? undefined : (error as Error).message;
  }
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
