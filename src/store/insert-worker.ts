// The insert thread's side (see insert-thread.ts): its own connection to a store the main thread has
// opened and migrated already, one transaction per batch, written as an import writes (commits not
// synced one by one, checkpoints spaced out: bulk.ts says why). Each answer is the count of new
// events, or the error's message. A bulk load into a store with no bans goes without the block
// index meanwhile (block-index.ts): the thread drops it first and builds it at the end.

import { parentPort, workerData } from 'node:worker_threads';
import { BanTable } from './bans.js';
import { buildBlockIndex, dropBlockIndex } from './block-index.js';
import { hasReplays, packedRows, unpackBans, type PackedBans } from './ban-pack.js';
import { BulkWrites } from './bulk.js';
import { retryWhileBusy } from './busy.js';
import { commitsOf, openDatabase, SQLITE_BUSY_WAIT_MS } from './sqlite.js';

/** `now`: the caller's clock, which judges replays (BanTable.insertCaughtUp). */
export type InsertRequest = { readonly insert: PackedBans; readonly now: number } | { readonly blockIndex: 'drop' | 'build' } | { readonly finish: true };
export type InsertAnswer = { readonly inserted: number } | { readonly done: true } | { readonly error: string };

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const port = parentPort!;
/** The thread's connection, opened at its first request. */
interface Connection {
  readonly db: ReturnType<typeof openDatabase>;
  readonly bulk: BulkWrites;
  readonly bans: BanTable;
  /** Runs `work` in a write transaction. */
  readonly write: <T>(work: () => T) => T;
}
let connection: Connection | undefined;

function open(): Connection {
  const db = openDatabase(path, { fileMustExist: true, timeout: SQLITE_BUSY_WAIT_MS });
  const transaction = db.transaction((work: () => unknown) => work());
  // IMMEDIATE: the write lock is waited for at BEGIN, not refused mid-way; as every writer of the
  // store waits (busy.ts), so that a storm of bans beside it is a crowd, not a timeout.
  const write = <T>(work: () => T): T => retryWhileBusy(() => transaction.immediate(work) as T, busyTimeoutMs, commitsOf(db));
  return { db, bulk: new BulkWrites(db), bans: new BanTable(db), write };
}

port.on('message', (request: InsertRequest) => {
  let answer: InsertAnswer;
  try {
    const { db, bulk, bans, write } = (connection ??= open());
    if ('insert' in request) {
      const packed = request.insert;
      // Replays are judged one by one (insertCaughtUp); a batch without one, nearly every batch of a log, goes in as it came.
      answer = { inserted: write(() => (hasReplays(packed) ? bans.insertCaughtUp(unpackBans(packed), request.now) : bans.insertRows(packedRows(packed)))) };
    } else if ('blockIndex' in request) {
      write(() => (request.blockIndex === 'drop' ? dropBlockIndex(db) : buildBlockIndex(db)));
      answer = { done: true };
    } else {
      // Everything written made durable and moved out of the WAL, also when this thread wrote
      // nothing (a restore owed by a catch-up cut short: its WAL is still there). Truncating it
      // waits for the readers (a restore beside it) to let go: SQLite's own wait, the whole busy timeout.
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      bulk.finish();
      db.close();
      answer = { done: true };
    }
  } catch (error) {
    answer = { error: (error as Error).message };
  }
  port.postMessage(answer);
});
