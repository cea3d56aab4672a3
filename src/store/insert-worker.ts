// The insert thread's side (see insert-thread.ts): its own connection to a store the main thread has
// opened and migrated already, one transaction per batch, written as an import writes (commits not
// synced one by one, checkpoints spaced out: bulk.ts says why). Each answer is the count of new
// events, or the error's message.

import { parentPort, workerData } from 'node:worker_threads';
import { BanTable } from './bans.js';
import { unpackBans, type PackedBans } from './ban-pack.js';
import { BulkWrites } from './bulk.js';
import { retryWhileBusy } from './busy.js';
import { commitsOf, openDatabase, SQLITE_BUSY_WAIT_MS } from './sqlite.js';

/** `now`: the caller's clock, which judges replays (BanTable.insertCaughtUp). */
export type InsertRequest = { readonly insert: PackedBans; readonly now: number } | { readonly finish: true };
export type InsertAnswer = { readonly inserted: number } | { readonly finished: true } | { readonly error: string };

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const port = parentPort!;
let db: ReturnType<typeof openDatabase> | undefined;
let bulk: BulkWrites | undefined;
let insert: ((packed: PackedBans, now: number) => number) | undefined;

function open(): (packed: PackedBans, now: number) => number {
  const opened = openDatabase(path, { fileMustExist: true, timeout: SQLITE_BUSY_WAIT_MS });
  db = opened;
  bulk = new BulkWrites(opened);
  const bans = new BanTable(opened);
  const write = opened.transaction((packed: PackedBans, now: number) => bans.insertCaughtUp(unpackBans(packed), now));
  // IMMEDIATE: the write lock is waited for at BEGIN, not refused mid-way; as every writer of the
  // store waits (busy.ts), so that a storm of bans beside it is a crowd, not a timeout.
  return (packed, now) => retryWhileBusy(() => write.immediate(packed, now), busyTimeoutMs, commitsOf(opened));
}

port.on('message', (request: InsertRequest) => {
  let answer: InsertAnswer;
  try {
    if ('insert' in request) {
      insert ??= open();
      answer = { inserted: insert(request.insert, request.now) };
    } else {
      // Everything written made durable and moved out of the WAL, also when this thread wrote
      // nothing (a restore owed by a catch-up cut short: its WAL is still there). Truncating it
      // waits for the readers (a restore beside it) to let go: SQLite's own wait, the whole busy timeout.
      insert ??= open();
      db!.pragma(`busy_timeout = ${busyTimeoutMs}`);
      bulk!.finish();
      db!.close();
      answer = { finished: true };
    }
  } catch (error) {
    answer = { error: (error as Error).message };
  }
  port.postMessage(answer);
});
