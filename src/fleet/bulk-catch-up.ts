// The store's side of a bulk catch-up (a host far behind, or new), for the command and the daemon
// alike: its bans are inserted by a thread of their own (store/insert-thread.ts), so neither the
// pages read meanwhile nor, in the daemon, the socket, the heal and the fleet's wake-ups wait for
// SQLite. This connection's own commits meanwhile (the position after each batch, the daemon's bans)
// do not checkpoint the thread's pages in its stead; a command's are not synced one by one either
// (store/bulk.ts says why).

import { compareNetworks } from '../address/network.js';
import type { BanEvent } from '../store/bans.js';
import { BulkWrites } from '../store/bulk.js';
import { InsertThread } from '../store/insert-thread.js';
import type { Store } from '../store/store.js';

export interface BulkCatchUpOptions {
  /** This connection's commits stay synced one by one: the daemon answers a ban as recorded once committed. */
  readonly durable: boolean;
  /**
   * The daemon's: the thread's transactions hold at most this many bans. Between two, the store is
   * free for the daemon's own writes, which try again every few ms: a batch in one transaction
   * (~0.5 s) kept the daemon's bans waiting, and for up to 3 s as one batch followed another.
   */
  readonly rowsPerTransaction?: number;
  /**
   * The command's: into a store that holds no bans (a new host), load without the block index and
   * build it at the end (store/block-index.ts). Not the daemon's: the bans it answers meanwhile
   * would each scan the table to be planned, and building the index holds the store for seconds.
   */
  readonly indexAfterIntoEmpty?: boolean;
}

export class BulkCatchUp {
  private thread: InsertThread | undefined;
  private writes: BulkWrites | undefined;
  /** Decided at the first batch: loading without the block index, which is still to build. */
  private withoutIndex: boolean | undefined;

  constructor(
    private readonly store: Store,
    private readonly busyTimeoutMs: number,
    private readonly options: BulkCatchUpOptions,
  ) {}

  /** Records the events (replays judged at `now`); resolves once they are committed. */
  async insert(events: readonly BanEvent[], now: number): Promise<void> {
    this.writes ??= new BulkWrites(this.store.db, { durable: this.options.durable, checkpoints: false });
    // Kept here: a pull that fails ends the thread (stop()) while a batch may still be on its way,
    // whose pieces then fail with it instead of going to the thread of a later catch-up.
    const thread = (this.thread ??= InsertThread.start(this.store.path, this.busyTimeoutMs));
    if (this.withoutIndex === undefined) {
      this.withoutIndex = this.options.indexAfterIntoEmpty === true && this.store.read(() => this.store.bans.maxId() === 0);
      if (this.withoutIndex) await thread.blockIndex('drop');
    }
    // A replay is judged by the bans of its block (BanTable.insertCaughtUp), which the index finds:
    // the first one ends the load without it. Replays come when fail2ban restarts; a log has few.
    if (this.withoutIndex && events.some((event) => event.restored)) await this.ready();
    // Without the index, log order: the uuid index's (stickyban's ids go up with time). With it,
    // sorted as a whole, then cut: consecutive pieces are neighbours in the store's block index
    // (sorted piece by piece instead, a 300k-event bootstrap of the daemon took 17 s, not 10 s).
    const ordered = this.withoutIndex ? events : byBlock(events);
    const rows = this.options.rowsPerTransaction ?? ordered.length;
    for (let start = 0; start < ordered.length; start += rows) {
      await thread.insert(ordered.slice(start, start + rows), now);
    }
  }

  /** The block index built if the load went without it: before anything plans from the store. */
  async ready(): Promise<void> {
    if (!this.withoutIndex || !this.thread) return;
    await this.thread.blockIndex('build');
    this.withoutIndex = false;
  }

  /**
   * Everything recorded made durable and moved out of the WAL by the thread, which then ends; this
   * connection back to its own settings. A restore may run meanwhile: it reads the committed store.
   */
  async finish(): Promise<void> {
    await this.ready();
    // A thread also when nothing was read: a restore owed by a catch-up cut short finds its WAL.
    const thread = this.thread ?? InsertThread.start(this.store.path, this.busyTimeoutMs);
    const { writes } = this;
    this.thread = undefined;
    this.writes = undefined;
    this.withoutIndex = undefined;
    try {
      await thread.finish();
    } finally {
      // A command's last commits (the position) were not synced: its own checkpoint does it.
      if (this.options.durable) writes?.end();
      else writes?.finish();
    }
  }

  /** A pull that failed: the thread ends at once (what it committed stays), the settings go back. */
  stop(): void {
    void this.thread?.stop();
    this.thread = undefined;
    this.writes?.end();
    this.writes = undefined;
    // Left dropped if it was: the next pull builds it (exchange.ts), or a restore.
    this.withoutIndex = undefined;
  }
}

/** The low bits of byBlock's keys: an event's index in its batch (batches are far smaller than 2^26). */
const INDEX_BITS = 26n;
const INDEX_MASK = (1n << INDEX_BITS) - 1n;

/**
 * Bans of a bulk catch-up in the order of the store's block index: inserted in log order (time
 * order, addresses all over) they would touch a page of the index each; in block order, runs of
 * neighbours (the same reason an import sorts, see import/order.ts). An IPv4 block, most of a log,
 * sorts as one 64-bit key (first address, prefix, index), by the typed array's own sort: with a
 * comparator a batch of 40k took ~50 ms of the daemon's loop, this way ~8 ms. Stable, as a sort by
 * compareNetworks is.
 */
export function byBlock(events: readonly BanEvent[]): BanEvent[] {
  if (events.length > Number(INDEX_MASK)) return [...events].sort((a, b) => compareNetworks(a.network, b.network));
  const keys = new BigUint64Array(events.length);
  let v4 = 0;
  const v6: BanEvent[] = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const { network } = event;
    if (network.family === 4) keys[v4++] = (BigInt(network.first) << 32n) | (BigInt(network.prefix) << INDEX_BITS) | BigInt(i);
    else v6.push(event);
  }
  const sorted = Array.from(keys.subarray(0, v4).sort(), (key) => events[Number(key & INDEX_MASK)]!);
  return sorted.concat(v6.sort((a, b) => compareNetworks(a.network, b.network)));
}
