// The one interface `restore`, the hook and the admin commands talk to. None of them knows which
// firewall is underneath; each implementation lives in its own file.

import type { Cidr, Family, Network } from '../address/network.js';
import type { LiveIndex } from '../plan/live-index.js';
import type { BackendName, Config } from '../config/config.js';
import type { Delta } from '../plan/diff.js';
import type { PlanStream } from '../plan/stream.js';

export interface ApplyReport {
  /** Entries now in the live set, per family. */
  readonly v4: number;
  readonly v6: number;
  /** One line each: what was created, repaired or cleaned up on the way. */
  readonly notes: string[];
}

export interface ApplyOptions {
  /** Load every set whole even when it is in place and could be updated (restore --rebuild). */
  readonly rebuild?: boolean;
}

export interface UpdateReport {
  readonly added: number;
  readonly removed: number;
  /** Set when nothing could be done because there is no live set yet (restore has not run). */
  readonly absent?: string;
}

/** What self-heal can tell a backend whose containers cannot show what is missing (routes, emptied sets). */
export interface PresenceHints {
  /** The first planned entry of a family, read from the store when asked. */
  firstPlanned(family: Family): Cidr<number | bigint> | undefined;
  /**
   * How many entries a live set of the family holds when it is in line with the store, for a
   * backend that can count its entries cheaply (an ipset header): at least `min`, at most `max`
   * (see actions/plan-count.ts). Undefined when it could not be told cheaply (the daemon then has
   * a job count it). Read from the store when asked.
   */
  plannedRange?(family: Family): { readonly min: number; readonly max: number } | undefined;
  /**
   * Also read what refers to the sets where only a listing of them tells it (nftables' rules: nft
   * reads back every element to list a chain): for a command's report, not the daemon's check.
   */
  readonly rules?: boolean;
}

/** One thing a backend needs in place, as doctor reports it and the daemon's self-heal checks it. */
export interface LiveCheck {
  /** What is checked, e.g. "ipset stickyban4" or "jump from INPUT to Blocklist (iptables)". */
  readonly what: string;
  readonly ok: boolean;
  /** When not ok: what is wrong, in a few words. */
  readonly problem?: string;
  /** When ok but worth a word (doctor warns; self-heal does not restore): a hook chain that does not exist yet. */
  readonly warning?: string;
  /**
   * When ok with a warning about a rule of the admin's that lets packets past the drop: whether it
   * lets every packet past (the set blocks nothing) or only what it matches.
   */
  readonly bypass?: 'every packet' | 'what it matches';
  /** What the admin must do: when not ok and a restore cannot repair it (a set of another type in the way), or for a warning. */
  readonly fix?: string;
  /** The family it is about, when only one: a missing IPv6 jump does not unblock an IPv4 address. */
  readonly family?: Family;
  /**
   * When not ok: the set is in place, but holds more or fewer entries than the store plans. A
   * hook's live change on its way does that for a moment too, so it is checked again before it is
   * repaired.
   */
  readonly miscount?: boolean;
}

export interface Inspection {
  readonly checks: LiveCheck[];
  /** Entries in the live sets, undefined where the set does not exist. */
  readonly entries: { readonly v4: number | undefined; readonly v6: number | undefined };
}

/**
 * A long-lived way to apply updates: one tool process for many updates (the daemon holds one), where
 * update() starts a process each time. It is given up on its first failure; the caller then updates
 * the one-shot way and may open another.
 */
export interface LiveSession {
  update(delta: Delta): Promise<UpdateReport>;
  close(): void;
}

export interface RetireOptions {
  /**
   * Only what is as stickyban makes it: the target was never recorded as loaded (a restore cut
   * short named it), so a container of that name with more in it is the admin's.
   */
  readonly onlyOurs?: boolean;
}

export interface FirewallBackend {
  readonly name: BackendName;
  /**
   * Makes the live sets equal to the plan, atomically per family, and ensures the rules. The
   * backend builds the plan when it is ready for it, so that the tools it starts first (listing
   * what is in place) run while the store is read. The plan is a stream: a backend that can load
   * entries as they come overlaps that with planning.
   */
  apply(makePlan: () => PlanStream, options?: ApplyOptions): Promise<ApplyReport>;
  /** Adds and removes entries in place; a no-op (reported as absent) before the first restore. */
  update(delta: Delta): Promise<UpdateReport>;
  /** A session for many updates, for a backend whose tool can hold one open (see LiveSession). */
  openSession?(): LiveSession;
  /**
   * Puts back what refers to the live sets (rules, jumps) when the sets themselves are in place, and
   * nothing else: what a firewall reload that kept the sets removed, or a rule deleted by hand. Run
   * when the firewall reports a change; absent for a backend with nothing to refer to its sets
   * (routes). Returns what it repaired.
   */
  relink?(): Promise<string[]>;
  /**
   * Whether what a foreign firewall reload removes (sets, table, chain, rules, jumps) is still in
   * place, as cheaply as the backend can tell: the daemon runs it every few seconds. A backend
   * without a container (routes) looks for the first planned entry of each family instead, and
   * one whose set is empty asks whether the store plans anything for it.
   */
  presence(hints: PresenceHints): Promise<LiveCheck[]>;
  /** Reads everything in place, entry counts too, without changing anything (doctor). */
  inspect(): Promise<Inspection>;
  /**
   * Whether the live set holds every address of `network`, as cheaply as the backend can tell: one
   * kernel lookup for an address (ipset test, ip route get; nft get element, which reads back the
   * table's sets); a block takes a listing. Not whether the rule that uses the set is in place
   * (presence() tells that). False when there is no live set.
   */
  holds(network: Network): Promise<boolean>;
  /**
   * Every entry of a family's live set, read in one listing of it and indexed, to ask of many
   * blocks in turn what the set holds of each (list --live, doctor). Undefined when the family has
   * no live set. Costs what listing the set costs: ipset ~0.1 s a 100k entries, nft ~1 s.
   */
  liveIndex(family: Family): Promise<LiveIndex<number | bigint> | undefined>;
  /**
   * Removes what this backend put in place, if anything is there, once another backend has taken
   * over, or the same one under other settings (`current`, the config in force, whose names it
   * keeps: a set, chain or table renamed): left alone, it would go on blocking what the store no
   * longer plans (a safelisted or unbanned address), never updated again. Returns what it removed.
   */
  retire(current?: Config, options?: RetireOptions): Promise<string[]>;
  /** What retire(current) would remove, in words (entry counts included); changes nothing (doctor). */
  leftovers(current?: Config, options?: RetireOptions): Promise<string[]>;
}
