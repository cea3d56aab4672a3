// Bans inserted by a thread of their own, while the main thread goes on reading what comes next: a
// fleet bootstrap reads a million events from PostgreSQL (~3 s of this thread's time) and inserts
// them (~5 s of SQLite's), and one after the other they left a core idle (on the 2-core VM, 1M
// events: `fleet sync` 15.1 -> ~11.5 s). Batches go in order, one transaction each; an answer says
// the batch is committed. The thread writes as an import does (bulk.ts) and checkpoints at finish().

import { Worker } from 'node:worker_threads';
import { packBans } from './ban-pack.js';
import type { BanEvent } from './bans.js';
import type { InsertAnswer, InsertRequest } from './insert-worker.js';

export class InsertThread {
  private readonly waiting: Array<{ resolve: (answer: InsertAnswer) => void; reject: (error: Error) => void }> = [];
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (answer: InsertAnswer) => this.waiting.shift()?.resolve(answer));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the insert thread ended (exit code ${code})`)));
  }

  /** A thread writing to the store at `path` (opened and migrated already by this process). */
  static start(path: string, busyTimeoutMs: number): InsertThread {
    const workerData = { path, busyTimeoutMs };
    // Built, the worker is a bundle beside this one; from the sources (tests), TypeScript through tsx.
    if (import.meta.url.endsWith('.cjs')) return new InsertThread(new Worker(new URL('./stickyban-insert-worker.cjs', import.meta.url), { workerData }));
    // tsx registered in the thread (a worker does not inherit its parent's loader); code given as
    // text resolves packages from the working directory: the project's, where tests run.
    const source = new URL('./insert-worker.ts', import.meta.url).href;
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
    return new InsertThread(new Worker(boot, { eval: true, workerData }));
  }

  /** Inserts the events in one transaction; how many were new (as BanTable.insertCaughtUp, at `now`). */
  async insert(events: readonly BanEvent[], now: number): Promise<number> {
    const packed = packBans(events);
    const answer = await this.ask({ insert: packed, now }, [packed.data]);
    if ('error' in answer) throw new Error(`the insert thread: ${answer.error}`);
    return 'inserted' in answer ? answer.inserted : 0;
  }

  /** Drops the store's block index (a load into a store with no bans), or builds it if missing (block-index.ts). */
  async blockIndex(action: 'drop' | 'build'): Promise<void> {
    const answer = await this.ask({ blockIndex: action });
    if ('error' in answer) throw new Error(`the insert thread: ${answer.error}`);
  }

  /** Checkpoints the store, closes the thread's connection and ends the thread. */
  async finish(): Promise<void> {
    const answer = await this.ask({ finish: true });
    await this.worker.terminate();
    if ('error' in answer) throw new Error(`the insert thread: ${answer.error}`);
  }

  /** Ends the thread at once (a failed pull): what it committed stays, what it was given may not. */
  async stop(): Promise<void> {
    await this.worker.terminate();
  }

  private ask(request: InsertRequest, transfer: ArrayBuffer[] = []): Promise<InsertAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(request, transfer);
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}
