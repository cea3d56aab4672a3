// `export --format json`: each planned entry with the history behind it. An entry is a piece of the
// plan (a banned block, or what the safelist left of one), so its history is that of every active
// banned block that meets it: how many events, how many of them new offences, which jails, and when
// it was first and last banned.

import { formatCidr } from '../address/format.js';
import type { Cidr, Family } from '../address/network.js';
import { formatTime } from '../clock.js';
import type { Config } from '../config/config.js';
import type { FamilyPlanSource, PlanSource } from '../plan/stream.js';
import type { BlockSummary } from '../store/bans.js';
import type { Store } from '../store/store.js';

export interface EntryHistory {
  readonly address: string;
  readonly family: Family;
  readonly events: number;
  /** Events that were new offences (not fail2ban replaying a ban after a restart). */
  readonly bans: number;
  readonly jails: string[];
  readonly first_banned: string;
  readonly last_banned: string;
}

/** The histories of the plan's entries, IPv4 first, a page at a time. Read them in one snapshot: they must describe exactly the planned entries. */
export function* entryHistoryPages(store: Store, config: Config, now: number, plan: PlanSource): Generator<EntryHistory[]> {
  yield* historyPages(4, plan.v4, store.bans.summaries(config.policy, now, { family: 4 }));
  yield* historyPages(6, plan.v6, store.bans.summaries(config.policy, now, { family: 6 }));
}

/**
 * The history of each entry the source plans, a page for each step of the source (and one for what
 * its end plans). `blocks` are
 * any active blocks of the family in address order, read along with the entries (not at all when
 * the source plans none).
 */
export function* historyPages<K extends number | bigint>(family: Family, source: FamilyPlanSource<K>, blocks: Iterable<BlockSummary>): Generator<EntryHistory[]> {
  const merge = new HistoryMerge<K>(family, blocks[Symbol.iterator]());
  let page: EntryHistory[] = [];
  for (const _step of source.pages({ entry: (entry) => void page.push(merge.history(entry)) })) {
    if (page.length === 0) continue;
    yield page;
    page = [];
  }
  if (page.length > 0) yield page;
}

/**
 * Entries (disjoint, ascending) met with the blocks that meet them (in address order), in one walk.
 * A block inside an entry meets only that entry. A block that reaches past the entry it meets
 * contains it (CIDR blocks nest or are apart) and may meet the entries after: those are kept, a
 * chain of nested blocks, one per prefix length at most. Nothing held grows with the store.
 */
class HistoryMerge<K extends number | bigint> {
  private reaching: BlockSummary[] = [];
  private next: IteratorResult<BlockSummary>;

  constructor(
    private readonly family: Family,
    private readonly blocks: Iterator<BlockSummary>,
  ) {
    this.next = blocks.next();
  }

  history(entry: Cidr<K>): EntryHistory {
    const tally = new Tally();
    if (this.reaching.length > 0) {
      this.reaching = this.reaching.filter((block) => (block.network.last as K) >= entry.first);
      for (const block of this.reaching) tally.add(block);
    }
    for (; !this.next.done && (this.next.value.network.first as K) <= entry.last; this.next = this.blocks.next()) {
      const block = this.next.value;
      if ((block.network.last as K) < entry.first) continue;
      tally.add(block);
      if ((block.network.last as K) > entry.last) this.reaching.push(block);
    }
    return tally.history(this.family, entry);
  }
}

class Tally {
  private events = 0;
  private bans = 0;
  private readonly jails = new Set<string>();
  private first: number | undefined;
  private last: number | undefined;

  add(block: BlockSummary): void {
    this.events += block.events;
    this.bans += block.offences;
    for (const jail of block.jails.split(',')) this.jails.add(jail);
    this.first = this.first === undefined ? block.first_banned : Math.min(this.first, block.first_banned);
    this.last = this.last === undefined ? block.last_banned : Math.max(this.last, block.last_banned);
  }

  history<K extends number | bigint>(family: Family, entry: Cidr<K>): EntryHistory {
    // Every entry comes from a banned block, so it has a tally; the zeros only guard the types.
    return {
      address: formatCidr(family, entry as Cidr<number> & Cidr<bigint>),
      family,
      events: this.events,
      bans: this.bans,
      jails: [...this.jails].sort(),
      first_banned: formatTime(this.first ?? 0),
      last_banned: formatTime(this.last ?? 0),
    };
  }
}
