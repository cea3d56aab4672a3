// The insert thread's side (see insert-thread.ts): its own connection to a store the main thread has
// opened and migrated already, one transaction per batch, written as an import writes (commits not
// synced one by one, checkpoints spaced out: bulk.ts says why). Each answer is the count of new
// events, or the error's message.

import { parentPort, workerData } from 'node:worker_threads';
import { BanTable } from './bans.js';
import { unpackBans, type PackedBans } from './ban-pack.js';
import { BulkWrites } from './bulk.js';
import { openDatabase } from './sqlite.js';

export type InsertRequest = { readonly insert: PackedBans } | { readonly finish: true };
export type InsertAnswer = { readonly inserted: number } | { readonly finished: true } | { readonly error: string };

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const port = parentPort!;
let db: ReturnType<typeof openDatabase> | undefined;
let bulk: BulkWrites | undefined;
let insert: ((packed: PackedBans) => number) | undefined;

function open(): (packed: PackedBans) => number {
  db = openDatabase(path, { fileMustExist: true, timeout: busyTimeoutMs });
  bulk = new BulkWrites(db);
  const bans = new BanTable(db);
  const write = db.transaction((packed: PackedBans) => bans.insertCaughtUp(unpackBans(packed)));
  // IMMEDIATE: the write lock is waited for at BEGIN, with the busy timeout, not refused mid-way.
  return (packed) => write.immediate(packed);
}

port.on('message', (request: InsertRequest) => {
  let answer: InsertAnswer;
  try {
    if ('insert' in request) {
      insert ??= open();
      answer = { inserted: insert(request.insert) };
    } else {
      // Everything written made durable and moved out of the WAL.
      bulk?.finish();
      db?.close();
      answer = { finished: true };
    }
  } catch (error) {
    answer = { error: (error as Error).message };
  }
  port.postMessage(answer);
});
