import type { Cidr, Family } from '../address/network.js';

export interface FamilyDelta<K extends number | bigint> {
  readonly add: Cidr<K>[];
  readonly del: Cidr<K>[];
}

export interface Delta {
  readonly v4: FamilyDelta<number>;
  readonly v6: FamilyDelta<bigint>;
}

export const EMPTY_DELTA: Delta = { v4: { add: [], del: [] }, v6: { add: [], del: [] } };

export function isEmptyDelta(delta: Delta): boolean {
  return delta.v4.add.length + delta.v4.del.length + delta.v6.add.length + delta.v6.del.length === 0;
}

/**
 * What turns the `before` entries into the `after` entries. Both must be sorted by first address,
 * then prefix (planner output is: ascending and disjoint); blocks are compared by (first, prefix),
 * so one merge walk finds the blocks on one side only, even when one side holds nested blocks
 * (live routes left behind by racing hooks).
 */
export function diffEntries<K extends number | bigint>(before: readonly Cidr<K>[], after: readonly Cidr<K>[]): FamilyDelta<K> {
  const add: Cidr<K>[] = [];
  const del: Cidr<K>[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const old = before[i];
    const now = after[j];
    const order = old === undefined ? 1 : now === undefined ? -1 : old.first < now.first ? -1 : old.first > now.first ? 1 : old.prefix - now.prefix;
    if (order < 0) {
      del.push(old!);
      i++;
    } else if (order > 0) {
      add.push(now!);
      j++;
    } else {
      i++;
      j++;
    }
  }
  return { add, del };
}

/** The live-set delta between two plans of one region of `family`'s addresses. */
export function deltaBetween(family: Family, before: readonly Cidr<number | bigint>[], after: readonly Cidr<number | bigint>[]): Delta {
  return withFamily(EMPTY_DELTA, family, diffEntries(before, after));
}

/** `delta` with `extra` deletes of `family` added, each block once. */
export function withDeletes(delta: Delta, family: Family, extra: readonly Cidr<number | bigint>[]): Delta {
  const own: FamilyDelta<number | bigint> = family === 4 ? delta.v4 : delta.v6;
  const key = (cidr: Cidr<number | bigint>) => `${cidr.first}/${cidr.prefix}`;
  const planned = new Set([...own.del, ...own.add].map(key));
  return withFamily(delta, family, { add: own.add, del: [...own.del, ...extra.filter((cidr) => !planned.has(key(cidr)))] });
}

/** `delta` with the change of one family replaced. */
function withFamily(delta: Delta, family: Family, change: FamilyDelta<number | bigint>): Delta {
  return family === 4 ? { ...delta, v4: change as Delta['v4'] } : { ...delta, v6: change as Delta['v6'] };
}

/** Concatenates deltas computed for separate regions (a bulk operation touches many). */
export function mergeDeltas(deltas: readonly Delta[]): Delta {
  return {
    v4: { add: deltas.flatMap((d) => d.v4.add), del: deltas.flatMap((d) => d.v4.del) },
    v6: { add: deltas.flatMap((d) => d.v6.add), del: deltas.flatMap((d) => d.v6.del) },
  };
}
