import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';

let addon: string | undefined;

/**
 * Where better-sqlite3's compiled addon is. Given by path, the package skips its search of a dozen
 * candidate paths (a few milliseconds on every ban hook), and the bundle can include its JavaScript,
 * whose own search would look in the wrong place.
 */
function nativeBinding(): string {
  if (addon) return addon;
  const path = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(path)) throw new StoreError(`the SQLite driver is not built (${path} is missing); run: npm rebuild better-sqlite3`);
  addon = path;
  return path;
}

/** Every SQLite handle stickyban opens: the store, its lock file, a fail2ban database to import. */
export function openDatabase(source: string | Buffer, options: Database.Options = {}): Database.Database {
  return new Database(source, { ...options, nativeBinding: nativeBinding() });
}

/**
 * SQLite's own busy handler sleeps up to 100 ms between attempts, so under a storm of writers (300
 * ban hooks beside a prune) a waiting hook keeps missing the short moments the lock is free. It
 * waits briefly itself; the retry loop (busy.ts) tries again every few milliseconds.
 */
export const SQLITE_BUSY_WAIT_MS = 20;

/** Changes whenever another connection commits: tells a crowded store from a stuck one. */
export function commitsOf(db: Database.Database): () => unknown {
  // Prepared once per connection: the daemon reads it around every commit, and pragma() prepares anew.
  let statement = dataVersions.get(db);
  if (!statement) dataVersions.set(db, (statement = db.prepare('PRAGMA data_version').pluck()));
  const prepared = statement;
  return () => prepared.get();
}

const dataVersions = new WeakMap<Database.Database, Database.Statement>();
