// The daemon's side of the fleet: one connection to the shared log, kept open and opened again with
// a growing pause (and one log line) when it breaks. Local bans are pushed when the daemon commits
// one and when another process has (the store is looked at every 100 ms); the log is pulled when a
// notification comes (LISTEN) and on a timer anyway. While the database is away nothing local waits
// for it: bans, restores and commands go on, and what was recorded meanwhile is pushed on return.

import type { Config } from '../config/config.js';
import { LockHeldError } from '../errors.js';
import type { Store } from '../store/store.js';
import { push, pull, type Appliers, type Persist, type PullOutcome } from './exchange.js';
import { formatPosition, parsePosition } from './log.js';
import { checkFleetSchema } from './migrate.js';
import { connect, type Connection } from './pg.js';

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 60_000;
/** How often the store is looked at for bans other processes recorded (the hook without the daemon, an import). */
const LOCAL_CHECK_MS = 100;
/**
 * A sync waits this long for more to gather: in a storm every commit here and every notification
 * of another host asks for one, and a sync each (a push, a pull, a bookkeeping write) made five
 * hosts spend their cores on round trips instead of bans.
 */
const GATHER_MS = 20;
/**
 * The wait while events flow (a sync that moved some ended less than FLOWING_MS ago): batches about
 * five times larger, each published ~100 ms after its first commit. A storm of 10k bans over 5
 * hosts converged in 6.4 s instead of 8.1 s (two interleaved runs each, 2-core VM), the daemons
 * spending 9.4 CPU-s instead of 11.6.
 */
const FLOWING_GATHER_MS = 100;
const FLOWING_MS = 250;

/** How long a sync asked for now waits for more, `sinceMovedMs` after the last sync that moved events ended. */
export function gatherWait(sinceMovedMs: number): number {
  return sinceMovedMs < FLOWING_MS ? FLOWING_GATHER_MS : GATHER_MS;
}
/** This host's row (last seen, position, version) is written at most this often. */
const HEARTBEAT_MS = 1000;

export interface FleetStatus {
  readonly connected: boolean;
  readonly database?: string;
  /** When the last sync ended well (seconds since the epoch). */
  readonly lastSync?: number;
  readonly lastError?: string;
  /** Local events not published yet. */
  readonly waiting: number;
  readonly pushed: number;
  readonly applied: number;
  readonly skipped: number;
}

export class FleetSync {
  private connection: Connection | undefined;
  /** Aborted by stop(): a pull under way ends with it (see PullOptions.signal). */
  private stopping = new AbortController();
  private retryMs = FIRST_RETRY_MS;
  private retry: NodeJS.Timeout | undefined;
  private poll: NodeJS.Timeout | undefined;
  private local: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private gathering: NodeJS.Timeout | undefined;
  private again = false;
  private lastBeat = 0;
  /** When the last sync that pushed or applied events ended. */
  private lastMoved = 0;
  private othersSeen = -1;
  private lastSync: number | undefined;
  private lastError: string | undefined;
  private lastSyncError: string | undefined;
  private everConnected = false;
  pushed = 0;
  applied = 0;
  skipped = 0;

  constructor(
    private readonly store: Store,
    private readonly config: () => Config,
    private readonly appliers: Appliers,
    private readonly persist: Persist,
    private readonly log: (line: string) => void,
    private readonly version: string,
  ) {}

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  start(): void {
    this.stopping = new AbortController();
    void this.open();
    this.local = setInterval(() => {
      // SQLite's count of other connections' commits: the daemon's own bans ask through onCommit.
      // A store that cannot be read here (its files moved under the daemon) is the daemon's watch's to say.
      let others: number;
      try {
        others = this.store.changeMark().others;
      } catch {
        return;
      }
      if (others !== this.othersSeen) {
        this.othersSeen = others;
        this.soon();
      }
    }, LOCAL_CHECK_MS);
  }

  async stop(): Promise<void> {
    // A bulk catch-up under way ends at its next page or turn, its thread with it.
    this.stopping.abort();
    clearTimeout(this.retry);
    clearInterval(this.poll);
    clearInterval(this.local);
    clearTimeout(this.gathering);
    this.gathering = undefined;
    await this.running?.catch(() => undefined);
    await this.connection?.end();
    this.connection = undefined;
  }

  /** A push and a pull GATHER_MS (FLOWING_GATHER_MS) from now, or that long after the one under way, if any, is over. */
  soon(): void {
    if (!this.connection || this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.gathering ??= setTimeout(() => {
      this.gathering = undefined;
      if (!this.connection || this.stopped) return;
      this.running = this.sync().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.soon();
        }
      });
    }, gatherWait(Date.now() - this.lastMoved));
  }

  status(): FleetStatus {
    return {
      connected: this.connection !== undefined,
      ...(this.connection ? { database: this.connection.describe } : {}),
      ...(this.lastSync !== undefined ? { lastSync: this.lastSync } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      waiting: this.store.read(() => this.store.fleet.waiting(Number(this.store.fleet.get('published') ?? 0))),
      pushed: this.pushed,
      applied: this.applied,
      skipped: this.skipped,
    };
  }

  private async open(): Promise<void> {
    const fleet = this.config().fleet;
    let connection: Connection | undefined;
    try {
      connection = await connect(fleet);
      await checkFleetSchema(connection);
      connection.onLost((error) => this.lost(error));
      await connection.listen('stickyban_events', () => this.soon());
    } catch (error) {
      await connection?.end();
      this.fail(error as Error);
      return;
    }
    if (this.stopped) {
      await connection.end();
      return;
    }
    this.connection = connection;
    this.retryMs = FIRST_RETRY_MS;
    this.lastError = undefined;
    this.log(`fleet: ${this.everConnected ? 'connected again to' : 'connected to'} ${connection.describe} as host ${fleet.host}${fleet.publish ? '' : ' (not publishing)'}${fleet.subscribe ? '' : ' (not subscribing)'}`);
    this.everConnected = true;
    clearInterval(this.poll);
    this.poll = setInterval(() => this.soon(), fleet.pollSeconds * 1000);
    this.soon();
  }

  private lost(error: Error): void {
    if (this.stopped || !this.connection) return;
    this.connection = undefined;
    clearInterval(this.poll);
    this.fail(new Error(`connection lost: ${error.message}`));
  }

  /** One line per new kind of trouble, then tries again after a pause that grows to a minute. */
  private fail(error: Error): void {
    if (this.stopped) return;
    const message = error.message;
    if (message !== this.lastError) this.log(`fleet: ${message}; trying again (bans are recorded here meanwhile and sent on return)`);
    this.lastError = message;
    // Jitter, so that a fleet whose database came back does not return all at once.
    const pause = this.retryMs * (0.75 + Math.random() / 2);
    this.retryMs = Math.min(LAST_RETRY_MS, this.retryMs * 2);
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.open(), pause);
  }

  private async sync(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    const fleet = this.config().fleet;
    try {
      const pushed = fleet.publish ? await push(connection, this.store, fleet, this.persist) : 0;
      this.pushed += pushed;
      if (pushed > 0) this.lastMoved = Date.now();
      if (fleet.subscribe) {
        const outcome: PullOutcome = await pull(connection, this.store, fleet, this.appliers, this.persist, (line) => this.log(`fleet: ${line}`), { lockWaitMs: 0, signal: this.stopping.signal });
        if (outcome.applied > 0) this.lastMoved = Date.now();
        this.applied += outcome.applied;
        this.skipped += outcome.skipped;
        if (outcome.bulk) {
          this.log(outcome.applied > 0 ? `fleet: caught up on ${outcome.applied} events in bulk, and restored the live set` : 'fleet: ran the restore a catch-up cut short still owed');
        }
      }
      if (Date.now() - this.lastBeat >= HEARTBEAT_MS) {
        await connection.query('UPDATE stickyban.hosts SET last_seen = now(), position = $1, version = $2 WHERE name = $3', [
          formatPosition(parsePosition(this.store.read(() => this.store.fleet.get('cursor')))),
          this.version,
          fleet.host,
        ]);
        this.lastBeat = Date.now();
      }
      this.lastSync = Math.floor(Date.now() / 1000);
      this.lastSyncError = undefined;
    } catch (error) {
      // A broken connection is reported by onLost, a stop needs no line; anything else is this
      // sync's alone, said once while it stays the same (an owed restore that keeps failing).
      const message = (error as Error).message;
      if (this.connection === connection && !this.stopped && message !== this.lastSyncError) {
        // Not a failure: a `fleet sync` run by hand reads the log into this store; the next sync pulls after it.
        this.log(error instanceof LockHeldError ? 'fleet: another stickyban (a `fleet sync`) is reading the fleet log into this store; pulling once it is done' : `fleet: sync failed: ${message}`);
      }
      this.lastSyncError = message;
    }
  }
}
