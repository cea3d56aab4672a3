// The two directions of a sync, each resumable from where it stopped: push sends the local ban
// events not sent yet (in id order, a thousand per statement, idempotent by event id), pull reads
// the log after this host's position in commit order and hands each event to the appliers. Both
// remember their place in the store, so a sync cut short (the database or the daemon gone) goes on
// from there: a ban sent or applied twice is the same event twice, harmless; a fleet-wide lift or
// safelist change commits with the position after it, so it is never applied twice.

import { formatNetwork } from '../address/format.js';
import { awaitLater, nextTurn } from '../exec/run.js';
import { lockoutConflict, protectedNetworks, protectedPeer } from '../actions/lockout.js';
import type { FleetConfig } from '../config/config.js';
import type { BanEvent } from '../store/bans.js';
import { buildBlockIndex, hasBlockIndex } from '../store/block-index.js';
import { FLEET_SOURCE } from '../store/fleet.js';
import { withPullLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { readCopyRow } from './copy-row.js';
import { MAX_TEXT } from '../input/names.js';
import { formatPosition, parsePosition, readRow, rowOf, type FleetEvent, type LogRow, type Position } from './log.js';
import type { Connection } from './pg.js';

/** Local events per INSERT. */
const PUSH_BATCH = 1000;
/** Log rows per read: a read is bounded in memory (a few MB), however far behind a host is. */
export const PULL_PAGE = 20_000;
/**
 * A read of this many rows or more means the host is far behind (off for a while, or new): it
 * records them in bulk and loads the kernel with one restore, instead of a live update per ban.
 */
export const BULK_ROWS = 2000;
/**
 * Bans recorded per sorted batch of a bulk catch-up (their event data, ~5 MB). A catch-up of 1M
 * events peaked at ~630 MB resident with batches of 100k and ~360 MB with these, as fast with
 * addresses in order and all over the space (scratch runs, interleaved, 2-core VM).
 */
const BULK_BATCH = 25_000;
/** Rows read between two turns of the event loop: a page at once kept the daemon's loop ~150 ms. */
const ROWS_PER_TURN = 2000;

/**
 * The rows after `position` in commit order, and only those of committed transactions older than
 * every transaction still running: a row whose id was taken first but committed last is then read
 * when it commits, never skipped (an `id > last` cursor would skip it for good). In binary COPY
 * (copy-row.ts says why), which takes no parameters: the position's two integers and the page size
 * are written into the text, as digits of a bigint and an integer. The address and the time come
 * as the server keeps them (copy-row.ts reads them): turned into seconds in the query, an infinite
 * time would fail the whole read, this row's and every one after.
 */
/**
 * The longest name (host, jail) and reason read of a row: one past what is valid, so that a longer
 * one is still refused as such, never read whole. The log is outside input: a host role that wrote
 * a reason of 500 MB held every host's sync at that row (the string could not be made), and many of
 * a few MB ran the heap out.
 */
const MAX_NAME = 64;

function readLog(after: Position, rows: number): string {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new RangeError(`a page of ${rows} rows`);
  return `COPY (SELECT id, xid, uuid, left(origin, ${MAX_NAME + 1}), left(kind, 20), address, left(jail, ${MAX_NAME + 1}), at, bantime, left(reason, ${2 * MAX_TEXT}), restored
  FROM stickyban.events
 WHERE (xid, id) > ('${BigInt(after.xid)}'::xid8, ${BigInt(after.id)}::bigint) AND xid < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY xid, id
 LIMIT ${rows}) TO STDOUT (FORMAT binary)`;
}

const APPEND = `INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, bantime, source, reason, restored)
SELECT e.uuid, $2, 'ban', e.address, e.jail, to_timestamp(e.at), e.bantime, e.source, e.reason, e.restored
  FROM unnest($1::uuid[], $3::cidr[], $4::text[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::boolean[])
       AS e(uuid, address, jail, at, bantime, source, reason, restored)
ON CONFLICT (uuid) DO NOTHING`;

/** How a sync writes its own bookkeeping: with a timer wait in the daemon, in place in a command. */
export type Persist = (work: () => void) => Promise<void>;

/** Sends the local events not sent yet; returns how many were sent. */
export async function push(connection: Connection, store: Store, fleet: FleetConfig, persist: Persist): Promise<number> {
  let sent = 0;
  let published = Number(store.read(() => store.fleet.get('published')) ?? 0);
  for (;;) {
    const { batch, removals } = store.read(() => ({ batch: store.fleet.outgoing(published, PUSH_BATCH), removals: store.fleet.removals() }));
    if (batch.length === 0) return sent;
    const rows = batch.map((ban) => rowOf(ban, fleet.host));
    const column = (i: number) => rows.map((row) => row[i]);
    await connection.query(APPEND, [column(0), fleet.host, column(2), column(3), column(4), column(5), column(6), column(7), column(8)]);
    sent += batch.length;
    // The mark moves past the batch only if nothing was deleted meanwhile: a prune may have freed
    // its top ids, and a ban recorded since may have one of them again. Else the next push reads
    // from the old mark and sends again what was sent (idempotent by event id).
    const last = batch.at(-1)!.id;
    let moved = false;
    await persist(() => {
      if (store.fleet.removals() !== removals) return;
      store.fleet.set('published', String(last));
      moved = true;
    });
    if (!moved) return sent;
    published = last;
  }
}

/** What applies the events of other hosts here: the daemon's writer and actions, or a command's. */
export interface Appliers {
  /** Bans in log order. `bulk`: the host is far behind; record them only, a restore follows. */
  bans(events: BanEvent[], bulk: boolean): Promise<void>;
  /**
   * A fleet-wide lift or safelist change (the admin's). `record` writes the position after it, in
   * the change's own transaction: applied again after a sync cut short, a lift would also lift the
   * bans recorded since (by the hook, or from the log after it).
   */
  change(event: FleetEvent, bulk: boolean, record: () => void): Promise<void>;
  /** Once a bulk catch-up is over: the kernel made to match the store in one load. Throws when it could not: it stays owed. */
  restore(): Promise<void>;
  /** After the pull, whatever happened: a bulk catch-up's store settings back to normal. */
  end?(): void;
}

export interface PullOutcome {
  readonly applied: number;
  readonly skipped: number;
  readonly position: Position;
  /** The host was far behind: the events were recorded in bulk and a restore loaded them. */
  readonly bulk: boolean;
}

export interface PullOptions {
  readonly pageRows?: number;
  /** How long to wait for another pull into this store: a command waits, the daemon tries again at its next sync. */
  readonly lockWaitMs?: number;
  /**
   * The daemon stopping: the pull ends at its next page or turn (what it applied stays, its
   * position with it), instead of holding the stop for the rest of a bulk catch-up.
   */
  readonly signal?: AbortSignal;
}

/** Reads and applies the log after this host's position, one pull into a store at a time; `log` says what was skipped and why. */
export async function pull(connection: Connection, store: Store, fleet: FleetConfig, appliers: Appliers, persist: Persist, log: (line: string) => void, { pageRows = PULL_PAGE, lockWaitMs, signal }: PullOptions = {}): Promise<PullOutcome> {
  return withPullLock(
    store.path,
    async () => {
      // Stopping also ends what the appliers are doing (a bulk batch being inserted: uncommitted,
      // it is read again at the next start).
      const stop = () => appliers.end?.();
      signal?.addEventListener('abort', stop, { once: true });
      try {
        return await pullPages(connection, store, fleet, appliers, persist, log, pageRows, signal);
      } finally {
        signal?.removeEventListener('abort', stop);
        appliers.end?.();
      }
    },
    lockWaitMs === undefined ? {} : { waitMs: lockWaitMs },
  );
}

async function pullPages(connection: Connection, store: Store, fleet: FleetConfig, appliers: Appliers, persist: Persist, log: (line: string) => void, pageRows: number, signal: AbortSignal | undefined): Promise<PullOutcome> {
  let position = parsePosition(store.read(() => store.fleet.get('cursor')));
  // The lockout guard wins over the fleet as over the command line: no ban of loopback, of this
  // host, nor of the database itself (one host's ban of it would cut every host off the fleet, the
  // admin's lift of it included).
  const guarded = [...protectedNetworks({}), ...protectedPeer(connection.peer, 'the fleet database this host syncs with')];
  let applied = 0;
  let skipped = 0;
  // A catch-up cut short after recording in bulk (killed, or its restore failed) left its
  // position past what it recorded: the restore it owes runs now, whatever is read.
  const owedBefore = store.read(() => store.fleet.get('restore_owed')) !== undefined;
  // One that loaded without the block index (a bootstrap, store/block-index.ts) left it dropped:
  // built again first, under the lock that kept it away meanwhile. Dropped only once a restore is
  // owed, so a pull that owes none reads nothing more.
  if (owedBefore && store.read(() => !hasBlockIndex(store.db))) await persist(() => void buildBlockIndex(store.db));
  let owed = owedBefore;
  let bulk = owed;
  // Bans read but not applied yet, and the position up to which everything read is applied: the
  // stored position never passes a ban that is not in the store.
  let bans: BanEvent[] = [];
  let read = position;
  // A batch is applied while the pages after it are read (in bulk the appliers may write from a
  // thread of their own): one batch at a time, so what waits in memory stays bounded however slow
  // the store is, and the position is stored only once its batch is.
  let writing: Promise<void> | undefined;
  const handOver = async () => {
    await writing;
    const batch = bans;
    const upTo = read;
    const inBulk = bulk;
    bans = [];
    writing = awaitLater(
      (async () => {
        if (batch.length > 0) await appliers.bans(batch, inBulk);
        applied += batch.length;
        if (upTo !== position) {
          position = upTo;
          const saved = formatPosition(position);
          await persist(() => store.fleet.set('cursor', saved));
        }
      })(),
    );
  };
  const flush = async () => {
    await handOver();
    await writing;
  };
  // A page read ahead must not count as an unhandled failure if this one fails first.
  const fetch = (after: Position) => awaitLater(connection.copyOut(readLog(after, pageRows), readCopyRow));
  let page = fetch(position);
  for (;;) {
    const rows = await page;
    signal?.throwIfAborted();
    if (rows.length === 0) break;
    const last = positionOf(rows.at(-1)!);
    bulk ||= rows.length >= BULK_ROWS;
    if (bulk && !owed) {
      owed = true;
      await persist(() => store.fleet.set('restore_owed', '1'));
    }
    // A full page means more wait: the next one is read while this one is applied.
    if (rows.length === pageRows) page = fetch(last);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % ROWS_PER_TURN === 0) {
        await nextTurn();
        signal?.throwIfAborted();
      }
      const row = rows[i]!;
      const outcome = readRow(row, fleet);
      if ('problem' in outcome) {
        skipped++;
        log(`skipped ${outcome.problem}`);
        continue;
      }
      const { event } = outcome;
      if (!accepts(fleet, event)) continue;
      if (event.kind === 'ban') {
        const conflict = lockoutConflict(event.network, guarded);
        if (conflict) {
          skipped++;
          log(`skipped event ${event.id}: a ban of ${formatNetwork(event.network)} from ${event.origin} meets ${formatNetwork(conflict.network)}, ${conflict.why}`);
          continue;
        }
        bans.push(banOf(event));
        continue;
      }
      // A lift or safelist change applies after the bans before it, in log order.
      await flush();
      const after = positionOf(row);
      const saved = formatPosition(after);
      await appliers.change(event, bulk, () => store.fleet.set('cursor', saved));
      applied++;
      position = read = after;
    }
    read = last;
    // In bulk, bans gather over pages: a larger sorted batch reaches the store's index in longer runs.
    if (!bulk) await flush();
    else if (bans.length >= BULK_BATCH) await handOver();
    if (rows.length < pageRows) break;
  }
  await flush();
  // A host reading back only its own events (they come first after a reset) has nothing to load.
  const restoring = bulk && (applied > 0 || owedBefore);
  if (restoring) await appliers.restore();
  if (owed) await persist(() => store.fleet.unset('restore_owed'));
  return { applied, skipped, position, bulk: restoring };
}

/** Where a row is in the log. */
function positionOf(row: LogRow): Position {
  return { xid: BigInt(row.xid as number | bigint), id: BigInt(row.id as number | bigint) };
}

/** Our own events come back too (they were ours first); the config may accept only some hosts and jails. */
function accepts(fleet: FleetConfig, event: FleetEvent): boolean {
  if (event.origin === fleet.host) return false;
  if (event.kind !== 'ban') return true;
  if (fleet.acceptHosts.length > 0 && !fleet.acceptHosts.includes(event.origin)) return false;
  return fleet.acceptJails.length === 0 || fleet.acceptJails.includes(event.jail!);
}

/** fleet:<host>, made once per host: a bootstrap would make a million equal strings, and garbage of them. */
const sources = new Map<string, string>();
function sourceOf(origin: string): string {
  let source = sources.get(origin);
  if (source === undefined) {
    source = `${FLEET_SOURCE}${origin}`;
    // Hosts are few; a log of very many names only goes without the saving.
    if (sources.size < 1000) sources.set(origin, source);
  }
  return source;
}

/** A remote ban as this store records it: its own event id and origin, source fleet:<host>. */
function banOf(event: FleetEvent): BanEvent {
  return {
    uuid: event.uuid,
    origin: event.origin,
    network: event.network,
    jail: event.jail ?? 'fleet',
    bannedAt: event.at,
    bantime: event.bantime,
    source: sourceOf(event.origin),
    reason: event.reason,
    restored: event.restored,
  };
}
