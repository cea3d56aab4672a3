import type Database from 'better-sqlite3';
import type { Cidr, Family, Network } from '../address/network.js';
import type { Policy } from '../config/config.js';
import { formatNetwork } from '../address/format.js';
import { eventRows, EventInserts, type EventRows } from './event-rows.js';
import { blockParams, networkFromKeys, packedBlockSql, toStoredKey, unpackBlocks, unpackerOf, unpackNetwork } from './keys.js';
import { blocksRelatedTo, enclosingStarts, meetsCondition, startsFilter, StatementCache } from './statements.js';
import { keepPublishedBelowFreedIds } from './fleet.js';
import { noteRemoval } from './plan-counts.js';

/** Blocks per page of a streamed read. */
const PAGE_ROWS = 2048;
/** Less than every stored key of the family (integers for IPv4, 16-byte blobs for IPv6). */
const BEFORE_EVERY_KEY: Record<Family, { afterFirst: unknown; afterLast: unknown }> = {
  4: { afterFirst: -1n, afterLast: -1n },
  6: { afterFirst: Buffer.alloc(0), afterLast: Buffer.alloc(0) },
};

export interface BanEvent {
  readonly uuid: Buffer;
  readonly origin: string;
  readonly network: Network;
  readonly jail: string;
  readonly bannedAt: number;
  readonly bantime: number | null;
  readonly source: string;
  readonly reason: string | null;
  readonly restored: boolean;
  /**
   * A replay (restored) that came without fail2ban's <time>: `bannedAt` is when it arrived, later
   * than the ban it replays. Never stored; a lift of the block counts as later than such a replay.
   */
  readonly timeUnknown?: boolean;
  /** The end of a temporary ban (`ban --duration`); absent for a ban without one. */
  readonly until?: number;
}

/** A lift: when, and by whom (`stickyban unban`, a fleet's admin). */
export interface Lift {
  readonly lifted_at: number;
  readonly lifted_by: string;
}

/** A stored event as an import compares it with one of its own (import/same-ban.ts). */
export interface RecordedEvent {
  readonly id: number;
  readonly jail: string;
  readonly bannedAt: number;
  readonly bantime: number | null;
  readonly restored: boolean;
}

/** A stored block as [first, last] in stored-key form (see keys.ts); never leaves store/. */
type RawBlock = [first: unknown, last: unknown];

export interface EventRow {
  readonly id: number;
  readonly uuid: Buffer;
  readonly origin: string;
  readonly family: Family;
  readonly address: string;
  readonly jail: string;
  readonly banned_at: number;
  readonly bantime: number | null;
  readonly source: string;
  readonly reason: string | null;
  readonly restored: 0 | 1;
  /** When it was lifted; for a temporary ban still running, its end, a time still to come. */
  readonly lifted_at: number | null;
  readonly lifted_by: string | null;
  /** The end a temporary ban was given, whether it ran to it or was lifted sooner. */
  readonly until: number | null;
}

/** One row per banned block, aggregated over its active (not lifted) events. */
export interface BlockSummary {
  readonly network: Network;
  readonly address: string;
  readonly events: number;
  readonly offences: number;
  readonly jails: string;
  readonly first_banned: number;
  readonly last_banned: number;
  readonly qualifies: 0 | 1;
  /** When every active event is temporary: when the last of them ends; else null. */
  readonly until: number | null;
}

/** Which blocks summaryPages reads: each given field narrows them. */
export interface SummaryFilter {
  readonly family?: Family | undefined;
  /** Blocks with an active event of this jail. */
  readonly jail?: string | undefined;
  /** Blocks with an active event at or after this time (of the jail, with `jail`). */
  readonly since?: number | undefined;
  /** Blocks that meet this one: enclose it or lie inside it. */
  readonly meets?: Network | undefined;
}

/** A block prune may remove, with its event count. */
export interface StaleBlock {
  readonly network: Network;
  readonly address: string;
  readonly events: number;
}

/** Events the retention never removes: manual bans and bans meant forever (bantime -1). */
const KEPT_FOREVER = "(source = 'manual' OR bantime IS -1)";

/** KEPT_FOREVER of one event not yet in the store (a ban arriving): the two side by side, to stay one rule. */
export function keptForever(event: { readonly source: string; readonly bantime: number | null }): boolean {
  return event.source === 'manual' || event.bantime === -1;
}

/**
 * An event in force at @now: not lifted, or lifted at a time still to come, the end of a temporary
 * ban (migrations/0006_temporary_bans.sql). Both from the block index alone.
 */
const ACTIVE = '(lifted_at IS NULL OR lifted_at > @now)';
/** A lift decided elsewhere, earlier (fleet-wide): when, and the newest ban it lifts (unset: any). */
export interface DecidedLift {
  readonly at: number;
  readonly upTo?: number;
}

/** The events of blocks inside the block (params of blockParams) in force at @now, of @jail if given, banned by @upTo if given. */
function liftedRows(jail: string | undefined, upTo?: number): string {
  return `family = @family AND first BETWEEN @first AND @last AND last <= @last AND ${ACTIVE}${jail === undefined ? '' : ' AND jail = @jail'}${upTo === undefined ? '' : ' AND banned_at <= @upTo'}`;
}

/** Seconds a replay's <time> may lie after the ban it replays: fail2ban stores round(time). */
const FAIL2BAN_TIME_ROUNDING = 1;

/** lifted_by of a temporary ban that is to end, or ended, by itself. */
export const ENDED_BY_DURATION = 'duration';

/**
 * The policy as SQL over the active events of one block, so the planner (see plannerSql) and `list` (a
 * column) apply exactly the same rule. A restored ban proves an offence happened but is not a new
 * one: a block counts max(new offences, 1 if it has any event from a policy jail). Conditions the
 * policy does not ask for are left out: the default policy plans a million blocks noticeably faster.
 */
function policySql(policy: Policy): { inPolicy: string; qualifies: string } {
  const inPolicy = policy.jails.length > 0 ? 'jail IN (SELECT value FROM json_each(@jails))' : '1';
  const conditions: string[] = [];
  if (policy.jails.length > 0) conditions.push(`max(${inPolicy})`);
  if (policy.minBans > 1) conditions.push(`max(sum(${inPolicy} AND restored = 0), max(${inPolicy})) >= @minBans`);
  if (policy.retentionSeconds !== undefined) {
    conditions.push(`(max(CASE WHEN ${inPolicy} THEN banned_at END) >= @cutoff OR max(${inPolicy} AND ${KEPT_FOREVER}))`);
  }
  return { inPolicy, qualifies: conditions.length > 0 ? `(${conditions.join(' AND ')})` : '1' };
}

/**
 * The policy as the planner's query applies it: `events`, a condition on single events (WHERE),
 * and `blocks`, one on each block's events together (a HAVING clause, or nothing). The planner reads
 * only events of policy jails, so that condition is always on events. Without a minimum of offences
 * the retention is one too: a block is recent when any one of its events is recent or kept forever.
 * SQLite then groups without computing aggregates (100k blocks read in 29 instead of 49 ms).
 */
function plannerSql(policy: Policy): { events: string; blocks: string } {
  const { inPolicy, qualifies } = policySql(policy);
  if (policy.minBans > 1) return { events: inPolicy, blocks: `HAVING ${qualifies}` };
  const recent = policy.retentionSeconds === undefined ? '' : ` AND (banned_at >= @cutoff OR ${KEPT_FOREVER})`;
  return { events: `${inPolicy}${recent}`, blocks: '' };
}

/** The query of `qualifying` in two parts (a page's condition goes between them), and its parameters. */
function qualifyingSql(family: Family, policy: Policy, now: number): { select: string; grouped: string; params: Record<string, unknown> } {
  const { events, blocks } = plannerSql(policy);
  return {
    select: `SELECT ${packedBlockSql(family)} FROM bans WHERE family = @family AND ${ACTIVE} AND ${events}`,
    grouped: `GROUP BY first, last ${blocks} ORDER BY first, last`,
    params: { family, ...policyParams(policy, now) },
  };
}

function policyParams(policy: Policy, now: number): Record<string, unknown> {
  return withPolicyParams({}, policy, now);
}

/**
 * `params` with the policy's parameters set on it. Set, not spread into a new object: better-sqlite3
 * binds from an object spread together from several about three times slower (a search around a
 * ban with its parameters spread: 16.7 µs, set: 5.3 µs).
 */
function withPolicyParams(params: Record<string, unknown>, policy: Policy, now: number): Record<string, unknown> {
  params.now = now;
  params.jails = JSON.stringify(policy.jails);
  params.minBans = policy.minBans;
  params.cutoff = policy.retentionSeconds === undefined ? Number.MIN_SAFE_INTEGER : now - policy.retentionSeconds;
  return params;
}

/** Blocks read a page at a time: pages of packed blocks (see keys.ts), and how to unpack one. */
export interface PackedPages<K extends number | bigint> {
  /** Iterate once. */
  readonly pages: Iterable<readonly unknown[]>;
  readonly unpack: (packed: unknown) => Cidr<K>;
}

/**
 * The condition of a page of blocks read in (family, first, last) order: the blocks after the last
 * one of the page before, of the families up to @lastFamily. A row value, so SQLite starts each
 * page with one seek in the block index; `family = @family` beside it would make SQLite seek to the
 * family only and walk it from its start on every page.
 */
const AFTER_BLOCK = '(family, first, last) > (@afterFamily, @afterFirst, @afterLast) AND family <= @lastFamily';

/** The first two columns of a page of blocks: the family and the block packed (see keys.ts), half the cost of two keys for IPv6. */
const PACKED_BLOCK = `family, CASE family WHEN 4 THEN ${packedBlockSql(4)} ELSE ${packedBlockSql(6)} END`;

/**
 * `page` (raw rows that start with PACKED_BLOCK, AFTER_BLOCK in its condition, ordered by block and
 * at most PAGE_ROWS long) a page at a time, each read when the one before is consumed; of one
 * family, or of both. Pages rather than iterate(): all() costs less per row, and no statement stays
 * open between pages, so the caller may run others meanwhile (another page read, a delete).
 */
function blockPages<T>(page: Database.Statement, params: Record<string, unknown>, toItem: (network: Network, row: unknown[]) => T, family?: Family): Iterable<T[]> {
  return { [Symbol.iterator]: () => new BlockPages(page.raw(), params, toItem, family) };
}

/**
 * blockPages' iterator. A read that fails (a busy store) changes nothing, so the caller may retry
 * next() (Store.read does); a generator would be closed by the error and then report its end.
 */
class BlockPages<T> implements Iterator<T[]> {
  private after: Record<string, unknown>;
  private ended = false;

  constructor(
    private readonly page: Database.Statement,
    private readonly params: Record<string, unknown>,
    private readonly toItem: (network: Network, row: unknown[]) => T,
    family: Family | undefined,
  ) {
    // Before every block of the family (the keys are not compared then), or of both.
    this.after = { afterFamily: (family ?? 4) - 1, afterFirst: null, afterLast: null, lastFamily: family ?? 6 };
  }

  next(): IteratorResult<T[]> {
    if (this.ended) return { done: true, value: undefined };
    const rows = this.page.all({ ...this.params, ...this.after }) as unknown[][];
    if (rows.length < PAGE_ROWS) this.ended = true;
    if (rows.length === 0) return { done: true, value: undefined };
    const items = new Array<T>(rows.length);
    let network: Network | undefined;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      network = unpackNetwork(row[0] as Family, row[1]);
      items[i] = this.toItem(network, row);
    }
    this.after = { ...this.after, afterFamily: network!.family, afterFirst: toStoredKey(network!.family, network!.first), afterLast: toStoredKey(network!.family, network!.last) };
    return { done: false, value: items };
  }
}

export class BanTable {
  private readonly cache: StatementCache;
  private readonly inserts: EventInserts;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
    this.inserts = new EventInserts(db);
  }

  /** Records one event; false when an event with this uuid is already stored (replays are harmless). */
  insert(event: BanEvent): boolean {
    const inserted = this.insertMany([event]) === 1;
    // A temporary ban is recorded lifted at its end (see ACTIVE). Rare, so not in insertMany's rows.
    if (inserted && event.until !== undefined) {
      this.cache.get(`UPDATE bans SET until = @until, lifted_at = @until, lifted_by = '${ENDED_BY_DURATION}' WHERE uuid = @uuid`).run({ until: event.until, uuid: event.uuid });
    }
    return inserted;
  }

  /** Records the events and returns how many were new, like insert() for each in turn (event-rows.ts says how). */
  insertMany(events: readonly BanEvent[]): number {
    return this.insertRows(eventRows(events));
  }

  /**
   * Records rows and returns how many were new: insertMany's work for rows that are not events yet
   * (the insert thread's packed batches, where an object per event cost as much as its insert).
   */
  insertRows(rows: EventRows): number {
    const inserted = this.inserts.insert(rows);
    this.notePrefixes(rows.prefixes());
    return inserted;
  }

  /**
   * Records the prefix lengths of these blocks in ban_prefixes, in the transaction that stores them:
   * a block of a length not listed would go unseen by qualifyingAroundHosts. Lengths are few, so a
   * batch, however large, writes a row or two.
   */
  private notePrefixes(networks: Iterable<Pick<Network, 'family' | 'prefix'>>): void {
    const lengths = new Map<number, Pick<Network, 'family' | 'prefix'>>();
    for (const network of networks) lengths.set(network.family * 256 + network.prefix, network);
    const note = this.cache.get('INSERT OR IGNORE INTO ban_prefixes (family, prefix) VALUES (?, ?)');
    for (const { family, prefix } of lengths.values()) note.run(family, prefix);
  }

  /** The address and jail of the event with this id, if one is stored. */
  eventById(uuid: Buffer): { readonly address: string; readonly jail: string } | undefined {
    return this.cache.get('SELECT address, jail FROM bans WHERE uuid = ?').get(uuid) as { address: string; jail: string } | undefined;
  }

  /** True when the block has an event of this jail in force at `now` (fail2ban replays are no-ops). */
  hasActive(network: Network, jail: string, now: number): boolean {
    const row = this.cache
      .get(`SELECT 1 FROM bans WHERE family = @family AND first = @first AND last = @last AND ${ACTIVE} AND jail = @jail LIMIT 1`)
      .get({ ...blockParams(network), jail, now });
    return row !== undefined;
  }

  /**
   * The latest lift of this block's events of `jail` at or after `since` (any, without it): a
   * replay by fail2ban of a ban from before that lift must not undo it. The end of a temporary ban
   * is no such decision, nor is an end still to come.
   */
  liftedSince(network: Network, jail: string, since: number | undefined): Lift | undefined {
    return this.cache
      .get(
        `SELECT lifted_at, lifted_by FROM bans WHERE family = @family AND first = @first AND last = @last AND lifted_at >= @since AND lifted_by IS NOT '${ENDED_BY_DURATION}' AND jail = @jail
         ORDER BY lifted_at DESC LIMIT 1`,
      )
      .get({ ...blockParams(network), jail, since: since ?? Number.MIN_SAFE_INTEGER }) as Lift | undefined;
  }

  /** Whether the block has a replay of this jail's ban of time `at` recorded (a replay's time is fail2ban's own, the same at each restart). */
  private replayRecorded(network: Network, jail: string, at: number): boolean {
    return this.cache.get('SELECT 1 FROM bans WHERE family = @family AND first = @first AND last = @last AND jail = @jail AND banned_at = @at AND restored = 1 LIMIT 1').get({ ...blockParams(network), jail, at }) !== undefined;
  }

  /**
   * A lift a replay must not undo: fail2ban still holding its own ban of an address unbanned since
   * does not block it again. The replay is history, lifted by the same decision. One without its
   * time is of a ban from before fail2ban's restart, and one fail2ban began after the lift is an
   * active event here. fail2ban keeps a ban's time rounded to the nearest second, so its replay can
   * be dated up to a second after a lift made in the second the ban arrived.
   */
  liftOfReplay(event: BanEvent): Lift | undefined {
    if (!event.restored) return undefined;
    return this.liftedSince(event.network, event.jail, event.timeUnknown ? undefined : event.bannedAt - FAIL2BAN_TIME_ROUNDING);
  }

  /**
   * insertMany for events of a catch-up, which may hold replays: each is judged as the ban path
   * judges it (applyBan), against what is recorded up to it: a replay of a ban held here (active at
   * `now`) records nothing, one of a ban lifted since is recorded lifted (liftOfReplay).
   */
  insertCaughtUp(events: readonly BanEvent[], now: number): number {
    let inserted = 0;
    let plain: BanEvent[] = [];
    for (const event of events) {
      if (!event.restored) {
        plain.push(event);
        continue;
      }
      // The bans before it, of this batch too, are recorded first (replays are few).
      inserted += this.insertMany(plain);
      plain = [];
      if (this.hasActive(event.network, event.jail, now)) continue;
      const lift = this.liftOfReplay(event);
      if (lift === undefined) plain.push(event);
      else if (this.insertLifted(event, lift)) inserted++;
    }
    return inserted + this.insertMany(plain);
  }

  /**
   * Records an event as lifted already (history only); false when its uuid is stored already, or
   * when this replay is recorded already: fail2ban replays the bans it holds at each of its
   * restarts, under a new event id each time, and each restart added the same lifted replay again.
   */
  insertLifted(event: BanEvent, lift: Lift): boolean {
    if (event.restored && !event.timeUnknown && this.replayRecorded(event.network, event.jail, event.bannedAt)) return false;
    if (!this.insert(event)) return false;
    this.cache.get('UPDATE bans SET lifted_at = @lifted_at, lifted_by = @lifted_by WHERE uuid = @uuid').run({ ...lift, uuid: event.uuid });
    return true;
  }

  /**
   * The events of one block that `origin` recorded from one of `sources`, lifted ones too: what an
   * import compares its events with (import/same-ban.ts). Read from the block index, then the rows.
   */
  recordedElsewhere(network: Network, origin: string, sources: readonly string[]): RecordedEvent[] {
    const placeholders = sources.map((_, i) => `@source${i}`).join(', ');
    const params: Record<string, unknown> = { ...blockParams(network), origin };
    sources.forEach((source, i) => (params[`source${i}`] = source));
    const rows = this.cache
      .get(`SELECT id, jail, banned_at, bantime, restored FROM bans WHERE family = @family AND first = @first AND last = @last AND source IN (${placeholders}) AND origin = @origin`)
      .raw()
      .all(params) as Array<[number, string, number, number | null, 0 | 1]>;
    return rows.map(([id, jail, bannedAt, bantime, restored]) => ({ id, jail, bannedAt, bantime, restored: restored === 1 }));
  }

  /** Every block the policy makes permanent, ordered by first address: the planner's input. */
  qualifying(family: 4, policy: Policy, now: number): Cidr<number>[];
  qualifying(family: 6, policy: Policy, now: number): Cidr<bigint>[];
  qualifying(family: Family, policy: Policy, now: number): Cidr<number | bigint>[];
  qualifying(family: Family, policy: Policy, now: number): Cidr<number | bigint>[] {
    const { select, grouped, params } = qualifyingSql(family, policy, now);
    return unpackBlocks(family, this.cache.get(`${select} ${grouped}`).pluck().all(params));
  }

  /**
   * The same blocks, packed, read a page at a time as the pages are consumed (restore plans them as
   * they come, and ipset loads them meanwhile). Each page starts after the last block of the one
   * before, so a ban recorded meanwhile may or may not be among them; restore catches up on those.
   */
  qualifyingPages(family: 4, policy: Policy, now: number): PackedPages<number>;
  qualifyingPages(family: 6, policy: Policy, now: number): PackedPages<bigint>;
  qualifyingPages(family: Family, policy: Policy, now: number): PackedPages<number | bigint>;
  qualifyingPages(family: Family, policy: Policy, now: number): PackedPages<number | bigint> {
    const { select, grouped, params } = qualifyingSql(family, policy, now);
    // Pages rather than iterate(): all() costs less per row (11k blocks: 18 -> 10 ms), and a small
    // page never keeps the reader waiting long.
    const page = this.cache.get(`${select} AND (first, last) > (@afterFirst, @afterLast) ${grouped} LIMIT ${PAGE_ROWS}`).pluck();
    const unpack = unpackerOf(family);
    const pages = function* (): Generator<unknown[]> {
      let after = BEFORE_EVERY_KEY[family];
      for (;;) {
        const rows = page.all({ ...params, ...after });
        yield rows;
        if (rows.length < PAGE_ROWS) return;
        const last = unpack(rows[rows.length - 1]);
        after = { afterFirst: toStoredKey(family, last.first), afterLast: toStoredKey(family, last.last) };
      }
    };
    return { pages: pages(), unpack };
  }

  /**
   * The qualifying blocks that meet `network`, ordered by first address; with `maxId`, as they were
   * when the newest event was `maxId` (restore uses that to catch up on bans recorded meanwhile).
   */
  qualifyingAround(network: Network, policy: Policy, now: number, maxId: number = Number.MAX_SAFE_INTEGER): Network[] {
    const { events, blocks } = plannerSql(policy);
    const { sql, params } = blocksRelatedTo(network, 'meets', 'SELECT first, last', 'bans', `AND ${ACTIVE} AND id <= @maxId AND ${events} GROUP BY first, last ${blocks}`);
    withPolicyParams(params, policy, now).maxId = maxId;
    const rows = this.cache.get(`${sql} ORDER BY first, last`).raw().all(params) as RawBlock[];
    return rows.map(([first, last]) => networkFromKeys(network.family, first, last));
  }

  /**
   * qualifyingAround for many host addresses of one family at once: one query for the lot, where
   * each alone is a query of its own (a page of 500 bans from the fleet: ~30 µs each). A host meets
   * the blocks that start at it or at one of its enclosing starts and reach it.
   */
  qualifyingAroundHosts(hosts: readonly Network[], policy: Policy, now: number): Network[][] {
    if (hosts.length === 0) return [];
    const family = hosts[0]!.family;
    // Only the lengths some stored block has (migration 0011): the hosts themselves, and usually a few more.
    const lengths = this.cache.get('SELECT prefix FROM ban_prefixes WHERE family = ?').pluck().all(family) as number[];
    // Each host's starts in address order (the shorter the length, the lower its start), its own last.
    const startsOf = hosts.map((host) => [...enclosingStarts(host, lengths).reverse(), host.first]);
    const { events, blocks } = plannerSql(policy);
    const filter = startsFilter(family, [...new Set(startsOf.flat())], 'keys');
    const params = withPolicyParams({ family, keys: filter.starts }, policy, now);
    const rows = this.cache
      .get(`SELECT first, last FROM bans WHERE family = @family AND ${filter.sql} AND ${ACTIVE} AND ${events} GROUP BY first, last ${blocks} ORDER BY first, last`)
      .raw()
      .all(params) as RawBlock[];
    const byStart = new Map<number | bigint, Network[]>();
    for (const [first, last] of rows) {
      const block = networkFromKeys(family, first, last);
      const same = byStart.get(block.first);
      if (same) same.push(block);
      else byStart.set(block.first, [block]);
    }
    // Starts in address order, each start's blocks by last address: qualifyingAround's order.
    return hosts.map((host, i) => startsOf[i]!.flatMap((start) => byStart.get(start) ?? []).filter((block) => block.last >= host.first));
  }

  /** Which of these event ids are stored already. */
  storedIds(uuids: readonly Buffer[]): Set<string> {
    if (uuids.length === 0) return new Set();
    const rows = this.cache.get('SELECT hex(uuid) FROM bans WHERE uuid IN (SELECT unhex(value) FROM json_each(?))').pluck().all(JSON.stringify(uuids.map((uuid) => uuid.toString('hex')))) as string[];
    return new Set(rows.map((hex) => hex.toLowerCase()));
  }

  /** Id of the newest event (0 for an empty store). */
  maxId(): number {
    return this.cache.get('SELECT coalesce(max(id), 0) FROM bans').pluck().get() as number;
  }

  /**
   * Distinct blocks of the events recorded after `id`. Read by id range from the table: with the
   * DISTINCT beside the range SQLite scanned the whole block index instead (5.2 ms at 110k events
   * for one new event, 0.03 ms so).
   */
  blocksAfter(id: number): Network[] {
    const rows = this.cache.get('SELECT DISTINCT family, first, last FROM (SELECT family, first, last FROM bans WHERE id > ? ORDER BY id)').raw().all(id) as Array<[Family, unknown, unknown]>;
    return rows.map(([family, first, last]) => networkFromKeys(family, first, last));
  }

  /**
   * Lifts the bans of blocks inside `network` (of one jail, or all) in force at `now`, a temporary
   * one sooner than its end; returns how many events. Dated `now`, or for a lift `decided` earlier
   * elsewhere, then, but never before the ban itself (a replay of a ban recorded after the decision
   * must still find it lifted: liftOfReplay); with `decided.upTo`, only the events banned by then.
   */
  lift(network: Network, jail: string | undefined, now: number, by: string, decided?: DecidedLift): number {
    const lifted = this.cache
      .get(
        `UPDATE bans SET lifted_at = ${decided ? 'max(@at, min(banned_at, @now))' : '@now'}, lifted_by = @by
         WHERE ${liftedRows(jail, decided?.upTo)}`,
      )
      .run({ ...blockParams(network), jail, now, by, at: decided?.at, upTo: decided?.upTo } as Record<string, unknown>).changes;
    if (lifted > 0) noteRemoval(this.cache);
    return lifted;
  }

  /** The events in force at `now` that a lift `decided` with `upTo` leaves: banned after it, offences found since. */
  bannedAfter(network: Network, jail: string | undefined, now: number, upTo: number): number {
    return this.cache
      .get(`SELECT count(*) FROM bans WHERE ${liftedRows(jail)} AND banned_at > @upTo`)
      .pluck()
      .get({ ...blockParams(network), jail, now, upTo } as Record<string, unknown>) as number;
  }

  /** Every block banned inside `network` (lifted too), in address order. */
  blocksInside(network: Network): Network[] {
    const rows = this.cache
      .get('SELECT DISTINCT first, last FROM bans WHERE family = @family AND first BETWEEN @first AND @last AND last <= @last ORDER BY first, last')
      .raw()
      .all(blockParams(network)) as RawBlock[];
    return rows.map(([first, last]) => networkFromKeys(network.family, first, last));
  }

  /** Blocks with a ban in force at `now` that strictly contain `network`: they keep it blocked after an unban. */
  activeEnclosing(network: Network, now: number): string[] {
    // first and last only order the union; pluck() keeps the address.
    const { sql, params } = blocksRelatedTo(network, 'encloses', 'SELECT address, first, last', 'bans', `AND ${ACTIVE}`);
    return [...new Set(this.cache.get(`${sql} ORDER BY first, last`).pluck().all({ ...params, now }) as string[])];
  }

  /** All events (lifted too) of blocks that meet `network`, oldest first. */
  history(network: Network): EventRow[] {
    const { sql, params } = blocksRelatedTo(network, 'meets', 'SELECT *', 'bans');
    return this.cache.get(`${sql} ORDER BY banned_at, id`).all(params) as EventRow[];
  }

  /** One summary per block with active events, in address order (summaryPages, one after the other). */
  *summaries(policy: Policy, now: number, filter: SummaryFilter = {}): Generator<BlockSummary> {
    for (const page of this.summaryPages(policy, now, filter)) yield* page;
  }

  /**
   * The same summaries a page at a time, each page read as the one before is consumed: a listing
   * of millions never holds them all. Read them in one snapshot (Store.read or readAsync) for a
   * listing of one moment. `address` is the block's canonical text, written from its keys: the
   * block index holds every column read here, so SQLite never visits the table (5M blocks grouped
   * in 11 s, 38 s when each block's address was read from the table).
   */
  summaryPages(policy: Policy, now: number, filter: SummaryFilter = {}): Iterable<BlockSummary[]> {
    const { qualifies } = policySql(policy);
    // One event meets both: --jail sshd --since 1w lists what sshd banned this week.
    const conditions = [...(filter.jail === undefined ? [] : ['jail = @jail']), ...(filter.since === undefined ? [] : ['banned_at >= @since'])];
    const having = conditions.length > 0 ? `HAVING max(${conditions.join(' AND ')})` : '';
    const meets = filter.meets && meetsCondition(filter.meets);
    const page = this.cache.get(
      `SELECT ${PACKED_BLOCK}, count(*), sum(restored = 0), group_concat(DISTINCT jail), min(banned_at), max(banned_at), ${qualifies},
              CASE WHEN min(lifted_at IS NOT NULL) THEN max(lifted_at) END
       FROM bans WHERE ${ACTIVE} AND ${AFTER_BLOCK} ${meets ? `AND ${meets.sql}` : ''}
       GROUP BY family, first, last ${having} ORDER BY family, first, last LIMIT ${PAGE_ROWS}`,
    );
    const params = { ...policyParams(policy, now), jail: filter.jail, since: filter.since, ...meets?.params };
    // An active event lifted at all is a temporary one (ACTIVE): when all are, the block's ban ends with the last.
    const summary = (network: Network, [, , events, offences, jails, firstBanned, lastBanned, qualifying, until]: unknown[]): BlockSummary => ({
      network,
      address: formatNetwork(network),
      events: events as number,
      offences: offences as number,
      jails: jails as string,
      first_banned: firstBanned as number,
      last_banned: lastBanned as number,
      qualifies: qualifying as 0 | 1,
      until: until as number | null,
    });
    return blockPages(page, params, summary, filter.family ?? filter.meets?.family);
  }

  /**
   * Blocks whose last event is older than `cutoff`, with their event counts: what prune removes.
   * Blocks with a manual or forever ban are kept unless `includeManual`. A page at a time, each read
   * when the one before is consumed; a page starts after the last block of the one before, so prune
   * may delete a page's blocks before it reads the next.
   */
  stalePages(cutoff: number, includeManual: boolean): Iterable<StaleBlock[]> {
    const page = this.cache.get(
      `SELECT ${PACKED_BLOCK}, count(*) FROM bans WHERE ${AFTER_BLOCK} GROUP BY family, first, last
       HAVING max(banned_at) < @cutoff AND (@includeManual OR max(${KEPT_FOREVER}) = 0) ORDER BY family, first, last LIMIT ${PAGE_ROWS}`,
    );
    return blockPages(page, { cutoff, includeManual: includeManual ? 1 : 0 }, (network, [, , events]) => ({ network, address: formatNetwork(network), events: events as number }));
  }

  /**
   * Deletes every event of a block if it is still stale: a ban recorded since the block was listed
   * (the hook never waits for prune) keeps it. Returns the events deleted.
   */
  deleteIfStale(network: Network, cutoff: number, includeManual: boolean): number {
    const deleted = this.cache
      .get(
        `DELETE FROM bans WHERE family = @family AND first = @first AND last = @last
         AND (SELECT max(banned_at) < @cutoff AND (@includeManual OR max(${KEPT_FOREVER}) = 0)
              FROM bans WHERE family = @family AND first = @first AND last = @last)`,
      )
      .run({ ...blockParams(network), cutoff, includeManual: includeManual ? 1 : 0 }).changes;
    if (deleted > 0) {
      noteRemoval(this.cache);
      keepPublishedBelowFreedIds(this.cache);
    }
    return deleted;
  }

  /** Counts of the events in force at `now`, grouped by one column, for stats. */
  countBy(column: 'family' | 'jail' | 'source', now: number): Array<{ key: string | number; events: number; addresses: number }> {
    return this.cache
      .get(
        `SELECT ${column} AS key, count(*) AS events, count(DISTINCT family || ':' || address) AS addresses
         FROM bans WHERE ${ACTIVE} GROUP BY ${column} ORDER BY events DESC, key`,
      )
      .all({ now }) as Array<{ key: string | number; events: number; addresses: number }>;
  }

  /** Events, those lifted by `now`, and the blocks with an event in force. */
  totals(now: number): { events: number; lifted: number; addresses: number } {
    return this.cache
      .get(
        `SELECT count(*) AS events, coalesce(sum(lifted_at <= @now), 0) AS lifted,
                (SELECT count(*) FROM (SELECT 1 FROM bans WHERE ${ACTIVE} GROUP BY family, first, last)) AS addresses
         FROM bans`,
      )
      .get({ now }) as { events: number; lifted: number; addresses: number };
  }

  /**
   * The temporary bans that ran to their end after `since` and by `now` (one lifted sooner by an
   * unban left the live set then): what a live set loaded at `since` may still hold. From their index.
   */
  endedBetween(since: number, now: number): Array<{ address: string; until: number }> {
    return this.cache
      .get(`SELECT address, until FROM bans WHERE until > @since AND until <= @now AND lifted_at = until ORDER BY until, id`)
      .all({ since, now }) as Array<{ address: string; until: number }>;
  }
}
