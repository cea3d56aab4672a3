// One ban of fail2ban reaches the store by up to three ways: the hook when fail2ban acts, its database
// (`timeofban`, the time of the failure that completed the ban, and the bantime) and its log (the
// time fail2ban acted). Each is an event of its own source, and counted as an offence, one ban made
// three (with min_bans = 3, an address banned once became permanent). An import of the database or
// the log therefore drops an event that another of fail2ban's sources recorded already.
//
// The times differ: the database's is the failure's, seconds to the jail's findtime before fail2ban
// acted (the fixtures: up to 52 minutes, lines read back after a start); the log's and the hook's
// are the action's, the hook's a moment after the log line. But fail2ban never bans an address in a
// jail again while its ban there is in force ("already banned"): two events of one address and
// jail from two sources are the same ban when the later falls within the earlier's bantime, or
// within SAME_BAN_SLACK of it whatever the bantime (a log line knows none). A ban lifted with
// fail2ban-client unbanip and made again is a new one: its row replaced the old one, whose log line,
// more than the slack before, stays an offence of its own.
//
// Within one import each stored event stands for one event of the import at most (the closest in
// time), so two bans do not fold into one that another source recorded once. A replay (restored)
// may fold into the ban it replays; an offence never folds into a replay. Events of the same source
// are never compared: they are the same ban only when their ids are (see event-id.ts).

import type { Network } from '../address/network.js';
import type { BanEvent, RecordedEvent } from '../store/bans.js';
import type { Store } from '../store/store.js';
import type { ImportFormat } from './formats.js';

/**
 * Seconds between two records of one ban that need no bantime to be one: fail2ban writes the log
 * line, then runs the jail's actions one after another, the hook among them; fail2ban's times are
 * whole seconds (a manual banip's row came 1 s after its line). Shorter than the shortest re-ban
 * after an unbanip in the fixtures (85 s), far shorter than any bantime worth the name.
 */
export const SAME_BAN_SLACK = 60;

/** The sources that record fail2ban's own bans: its hook, its database, its log. */
export const FAIL2BAN_SOURCES: readonly string[] = ['fail2ban', 'import:fail2ban-db', 'import:fail2ban-log'];

/** What is compared of an event: its time, its bantime (-1 forever, null unknown), whether it is a replay. */
export interface Timed {
  readonly bannedAt: number;
  readonly bantime: number | null;
  readonly restored: boolean;
}

/** A stored event of another source (see BanTable.recordedElsewhere). */
export type Recorded = RecordedEvent;

/** Whether two events of one address and jail, from two sources, are one ban (see above). */
export function sameBan(a: Timed, b: Timed): boolean {
  const [early, late] = a.bannedAt <= b.bannedAt ? [a, b] : [b, a];
  const gap = late.bannedAt - early.bannedAt;
  return gap <= SAME_BAN_SLACK || early.bantime === -1 || (early.bantime !== null && gap < early.bantime);
}

/** The closest stored event, not yet taken, that `event` is the same ban as; undefined when there is none. */
export function sameBanIn(recorded: readonly Recorded[], event: Timed & { readonly jail: string }, taken: Pick<ReadonlySet<number>, 'has'>): Recorded | undefined {
  let best: Recorded | undefined;
  for (const candidate of recorded) {
    if (candidate.jail !== event.jail || taken.has(candidate.id) || (candidate.restored && !event.restored) || !sameBan(candidate, event)) continue;
    if (!best || Math.abs(candidate.bannedAt - event.bannedAt) < Math.abs(best.bannedAt - event.bannedAt)) best = candidate;
  }
  return best;
}

/** Whether an import of this format meets the bans other sources recorded: those with fail2ban's own times. */
export function recordsFail2banBans(format: ImportFormat): boolean {
  return format === 'fail2ban-db' || format === 'fail2ban-log';
}

/** One import's filter: the events another of fail2ban's sources recorded already are left out. */
export class SameBans {
  private readonly taken = new Set<number>();
  private readonly others: string[];

  constructor(
    private readonly origin: string,
    source: string,
  ) {
    this.others = FAIL2BAN_SOURCES.filter((other) => other !== source);
  }

  /**
   * The events of `batch` (in block order, as an import writes them) that no other source recorded,
   * and the stored events that stand for the others; call it in the transaction that writes them,
   * and keep() what it took once that commits (a transaction tried again must find them free). The
   * stored events of a block are read once for the events of that block that follow one another.
   */
  unrecorded(store: Store, batch: readonly BanEvent[]): { fresh: BanEvent[]; taken: Set<number> } {
    const fresh: BanEvent[] = [];
    const taken = new Set<number>();
    const takenBefore = { has: (id: number) => this.taken.has(id) || taken.has(id) };
    let block: Network | undefined;
    let recorded: Recorded[] = [];
    for (const event of batch) {
      const network = event.network;
      if (!block || block.family !== network.family || block.first !== network.first || block.prefix !== network.prefix) {
        block = network;
        recorded = store.bans.recordedElsewhere(network, this.origin, this.others);
      }
      const same = recorded.length === 0 ? undefined : sameBanIn(recorded, event, takenBefore);
      if (same) taken.add(same.id);
      else fresh.push(event);
    }
    return { fresh, taken };
  }

  /** What a committed batch took (see unrecorded). */
  keep(taken: ReadonlySet<number>): void {
    for (const id of taken) this.taken.add(id);
  }
}
