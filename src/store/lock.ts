// Restore, unban, safelist changes and prune must not interleave their live-set updates (a restore
// swapping in a set planned before a safelist change would undo it). They serialize on an exclusive
// lock of a small SQLite file beside the store: SQLite's file locks are released by the kernel when
// a process dies, so a killed restore never leaves a stale lock behind. The ban hook does not take
// it; restore catches up on bans recorded while it ran instead.
//
// A second lock of the same kind keeps reads of the fleet log into the store apart (see LockKind).
//
// The wait for the lock is a timer loop, not SQLite's busy handler: a command loses nothing by it,
// and the daemon's loop goes on serving while it waits.

import type Database from 'better-sqlite3';
import { openDatabase } from './sqlite.js';
import { LockHeldError } from '../errors.js';
import { isBusy, sleep } from './busy.js';
import { describeStoreFailure } from './store.js';
import { prepareStoreFile } from './store-file.js';
import { shownPath } from '../input/quote.js';

const WAIT_MS = 120_000;
/** Between attempts: a restore holds the lock for seconds, an unban for milliseconds. */
const POLL_MS = 10;

/**
 * What a lock keeps apart: live-set changes (the apply lock, above), or reads of the fleet log into
 * this store (two at once, a `fleet sync` beside the daemon, would store their positions over each
 * other's, and one going back makes a lift read again).
 */
export type LockKind = 'apply' | 'pull' | 'daemon';
const LOCKS: Record<LockKind, { readonly suffix: string; readonly holders: string }> = {
  apply: { suffix: '.lock', holders: 'restore, prune or an admin command' },
  pull: { suffix: '.pull.lock', holders: 'fleet sync or the daemon, reading the fleet log' },
  // Held for a daemon's life: two on one store (each with a socket of its own) restored their
  // backends over each other's, without end.
  daemon: { suffix: '.daemon.lock', holders: 'a daemon' },
};

/** The lock files beside a store: its path with one of these added. */
export const LOCK_SUFFIXES = Object.values(LOCKS).map((lock) => lock.suffix);

export interface LockOptions {
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
  readonly kind?: LockKind;
}

export class ApplyLock {
  private constructor(private readonly db: Database.Database) {}

  /** Waits up to `waitMs` for the lock; `signal` gives up the wait (a daemon stopping), with its reason. */
  static async acquire(dbPath: string, options: LockOptions = {}): Promise<ApplyLock> {
    const lock = LOCKS[options.kind ?? 'apply'];
    const path = `${dbPath}${lock.suffix}`;
    const waitMs = options.waitMs ?? WAIT_MS;
    let db: Database.Database | undefined;
    try {
      // The lock file is ours to make beside a store that exists (its directory is checked again).
      prepareStoreFile(path, dbPath, { create: true });
      db = openDatabase(path, { timeout: 0 });
      const deadline = Date.now() + waitMs;
      let journalInMemory = false;
      for (;;) {
        try {
          // Nothing is ever written here: without this, each taking of the lock made a journal file
          // and deleted it (the daemon takes the pull lock at every sync, tens a second in a storm).
          // Asked in the loop: it reads the file, which a holder of the lock keeps others from.
          if (!journalInMemory) {
            db.pragma('journal_mode = MEMORY');
            journalInMemory = true;
          }
          db.exec('BEGIN EXCLUSIVE');
          return new ApplyLock(db);
        } catch (error) {
          if (!isBusy(error) || Date.now() >= deadline) throw error;
        }
        await sleep(POLL_MS, options.signal);
      }
    } catch (error) {
      db?.close();
      if (isBusy(error)) {
        const waited = waitMs >= 1000 ? ` for ${Math.round(waitMs / 1000)} s` : '';
        throw new LockHeldError(`another stickyban (${lock.holders}) held ${shownPath(path)}${waited}`, 'try again');
      }
      throw describeStoreFailure(error, path);
    }
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

/** Runs `work` holding the lock. */
export async function withApplyLock<T>(dbPath: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = await ApplyLock.acquire(dbPath, options);
  try {
    return await work();
  } finally {
    lock.release();
  }
}

/** Runs `work` holding the pull lock (see LockKind). */
export function withPullLock<T>(dbPath: string, work: () => Promise<T>, options: Omit<LockOptions, 'kind'> = {}): Promise<T> {
  return withApplyLock(dbPath, work, { ...options, kind: 'pull' });
}

/** The pull lock if nobody holds it, without waiting; undefined if somebody does. */
export async function tryPullLock(dbPath: string): Promise<ApplyLock | undefined> {
  try {
    return await ApplyLock.acquire(dbPath, { kind: 'pull', waitMs: 0 });
  } catch (error) {
    if (error instanceof LockHeldError) return undefined;
    throw error;
  }
}
