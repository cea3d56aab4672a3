// `export --format json`: each planned entry with the history behind it. An entry is a piece of the
// plan (a banned block, or what the safelist left of one), so its history is that of every active
// banned block that meets it: how many events, how many of them new offences, which jails, and when
// it was first and last banned.

import { formatCidr } from '../address/format.js';
import type { Cidr, Family } from '../address/network.js';
import { formatTime } from '../clock.js';
import type { Config } from '../config/config.js';
import type { Plan } from '../plan/plan.js';
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

interface Tally {
  events: number;
  bans: number;
  jails: Set<string>;
  first: number;
  last: number;
}

export function entryHistories(store: Store, config: Config, now: number, plan: Plan): EntryHistory[] {
  // A summaries() iterator must be read to its end before the next one runs (one cached statement).
  return store.read(() => [
    ...(plan.v4.entries.length === 0 ? [] : familyHistories(4, plan.v4.entries, store.bans.summaries(config.policy, now, { family: 4 }))),
    ...(plan.v6.entries.length === 0 ? [] : familyHistories(6, plan.v6.entries, store.bans.summaries(config.policy, now, { family: 6 }))),
  ]);
}

/** `entries` are disjoint and ascending; `blocks` any active blocks of the family. */
export function familyHistories<K extends number | bigint>(family: Family, entries: readonly Cidr<K>[], blocks: Iterable<BlockSummary>): EntryHistory[] {
  const tallies: Array<Tally | undefined> = new Array(entries.length);
  for (const block of blocks) {
    const first = block.network.first as K;
    const last = block.network.last as K;
    for (let i = firstEndingAtOrAfter(entries, first); i < entries.length && entries[i]!.first <= last; i++) {
      const tally = tallies[i];
      if (tally === undefined) {
        tallies[i] = { events: block.events, bans: block.offences, jails: new Set(block.jails.split(',')), first: block.first_banned, last: block.last_banned };
        continue;
      }
      tally.events += block.events;
      tally.bans += block.offences;
      for (const jail of block.jails.split(',')) tally.jails.add(jail);
      tally.first = Math.min(tally.first, block.first_banned);
      tally.last = Math.max(tally.last, block.last_banned);
    }
  }
  return entries.map((entry, i) => {
    // Every entry comes from a banned block, so it has a tally; the fallback only guards the types.
    const tally = tallies[i] ?? { events: 0, bans: 0, jails: new Set<string>(), first: 0, last: 0 };
    return {
      address: formatCidr(family, entry as Cidr<number> & Cidr<bigint>),
      family,
      events: tally.events,
      bans: tally.bans,
      jails: [...tally.jails].sort(),
      first_banned: formatTime(tally.first),
      last_banned: formatTime(tally.last),
    };
  });
}

/** Index of the first entry whose last address is ≥ key (binary search over disjoint ascending entries). */
function firstEndingAtOrAfter<K extends number | bigint>(entries: readonly Cidr<K>[], key: K): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (entries[mid]!.last < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A JSON array with one entry per line: valid JSON, and still greppable for a million entries. */
export function* jsonLines(rows: readonly EntryHistory[]): Generator<string> {
  if (rows.length === 0) {
    yield '[]\n';
    return;
  }
  yield '[\n';
  for (let i = 0; i < rows.length; i += 2048) {
    yield `${rows.slice(i, i + 2048).map((row) => `  ${JSON.stringify(row)}`).join(',\n')}${i + 2048 < rows.length ? ',' : ''}\n`;
  }
  yield ']\n';
}
