// Plans as streams: a planner hands its entries to a sink as it finds them, a page of the store at
// a time, so that a restore of a million blocks never holds them all and a backend writes each
// entry once, where its tool reads it.

import type { Cidr } from '../address/network.js';
import type { FamilyPlan, Plan, PlanStats } from './plan.js';

/** Where a planner puts its entries, in order. */
export interface PlanSink<K extends number | bigint> {
  entry(cidr: Cidr<K>): void;
}

/** A family's entries, planned into a sink. */
export interface FamilyPlanSource<K extends number | bigint> {
  /**
   * Plans the family's entries in order into `sink`, some more at each step (a stream: one page of
   * the store; ipset hands a step's entries to its tool before the next). Call once, unless the
   * source is made to run again (entriesSource, replannedPlan): each run then plans it all anew.
   */
  readonly pages: (sink: PlanSink<K>) => Iterable<void>;
}

export interface PlanSource {
  readonly v4: FamilyPlanSource<number>;
  readonly v6: FamilyPlanSource<bigint>;
}

/**
 * A plan produced while it is consumed, so restore never holds every block at once: the store is
 * read a page at a time, ipset takes each page's entries as they are planned (reading the store
 * overlaps with the kernel loading the set), and the nftables backend writes them straight into the
 * batch it hands nft.
 */
export interface FamilyPlanStream<K extends number | bigint> extends FamilyPlanSource<K> {
  /** About the number of entries, to size a set's hash before they are known. */
  readonly sizeHint: number;
  /** At least the number of entries: a set that may never hold more must allow this many. */
  readonly sizeBound: number;
  /** Complete once `pages` has run to its end (firstPlanned stops early). */
  readonly stats: Readonly<PlanStats>;
  /**
   * The same plan at once instead, as arrays (the route backend diffs it against the live routes;
   * export, prune and doctor). The store is then read in one query, and `stats` are filled in too.
   * Use either this or `pages`.
   */
  readonly collect: () => FamilyPlan<K>;
}

export interface PlanStream {
  readonly v4: FamilyPlanStream<number>;
  readonly v6: FamilyPlanStream<bigint>;
}

/** The whole plan of a stream, for backends that need every entry at once. */
export function collect(plan: PlanStream): Plan {
  return { v4: plan.v4.collect(), v6: plan.v6.collect() };
}

/** Plans all of a family into `sink`. */
export function planAll<K extends number | bigint>(source: FamilyPlanSource<K>, sink: PlanSink<K>): void {
  for (const _page of source.pages(sink));
}

/** The family's first planned entry, planning no further than the page it is in. */
export function firstPlanned<K extends number | bigint>(source: FamilyPlanSource<K>): Cidr<K> | undefined {
  let first: Cidr<K> | undefined;
  for (const _page of source.pages({ entry: (cidr) => void (first ??= cidr) })) if (first !== undefined) break;
  return first;
}

/**
 * Entries planned already, as a source that may run any number of times: an exported plan runs
 * its sources more than once (counting the entries before it writes them), and tests hand arrays.
 */
export function entriesSource<K extends number | bigint>(entries: readonly Cidr<K>[]): FamilyPlanSource<K> {
  return {
    pages: function* (sink) {
      for (let i = 0; i < entries.length; i++) sink.entry(entries[i]!);
      yield;
    },
  };
}

/** How many entries the source plans, planning them all (a source that may run again). */
export function countPlanned<K extends number | bigint>(source: FamilyPlanSource<K>): number {
  let count = 0;
  planAll(source, { entry: () => void count++ });
  return count;
}
