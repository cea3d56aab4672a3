// The planner: from the banned blocks and the safelist, the entries a live set must hold. Pure and
// linear after sorting: blocks arrive ordered by first address (the store's index gives that order
// for free), the safelist is sorted and merged once, and one sweep walks both.

import type { Cidr, KeySpace, Range } from '../address/network.js';

export interface FamilyPlan<K extends number | bigint> {
  /** Disjoint CIDR blocks in ascending order: what the live set must contain, nothing more. */
  readonly entries: Cidr<K>[];
  /** Distinct outermost banned blocks the plan started from. */
  readonly banned: number;
  /** Banned blocks entirely inside the safelist. */
  readonly dropped: number;
  /** Banned blocks the safelist cut into pieces. */
  readonly split: number;
}

export interface Plan {
  readonly v4: FamilyPlan<number>;
  readonly v6: FamilyPlan<bigint>;
}

/**
 * Plans one family. `bans` must be CIDR blocks sorted by first address; the safelist may be any
 * ranges in any order. Blocks nested in a larger banned block are dropped (the outer one covers
 * them), and every block is cut around the safelist into the fewest CIDRs that remain.
 */
export function planFamily<K extends number | bigint>(
  space: KeySpace<K>,
  bans: Iterable<Range<K>>,
  safelist: Iterable<Range<K>>,
): FamilyPlan<K> {
  const safe = mergeRanges(space, safelist);
  const entries: Cidr<K>[] = [];
  let banned = 0;
  let dropped = 0;
  let split = 0;
  let s = 0; // first safelist range that may still meet a block
  let outer: Range<K> | undefined;

  const emit = (block: Range<K>): void => {
    banned++;
    while (s < safe.length && safe[s]!.last < block.first) s++;
    if (s === safe.length || safe[s]!.first > block.last) {
      space.cover(block.first, block.last, entries);
      return;
    }
    const before = entries.length;
    let cursor = block.first;
    let covered = false;
    for (let i = s; i < safe.length && safe[i]!.first <= block.last; i++) {
      const range = safe[i]!;
      if (range.first > cursor) space.cover(cursor, space.prev(range.first), entries);
      if (range.last >= block.last) {
        covered = true;
        break;
      }
      cursor = space.next(range.last);
    }
    if (!covered) space.cover(cursor, block.last, entries);
    if (entries.length === before) dropped++;
    else split++;
  };

  for (const block of bans) {
    if (outer !== undefined) {
      if (block.first < outer.first) throw new Error('planner input is not sorted by first address');
      if (block.first <= outer.last) {
        // CIDR blocks that meet are nested; with equal starts the later (larger) one is the outer.
        if (block.last > outer.last) outer = block;
        continue;
      }
      emit(outer);
    }
    outer = block;
  }
  if (outer !== undefined) emit(outer);
  return { entries, banned, dropped, split };
}

/** Sorts ranges and merges the ones that overlap or touch, giving disjoint ranges in order. */
export function mergeRanges<K extends number | bigint>(space: KeySpace<K>, ranges: Iterable<Range<K>>): Range<K>[] {
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const merged: Range<K>[] = [];
  for (const range of sorted) {
    const top = merged.at(-1);
    if (top !== undefined && (top.last >= range.first || (top.last < space.max && space.next(top.last) === range.first))) {
      if (range.last > top.last) merged[merged.length - 1] = { first: top.first, last: range.last };
    } else {
      merged.push(range);
    }
  }
  return merged;
}
