// The daemon's single writer for what arrives through it (bans over the socket, the spool, the
// fleet). Bans that arrive together are committed in one transaction (one fsync for all of them),
// and each is answered only after that commit: an answer means the ban is on disk. The wait for a
// busy store is a timer loop (Store.writeAsync), so the daemon's loop serves on meanwhile, and it
// ends at once when the daemon stops (the client then does the work itself).

import { applyBans, replayOfHeld, type BanOutcome } from '../actions/ban.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { nextTurn } from '../exec/run.js';
import { OperationalError } from '../errors.js';
import type { BanEvent } from '../store/bans.js';
import { isPublished } from '../store/fleet.js';
import type { ChangeMark, Store } from '../store/store.js';
import type { LiveQueue } from './live-queue.js';

/** Bans per transaction at most: a transaction holds the store from other writers while it runs. */
const MAX_BATCH = 500;
/**
 * While bans keep coming (a commit less than BUSY_MS ago) from several clients at once, a drain
 * waits GATHER_MS for more: each client waits for its answer before it sends the next ban, so
 * without the wait a storm of eight jails committed one ban at a time, an fsync each (1,988 commits
 * for 2,000 bans). A lone ban, and one jail's bans one after another, are committed at once: the
 * wait would find nothing to gather and slow fail2ban's thread down.
 */
const BUSY_MS = 20;
const GATHER_MS = 2;

interface Pending {
  readonly event: BanEvent;
  readonly resolve: (outcome: BanOutcome) => void;
  readonly reject: (error: unknown) => void;
}

export class BanWriter {
  private pending: Pending[] = [];
  private draining = false;
  private lastCommit = 0;
  /** Transactions committed and bans recorded, for the metrics. */
  commits = 0;
  bans = 0;
  /** Bans handed over (socket and spool), replays and repeats included. */
  received = 0;
  /** Told after a commit of a ban to publish (the fleet sync pushes then). */
  onCommit: (() => void) | undefined;
  /** Whether several clients sent bans in the last `ms`: a short wait would gather theirs. */
  crowded: (ms: number) => boolean = () => false;
  /** Told when the store's file was removed or replaced (Store.movedAway): nothing is committed then. */
  onStoreGone: ((why: string) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly config: () => Config,
    private readonly clock: Clock,
    private readonly live: LiveQueue,
    private readonly signal: AbortSignal,
  ) {}

  /** Records the ban; resolves once it is committed, with what it changed. */
  submit(event: BanEvent): Promise<BanOutcome> {
    if (this.signal.aborted) return Promise.reject(new OperationalError('the daemon is stopping'));
    return new Promise((resolve, reject) => {
      this.pending.push({ event, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // Once the requests already read off the sockets have queued theirs too.
        if (Date.now() - this.lastCommit < BUSY_MS && this.crowded(BUSY_MS)) setTimeout(() => void this.drain(), GATHER_MS);
        else setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      // Committed into (or answered from) a file no one reads again, a ban would be answered as
      // recorded and be lost: looked at first, and again once the commit, which may have waited
      // for a busy store, is done.
      if (this.refuseIfMoved(this.pending)) {
        this.pending = [];
        continue;
      }
      const batch = this.answerHeldReplays(this.pending.splice(0, MAX_BATCH));
      if (batch.length === 0) continue;
      try {
        const config = this.config();
        const now = this.clock();
        let mark: ChangeMark | undefined;
        const outcomes = await this.store.writeAsync(() => {
          const applied = applyBans(this.store, config, now, batch.map(({ event }) => event));
          mark = this.store.markOnCommit();
          return applied;
        }, this.signal);
        if (this.refuseIfMoved(batch)) continue;
        this.commits++;
        this.lastCommit = Date.now();
        this.received += batch.length;
        // A replay of what the store holds, or an event handed over twice (a spool line written again), is not a ban recorded.
        this.bans += outcomes.filter((outcome) => outcome.recorded).length;
        // Not after the fleet's bans alone: there is nothing to send, and the next pull comes with
        // the log's notification. In a storm of 10k bans over 5 hosts, the syncs they asked for
        // took ~2 s of CPU (interleaved runs: converged in 5.70 s on average instead of 6.12 s).
        if (batch.some(({ event }) => isPublished(event))) this.onCommit?.();
        batch.forEach((item, i) => {
          const outcome = outcomes[i]!;
          item.resolve(outcome);
          this.live.push({ network: item.event.network, delta: outcome.delta, after: outcome.after, mark });
        });
      } catch (error) {
        const reason = this.signal.aborted ? new OperationalError('the daemon is stopping') : error;
        for (const item of batch) item.reject(reason);
      }
      // A commit not kept waiting resolves within this turn: a fold of 30k spooled bans (60 batches)
      // held the loop for ~3 s, health answers and SIGTERM with it.
      if (this.pending.length > 0) await nextTurn();
    }
    this.draining = false;
  }

  /** Refuses `items` when the store's file was removed or replaced (Store.movedAway); true when it was. */
  private refuseIfMoved(items: readonly Pending[]): boolean {
    const moved = this.store.movedAway();
    if (moved === undefined) return false;
    const refused = new OperationalError(`${moved}: the daemon records nothing more`);
    for (const item of items) item.reject(refused);
    this.onStoreGone?.(moved);
    return true;
  }

  /**
   * Answers the replays of bans the store holds from one read, with no write transaction (a
   * restart of fail2ban replays every ban it holds, one after another); returns the rest. Nothing
   * is written for them either way, so their answer needs no commit.
   */
  private answerHeldReplays(batch: Pending[]): Pending[] {
    if (!batch.some(({ event }) => event.restored)) return batch;
    try {
      const config = this.config();
      const now = this.clock();
      const held = this.store.read(() => batch.map(({ event }) => replayOfHeld(this.store, config, now, event)));
      this.received += held.filter(Boolean).length;
      return batch.filter((item, i) => {
        const outcome = held[i];
        if (outcome) item.resolve(outcome);
        return !outcome;
      });
    } catch {
      // The write transaction reads again, and says what failed.
      return batch;
    }
  }
}
