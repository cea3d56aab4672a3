// Restore, unban, safelist changes and prune must not interleave their live-set updates (a restore
// swapping in a set planned before a safelist change would undo it). They serialize on an exclusive
// lock of a small SQLite file beside the store: SQLite's file locks are released by the kernel when
// a process dies, so a killed restore never leaves a stale lock behind. The ban hook does not take
// it; restore catches up on bans recorded while it ran instead.

import type Database from 'better-sqlite3';
import { openDatabase } from './sqlite.js';
import { StoreError } from '../errors.js';
import { createPrivately, describeStoreFailure, isBusy } from './store.js';

const WAIT_MS = 120_000;

export class ApplyLock {
  private constructor(private readonly db: Database.Database) {}

  static acquire(dbPath: string, waitMs: number = WAIT_MS): ApplyLock {
    const path = `${dbPath}.lock`;
    let db: Database.Database | undefined;
    try {
      createPrivately(path);
      db = openDatabase(path, { timeout: waitMs });
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      db?.close();
      if (isBusy(error)) {
        throw new StoreError(`another stickyban (restore, prune or an admin command) held ${path} for ${Math.round(waitMs / 1000)} s; try again`);
      }
      throw describeStoreFailure(error, path);
    }
    return new ApplyLock(db);
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

/** Runs `work` holding the lock. */
export async function withApplyLock<T>(dbPath: string, work: () => Promise<T>): Promise<T> {
  const lock = ApplyLock.acquire(dbPath);
  try {
    return await work();
  } finally {
    lock.release();
  }
}
