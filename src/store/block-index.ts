// The store's block index (bans_by_block, made by migrations 0001 and 0003), which a bootstrap goes
// without while it loads. A new host's first sync writes a million bans in log order: each insert
// into this index then lands on a page of its own (the log's addresses are all over the space), and
// kept up row by row it cost ~13 s of a 1M-event bootstrap, ~4 s even with every batch sorted (the
// uuid index then paying instead). Built once from the loaded table (a sort) it costs ~2 s. Without
// it nothing is wrong, only slower: the planner's reads scan the table.
//
// The index is dropped only under the pull lock, by a bulk catch-up into a store that held no bans;
// one cut short (killed) leaves it dropped, so whoever next holds the pull lock, or a restore that
// finds it free, builds it again (repairBlockIndex).

import type Database from 'better-sqlite3';
import { tryPullLock } from './lock.js';
import type { Store } from './store.js';

const NAME = 'bans_by_block';

/** As the migrations left it (a test compares the two). */
export const BLOCK_INDEX_COLUMNS = 'family, first, last, lifted_at, jail, banned_at, restored, source, bantime';

export function hasBlockIndex(db: Database.Database): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(NAME) !== undefined;
}

export function dropBlockIndex(db: Database.Database): void {
  db.exec(`DROP INDEX IF EXISTS ${NAME}`);
}

/** Builds the index if it is missing; true when it did. */
export function buildBlockIndex(db: Database.Database): boolean {
  if (hasBlockIndex(db)) return false;
  db.exec(`CREATE INDEX ${NAME} ON bans (${BLOCK_INDEX_COLUMNS})`);
  return true;
}

/**
 * The index built again if a bootstrap cut short left it dropped, unless a pull holds the store
 * now (it may be one loading without it); true when it was built. Costs a read of the schema.
 */
export async function repairBlockIndex(store: Store): Promise<boolean> {
  if (store.read(() => hasBlockIndex(store.db))) return false;
  const lock = await tryPullLock(store.path);
  if (!lock) return false;
  try {
    return store.write(() => buildBlockIndex(store.db), 'bookkeeping');
  } finally {
    lock.release();
  }
}
