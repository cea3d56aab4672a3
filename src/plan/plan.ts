// The planner: from the banned blocks and the safelist, the entries a live set must hold. Pure and
// linear after sorting: blocks arrive ordered by first address (the store's index gives that order
// for free), the safelist is sorted and merged once, and one sweep walks both.

import type { Cidr, KeySpace, Range } from '../address/network.js';

export interface PlanStats {
  /** Distinct outermost banned blocks the plan started from. */
  banned: number;
  /** Banned blocks entirely inside the safelist. */
  dropped: number;
  /** Banned blocks the safelist cut into pieces. */
  split: number;
  /** Entries planned (a stream counts them as they are taken). */
  planned: number;
}

export interface FamilyPlan<K extends number | bigint> extends Readonly<PlanStats> {
  /** Disjoint CIDR blocks in ascending order: what the live set must contain, nothing more. */
  readonly entries: Cidr<K>[];
}

export interface Plan {
  readonly v4: FamilyPlan<number>;
  readonly v6: FamilyPlan<bigint>;
}

/**
 * A plan produced while it is consumed, so restore never holds every block at once: ipset takes the
 * entries as they are planned (reading the store overlaps with the kernel loading the set), and the
 * nftables backend writes them straight into the batch it hands nft.
 */
export interface FamilyPlanStream<K extends number | bigint> {
  /** The entries of FamilyPlan, in the same order; iterate once. */
  readonly entries: Iterable<Cidr<K>>;
  /** About the number of entries, to size a set's hash before they are known. */
  readonly sizeHint: number;
  /** At least the number of entries: a set that may never hold more must allow this many. */
  readonly sizeBound: number;
  /** Complete once `entries` has been iterated. */
  readonly stats: Readonly<PlanStats>;
  /**
   * The same plan at once instead, as arrays (the route backend diffs it against the live routes;
   * export, prune and doctor). The store is then read in one query, and `stats` are filled in too.
   * Use either this or `entries`.
   */
  readonly collect: () => FamilyPlan<K>;
}

export interface PlanStream {
  readonly v4: FamilyPlanStream<number>;
  readonly v6: FamilyPlanStream<bigint>;
}

/** What a plan and a plan stream have in common: each family's entries, in order. */
export interface PlanEntries {
  readonly v4: { readonly entries: Iterable<Cidr<number>> };
  readonly v6: { readonly entries: Iterable<Cidr<bigint>> };
}

/** The whole plan of a stream, for backends that need every entry at once. */
export function collect(plan: PlanStream): Plan {
  return { v4: plan.v4.collect(), v6: plan.v6.collect() };
}

/**
 * Plans one family. `bans` must be CIDR blocks sorted by first address; the safelist may be any
 * ranges in any order. Blocks nested in a larger banned block are dropped (the outer one covers
 * them), and every block is cut around the safelist into the fewest CIDRs that remain. `stats`
 * (a stream's own, when it is collected) is filled in on the way.
 */
export function planFamily<K extends number | bigint>(
  space: KeySpace<K>,
  bans: Iterable<Cidr<K>>,
  safelist: Iterable<Range<K>>,
  stats: PlanStats = { banned: 0, dropped: 0, split: 0, planned: 0 },
): FamilyPlan<K> {
  const entries = [...planEntries(space, bans, safelist, stats)];
  return { entries, ...stats };
}

/** planFamily's entries one by one, as the sweep finds them; `stats` is filled in on the way. */
export function* planEntries<K extends number | bigint>(
  space: KeySpace<K>,
  bans: Iterable<Cidr<K>>,
  safelist: Iterable<Range<K>>,
  stats: PlanStats,
): Generator<Cidr<K>> {
  const safe = mergeRanges(space, safelist);
  const pieces: Cidr<K>[] = [];
  let s = 0; // first safelist range that may still meet a block
  let outer: Cidr<K> | undefined;

  /** Whether the safelist meets one outermost block (the ranges before it are passed for good). */
  const meetsSafelist = (block: Cidr<K>): boolean => {
    while (s < safe.length && safe[s]!.last < block.first) s++;
    return s < safe.length && safe[s]!.first <= block.last;
  };

  /** An outermost block the safelist does not meet: it stays whole. */
  const whole = (block: Cidr<K>): Cidr<K> => {
    stats.banned++;
    stats.planned++;
    return block;
  };

  /** The pieces of an outermost block that the safelist meets. */
  const cut = (block: Cidr<K>): Cidr<K>[] => {
    stats.banned++;
    pieces.length = 0;
    let cursor = block.first;
    let covered = false;
    for (let i = s; i < safe.length && safe[i]!.first <= block.last; i++) {
      const range = safe[i]!;
      if (range.first > cursor) space.cover(cursor, space.prev(range.first), pieces);
      if (range.last >= block.last) {
        covered = true;
        break;
      }
      cursor = space.next(range.last);
    }
    if (!covered) space.cover(cursor, block.last, pieces);
    if (pieces.length === 0) stats.dropped++;
    else stats.split++;
    stats.planned += pieces.length;
    return pieces;
  };

  // Most blocks stay whole, and are yielded without an array in between.
  for (const block of bans) {
    if (outer !== undefined) {
      if (block.first < outer.first) throw new Error('planner input is not sorted by first address');
      if (block.first <= outer.last) {
        // CIDR blocks that meet are nested; with equal starts the later (larger) one is the outer.
        if (block.last > outer.last) outer = block;
        continue;
      }
      if (meetsSafelist(outer)) yield* cut(outer);
      else yield whole(outer);
    }
    outer = block;
  }
  if (outer !== undefined) {
    if (meetsSafelist(outer)) yield* cut(outer);
    else yield whole(outer);
  }
}

/** Sorts ranges and merges the ones that overlap or touch, giving disjoint ranges in order. */
function isSortedByFirst<K extends number | bigint>(ranges: readonly Range<K>[]): boolean {
  for (let i = 1; i < ranges.length; i++) if (ranges[i - 1]!.first > ranges[i]!.first) return false;
  return true;
}

export function mergeRanges<K extends number | bigint>(space: KeySpace<K>, ranges: Iterable<Range<K>>): Range<K>[] {
  const sorted = [...ranges];
  // The store hands them over sorted; checking is cheaper than sorting again.
  if (!isSortedByFirst(sorted)) sorted.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: Range<K>[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const range = sorted[i]!;
    const top = merged[merged.length - 1];
    if (top !== undefined && (top.last >= range.first || (top.last < space.max && space.next(top.last) === range.first))) {
      if (range.last > top.last) merged[merged.length - 1] = { first: top.first, last: range.last };
    } else {
      merged.push(range);
    }
  }
  return merged;
}
