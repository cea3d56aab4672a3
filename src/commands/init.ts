// `stickyban init`: the one command that creates the store (the install runs it). Every other
// command refuses a missing store: a restore or a ban hook that made one at a mistyped --db would
// record into, and load, an empty blocklist.

import { statSync } from 'node:fs';
import { Store } from '../store/store.js';
import { quote, shownPath } from '../input/quote.js';
import type { Context } from './context.js';
import { foldSpool } from './open-store.js';
import { isMissing } from '../files/is-missing.js';
import { OperationalError, UsageError } from '../errors.js';
import { SQLITE_SIDECARS } from '../files/private-temp.js';
import { LOCK_SUFFIXES } from '../store/lock.js';
import { SPOOL_SUFFIX } from '../store/spool.js';

/**
 * Creates the store (0600 in a 0700 directory) and applies the migrations; on a store that is
 * there, only the migrations. Folds in what ban hooks spooled while it was missing.
 */
export async function init(ctx: Context): Promise<void> {
  const { db } = ctx.config;
  // An empty file is no store yet (store-file.ts): made one here, it is created as much as a missing one.
  const made = isMissing(db) || statSync(db).size === 0;
  if (made) {
    refuseBesideStore(db);
    refuseOrphanedLog(db);
  }
  const store = Store.open({ path: db, busyTimeoutMs: ctx.config.busyTimeoutMs, create: true });
  try {
    await foldSpool(ctx, store);
  } finally {
    store.close();
  }
  ctx.out.info(made ? `created the store ${shownPath(db)}` : `the store ${shownPath(db)} is there already; nothing to create`);
}

/** What SQLite and stickyban keep beside a store, by the suffix of its name. */
const BESIDE_STORE = [...SQLITE_SIDECARS, ...LOCK_SUFFIXES, SPOOL_SUFFIX];

/**
 * A new store in a file another store keeps beside it (its empty log, a lock): made a store, it
 * would take that file's place (another store's empty -wal was made one).
 */
function refuseBesideStore(db: string): void {
  const suffix = BESIDE_STORE.find((end) => db.endsWith(end) && !isMissing(db.slice(0, -end.length)));
  if (suffix === undefined) return;
  throw new UsageError(`invalid --db ${quote(db)}: it is the ${suffix} file of the store ${shownPath(db.slice(0, -suffix.length))}; expected a store's own path`);
}

/**
 * A new store where another one's write-ahead log is still there: SQLite would take that log as the
 * new store's, and the bans in it (a store moved away without it while the daemon ran) were lost,
 * the new store left without tables.
 */
function refuseOrphanedLog(db: string): void {
  const left = ['-wal', '-shm'].map((suffix) => `${db}${suffix}`).filter((path) => !isMissing(path));
  if (left.length === 0) return;
  throw new OperationalError(
    `${left.map((path) => shownPath(path)).join(' and ')} of another store ${left.length > 1 ? 'are' : 'is'} where the new store goes (a store moved away without its log, perhaps while the daemon ran): stop what uses it, then move ${left.length > 1 ? 'them' : 'it'} beside that store (or remove ${left.length > 1 ? 'them' : 'it'} if that store is gone), and run init again`,
  );
}
