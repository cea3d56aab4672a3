// Glue between the store and the pure planner: turns stored keys into numbers and adds the
// config file's safelist to the store's.

import { networkOf, V4, V6, type Cidr, type Family, type KeySpace, type Network, type Range } from '../address/network.js';
import type { Config } from '../config/config.js';
import { FamilyPlanner, planFamily, type Plan, type PlanStats } from '../plan/plan.js';
import { collect, type FamilyPlanStream, type PlanSource, type PlanStream } from '../plan/stream.js';
import { SafelistIndex, type Coverage } from '../plan/safelist-index.js';
import { deltaBetween, withDeletes, type Delta } from '../plan/diff.js';
import { PackedEntries6, PackedKeys4 } from '../plan/compare.js';
import type { Store } from '../store/store.js';

/** The whole plan at once, from one snapshot of the store (export, prune, doctor). */
export function planStore(store: Store, config: Config, now: number): Plan {
  return store.read(() => collect(streamPlan(store, config, now)));
}

/**
 * The whole plan from one snapshot, IPv4 packed (see plan/compare.ts): what prune compares before
 * and after its deletion, where a plan of Cidr objects would cost gigabytes at millions of entries.
 */
export interface PackedPlan {
  readonly v4: Float64Array;
  readonly v6: PackedEntries6;
}

export function packedPlan(store: Store, config: Config, now: number): PackedPlan {
  return store.read(() => {
    const stream = streamPlan(store, config, now);
    const v4 = new PackedKeys4();
    for (const _ of stream.v4.pages(v4));
    const v6 = new PackedEntries6();
    for (const _ of stream.v6.pages(v6));
    // Planned in ascending order already: no sort.
    return { v4: v4.pushed(), v6 };
  });
}

/** The plan as a stream, for restore: the store is read a page at a time as the backend plans it into its sink. */
export function streamPlan(store: Store, config: Config, now: number): PlanStream {
  return { v4: streamFamilyPlan(store, config, now, 4), v6: streamFamilyPlan(store, config, now, 6) };
}

/**
 * The plan as sources that plan from the store anew each time they run, a page at a time: export
 * counts entries before it writes them, and holds none. Run them in one snapshot (Store.readAsync).
 */
export function replannedPlan(store: Store, config: Config, now: number): PlanSource {
  return {
    v4: { pages: (sink) => streamFamilyPlan(store, config, now, 4).pages(sink) },
    v6: { pages: (sink) => streamFamilyPlan(store, config, now, 6).pages(sink) },
  };
}

/** One family of streamPlan (self-heal asks whether a family plans anything at all). */
export function streamFamilyPlan(store: Store, config: Config, now: number, family: 4): FamilyPlanStream<number>;
export function streamFamilyPlan(store: Store, config: Config, now: number, family: 6): FamilyPlanStream<bigint>;
export function streamFamilyPlan(store: Store, config: Config, now: number, family: Family): FamilyPlanStream<number | bigint>;
export function streamFamilyPlan(store: Store, config: Config, now: number, family: Family): FamilyPlanStream<number | bigint> {
  const space = (family === 4 ? V4 : V6) as KeySpace<number | bigint>;
  const safelist = safelistOf<number | bigint>(store, config, family);
  // No family has more blocks than the store has events (the likely size), and a safelist range
  // cuts at most 2 × bits extra pieces out of the block around it (the bound).
  const events = store.bans.maxId();
  const stats: PlanStats = { banned: 0, dropped: 0, split: 0, planned: 0 };
  return {
    pages: function* (sink) {
      const planner = new FamilyPlanner(space, safelist, sink, stats);
      const { pages, unpack } = store.bans.qualifyingPages(family, config.policy, now);
      for (const page of pages) {
        planner.take(page, unpack);
        yield;
      }
      planner.end();
    },
    sizeHint: events,
    sizeBound: events + 2 * space.bits * safelist.length,
    stats,
    collect: () => planFamily(space, store.bans.qualifying(family, config.policy, now), safelist, stats),
  };
}

/**
 * The planned entries near one block: the outcome of every banned block that meets it. A change to
 * that block (a ban, an unban, a safelist entry) can only change these, so the difference of this
 * before and after the change is exactly what the live set must do. The safelist is read around the
 * widest banned block involved, since a range anywhere inside that block shapes its pieces.
 */
export function planAround(store: Store, config: Config, now: number, network: Network, maxId?: number): Cidr<number | bigint>[] {
  const bans = store.bans.qualifyingAround(network, config.policy, now, maxId);
  return planBlocks(network.family, bans, safelistAround(store, config, network, bans));
}

/** The safelist ranges (store and config) around the widest of `bans` that holds `network`. */
function safelistAround(store: Store, config: Config, network: Network, bans: readonly Cidr<number | bigint>[]): Range<number | bigint>[] {
  const family = network.family;
  let extent: Range<number | bigint> = network;
  for (const block of bans) if (block.first <= extent.first && block.last >= extent.last) extent = block;
  return [
    ...store.safelist.around(networkOf(family, extent.first, extent.last)).map((row) => row.network),
    ...config.safelist.filter((entry) => entry.family === family),
  ];
}

/** The planned entries of `bans`, blocks in address order, beside the safelist ranges `safe`. */
function planBlocks(family: Family, bans: readonly Cidr<number | bigint>[], safe: readonly Range<number | bigint>[]): Cidr<number | bigint>[] {
  return family === 4
    ? planFamily(V4, bans as Cidr<number>[], safe as Range<number>[]).entries
    : planFamily(V6, bans as Cidr<bigint>[], safe as Range<bigint>[]).entries;
}

/** `blocks` with `block` in its place (the planner wants order), unless it is there already. */
function withBlock(blocks: readonly Cidr<number | bigint>[], block: Cidr<number | bigint>): readonly Cidr<number | bigint>[] {
  const at = insertionPoint(blocks, block);
  const there = blocks[at];
  if (there && there.first === block.first && there.last === block.last) return blocks;
  return [...blocks.slice(0, at), block, ...blocks.slice(at)];
}

/** Where `block` goes among blocks sorted by first address, then last. */
function insertionPoint(blocks: readonly Cidr<number | bigint>[], block: Cidr<number | bigint>): number {
  const at = blocks.findIndex((other) => other.first > block.first || (other.first === block.first && other.last >= block.last));
  return at === -1 ? blocks.length : at;
}

export interface ChangeAround<T> {
  readonly result: T;
  /** What the live set must do. */
  readonly delta: Delta;
  /** The planned entries around the block after the change. */
  readonly after: Cidr<number | bigint>[];
}

/** Runs `change` and returns it together with the live-set delta it causes around `network`. */
export function changeAround<T>(store: Store, config: Config, now: number, network: Network, change: () => T): ChangeAround<T> {
  const before = planAround(store, config, now, network);
  const result = change();
  const after = planAround(store, config, now, network);
  return { result, delta: deltaBetween(network.family, before, after), after };
}

/**
 * changeAround for a change that stores one block which qualifies the moment it is stored (a new
 * ban under a policy that asks for nothing more): the plan after it is the plan before it with
 * that block, so the blocks around it are read from the store once, not twice.
 */
export function changeAroundAdding<T>(store: Store, config: Config, now: number, network: Network, change: () => T): ChangeAround<T> {
  const bans = store.bans.qualifyingAround(network, config.policy, now);
  // The block itself widens no extent: the same safelist ranges shape both plans.
  const safe = safelistAround(store, config, network, bans);
  const before = planBlocks(network.family, bans, safe);
  const result = change();
  const after = planBlocks(network.family, withBlock(bans, network), safe);
  return { result, delta: deltaBetween(network.family, before, after), after };
}

/**
 * changeAroundAdding for host blocks none of which meets another (the caller makes sure): the
 * blocks around them are read in one query (BanTable.qualifyingAroundHosts), each host's plans and
 * delta worked out as changeAroundAdding works out one's. In a storm the daemon applies the fleet's
 * bans a page at a time, and one query per ban was the largest part of its work.
 */
export function changesAroundAddingHosts<T>(store: Store, config: Config, now: number, hosts: readonly Network[], change: () => T): { readonly result: T; readonly changes: Array<Omit<ChangeAround<T>, 'result'>> } {
  const around = new Array<{ bans: readonly Cidr<number | bigint>[]; safe: Range<number | bigint>[]; before: Cidr<number | bigint>[] }>(hosts.length);
  // Asked once for the lot: most stores keep no safelist of their own (the config's is not in it).
  const storeSafelist = store.safelist.count() > 0;
  for (const family of [4, 6] as const) {
    const indexes = hosts.flatMap((host, i) => (host.family === family ? [i] : []));
    if (indexes.length === 0) continue;
    const found = store.bans.qualifyingAroundHosts(indexes.map((i) => hosts[i]!), config.policy, now);
    const configured = config.safelist.filter((entry) => entry.family === family);
    indexes.forEach((i, k) => {
      const bans = found[k]!;
      const safe = storeSafelist ? safelistAround(store, config, hosts[i]!, bans) : configured;
      around[i] = { bans, safe, before: planBlocks(family, bans, safe) };
    });
  }
  const result = change();
  const changes = hosts.map((host, i) => {
    const { bans, safe, before } = around[i]!;
    const after = planBlocks(host.family, withBlock(bans, host), safe);
    return { delta: deltaBetween(host.family, before, after), after };
  });
  return { result, changes };
}

/**
 * What changed around `network` since `applied` (the plan a change's delta brought the live set
 * to) was planned. The ban hook applies its change after its commit and without the apply lock, so
 * a change committed after another one can reach the live set first and be undone by the one
 * landing later: a safelisted address added back, a host re-added inside a block, an unbanned
 * address removed after a new ban re-added it. Whoever applies a change applies this difference
 * next, which repairs that; it is almost always empty.
 */
export function settleAround(store: Store, config: Config, now: number, network: Network, applied: readonly Cidr<number | bigint>[]): Delta {
  return deltaBetween(network.family, applied, store.read(() => planAround(store, config, now, network)));
}

/**
 * `change` for a range that becomes safe (safelist add): its delta also deletes every block ever
 * banned inside the range. Two hooks apply their live changes in whatever order they finish, so a
 * host entry can stay live inside a block that replaced it; the plan no longer has it, and only this
 * sweep takes it out. Deleting an entry that is not there is harmless in every backend.
 */
export function makeSafe<T>(store: Store, config: Config, now: number, network: Network, change: () => T): SafeChange<T> {
  const changed = changeAround(store, config, now, network, change);
  const inside = store.bans.blocksInside(network);
  return { ...changed, swept: withDeletes(changed.delta, network.family, inside) };
}

export interface SafeChange<T> extends ChangeAround<T> {
  /** `delta` and a delete of every block banned inside the range: what the live set must do. */
  readonly swept: Delta;
}

export interface SafelistIndexes {
  readonly 4: SafelistIndex<number>;
  readonly 6: SafelistIndex<bigint>;
}

/** The whole safelist (store and config) of both families, for "is this block safelisted?" lookups. */
export function safelistIndexes(store: Store, config: Config): SafelistIndexes {
  return { 4: new SafelistIndex(V4, safelistOf<number>(store, config, 4)), 6: new SafelistIndex(V6, safelistOf<bigint>(store, config, 6)) };
}

/** How much of a stored block the safelist covers. */
export function safelistCoverage(indexes: SafelistIndexes, network: Network): Coverage {
  return (indexes[network.family] as SafelistIndex<number | bigint>).coverage(network);
}

function safelistOf<K extends number | bigint>(store: Store, config: Config, family: Family): Range<K>[] {
  const extra = config.safelist.filter((entry) => entry.family === family) as unknown as Range<K>[];
  return [...(store.safelist.ranges(family) as unknown as Range<K>[]), ...extra];
}
