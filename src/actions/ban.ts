import { thisHostname } from './this-host.js';
import { formatNetwork } from '../address/format.js';
import { contains, overlaps, type Cidr, type Network } from '../address/network.js';
import { BUILTIN_SAFELIST, feedsPolicy, type Config } from '../config/config.js';
import { EMPTY_DELTA, mergeDeltas, type Delta } from '../plan/diff.js';
import { keptForever, type BanEvent, type Lift } from '../store/bans.js';
import { formatTime } from '../clock.js';
import { uuidText, uuidv7 } from '../store/ids.js';
import { UsageError } from '../errors.js';
import { claimSpool, releaseSpool, type Released } from '../store/spool.js';
import type { Store } from '../store/store.js';
import { oweLive, type LiveOwed } from './live-owed.js';
import { lockoutCheck } from './lockout.js';
import { changeAround, changeAroundAdding, changesAroundAddingHosts, planAround } from './plan-store.js';
import { count } from '../input/plural.js';
import type { BanRecordFields } from '../input/ban-record.js';

/** A ban as the hook, the socket, the spool and the command line give it (`restored`: fail2ban's <restored>, a replay after a restart, not a new offence). */
export interface BanRequest extends BanRecordFields {
  /** fail2ban's <time>: when it began the ban; what a replay is recorded at. */
  readonly bannedAt?: number;
  /** The event's id when the caller gave one (a replay of the same hand-over is then one event). */
  readonly uuid?: Buffer;
  /** Seconds a temporary ban lasts (`--duration`); absent for a ban without an end. */
  readonly duration?: number;
}

export interface BanOutcome {
  /** False when fail2ban replayed a ban the store already holds, or the event was recorded already: nothing was written. */
  readonly recorded: boolean;
  /** Safelisted ranges (store and config) that contain the address: it will not be blocked. */
  readonly safelistedBy: string[];
  /** Whether the planned entries now block (part of) the address. */
  readonly blocked: boolean;
  /** What the live set must do. */
  readonly delta: Delta;
  /** The planned entries around the address once `delta` is applied. */
  readonly after: Cidr<number | bigint>[];
  /** Set for a replay of a ban that was lifted after it: recorded as lifted by this, never blocked. */
  readonly lifted?: Lift;
  /** The end of the temporary ban recorded. */
  readonly until?: number;
  /** The other ban the event's id names already (another address or jail): nothing was recorded (see refuseReusedEventId). */
  readonly idTakenBy?: { readonly address: string; readonly jail: string };
}

export function newBanEvent(request: BanRequest, now: number): BanEvent {
  // A replay is the ban fail2ban began at its <time>, not a new one; a new ban is recorded as it
  // arrives. Never later than now: a clock that jumped must not date a ban in the future.
  const replayedAt = request.restored && request.bannedAt !== undefined ? Math.min(request.bannedAt, now) : undefined;
  return {
    uuid: request.uuid ?? uuidv7(),
    origin: thisHostname(),
    network: request.network,
    jail: request.jail,
    bannedAt: replayedAt ?? now,
    bantime: request.bantime,
    source: request.source,
    reason: request.reason,
    restored: request.restored,
    ...(request.restored && replayedAt === undefined ? { timeUnknown: true } : {}),
    ...(request.duration === undefined ? {} : { until: now + request.duration }),
  };
}

/**
 * A ban handed over under the id of another ban (another address or jail) is refused at the edges
 * (the command, the socket): an id names one ban, and the store took the second for the first
 * handed over twice, and recorded nothing. The same ban again (a retry after a lost answer) is what
 * ids are for.
 */
export function refuseReusedEventId(outcome: BanOutcome, event: BanEvent): void {
  const taken = outcome.idTakenBy;
  if (taken) throw new UsageError(`event id ${uuidText(event.uuid)} already names the ban of ${taken.address} (jail ${taken.jail}): give each ban an id of its own, or none`);
}

/** Records one ban event and works out what it changes in the live set. */
export function recordBan(store: Store, config: Config, now: number, event: BanEvent): BanOutcome {
  return store.write(() => applyBan(store, config, now, event));
}

/**
 * recordBan, with the live update it owes noted in the same transaction (see LiveOwed): a command
 * killed between its commit and its live add leaves a note that the next check finds, not a ban
 * recorded and silently not blocked. The note costs the hook no transaction of its own; paying it does.
 */
export function recordBanOwing(store: Store, config: Config, now: number, event: BanEvent): { readonly outcome: BanOutcome; readonly owed: LiveOwed | undefined } {
  return store.write(() => {
    const outcome = applyBan(store, config, now, event);
    return { outcome, owed: oweLive(store, outcome.delta, `ban of ${formatNetwork(event.network)}`) };
  });
}

/**
 * Bans of one batch (a page a fleet sync reads) recorded in one transaction, with the live update
 * they owe noted in it (see recordBanOwing): a sync killed before its live update leaves the note,
 * not bans that the next sync reads again, finds recorded, and never makes live.
 */
export function recordBansOwing(store: Store, config: Config, now: number, events: readonly BanEvent[], what: string): { readonly delta: Delta; readonly owed: LiveOwed | undefined } {
  return store.write(() => {
    const delta = mergeDeltas(events.map((event) => applyBan(store, config, now, event).delta));
    return { delta, owed: oweLive(store, delta, what) };
  });
}

/**
 * fail2ban replays every active ban on start (<restored> = 1); a replay of a ban the store holds
 * changes nothing, and its outcome needs only a read (the daemon answers it without a write).
 */
export function replayOfHeld(store: Store, config: Config, now: number, event: BanEvent): BanOutcome | undefined {
  return event.restored && store.bans.hasActive(event.network, event.jail, now) ? unchanged(store, config, now, event) : undefined;
}

/**
 * recordBan's work, inside a write transaction the caller holds: the daemon records the bans that
 * arrive together in one transaction (one fsync for all of them).
 */
export function applyBan(store: Store, config: Config, now: number, event: BanEvent): BanOutcome {
  const held = replayOfHeld(store, config, now, event);
  if (held) return held;
  // A lift is a decision: a replay does not undo it (see liftOfReplay).
  const lift = store.bans.liftOfReplay(event);
  if (lift) return { ...unchanged(store, config, now, event), recorded: store.bans.insertLifted(event, lift), lifted: lift };
  const change = qualifiesOnArrival(config.policy, event, now) ? changeAroundAdding : changeAround;
  const { result: inserted, delta, after } = change(store, config, now, event.network, () => store.bans.insert(event));
  // An event id seen before: the same ban handed over twice (a retry after a lost answer), or
  // another ban under an id taken already, which the edges refuse.
  if (!inserted) {
    const stored = store.bans.eventById(event.uuid);
    const taken = stored && (stored.address !== formatNetwork(event.network) || stored.jail !== event.jail) ? stored : undefined;
    return { ...unchanged(store, config, now, event), ...(taken ? { idTakenBy: taken } : {}) };
  }
  return recordedOutcome(store, config, event, delta, after);
}

/** The outcome of a ban recorded: blocked by the entries planned after it, or safelisted. */
function recordedOutcome(store: Store, config: Config, event: BanEvent, delta: Delta, after: Cidr<number | bigint>[]): BanOutcome {
  const blocked = after.some((entry) => overlaps<number | bigint>(entry, event.network));
  return { recorded: true, safelistedBy: blocked ? [] : safelistedBy(store, config, event.network), blocked, delta, after, ...(event.until === undefined ? {} : { until: event.until }) };
}

/** Below this many, bans that can go together are applied one by one all the same: one query each is cheaper than the set-up. */
const TOGETHER_AT_LEAST = 8;

/**
 * applyBan for each event in turn, with the same outcomes, in the caller's write transaction: the
 * daemon's group commit (a page of the fleet's bans, a crowd of jails'). The new host bans among
 * them that meet no other ban of the batch are worked out together (changesAroundAddingHosts); the
 * rest, one by one. Those together meet nothing else of the batch, so the order between them and
 * the rest changes no plan: only which rows get the lower ids.
 */
export function applyBans(store: Store, config: Config, now: number, events: readonly BanEvent[]): BanOutcome[] {
  const together = newIndependentHosts(store, config, now, events);
  const outcomes = new Array<BanOutcome>(events.length);
  if (together.length >= TOGETHER_AT_LEAST) {
    const hosts = together.map((i) => events[i]!);
    const { result: inserted, changes } = changesAroundAddingHosts(store, config, now, hosts.map((event) => event.network), () => store.bans.insertMany(hosts));
    // Their ids were checked free: a difference is a bug, and the transaction must not commit.
    if (inserted !== hosts.length) throw new Error(`recorded ${inserted} of ${hosts.length} new bans`);
    together.forEach((i, k) => {
      const { delta, after } = changes[k]!;
      outcomes[i] = recordedOutcome(store, config, events[i]!, delta, after);
    });
  }
  for (let i = 0; i < events.length; i++) outcomes[i] ??= applyBan(store, config, now, events[i]!);
  return outcomes;
}

/**
 * The indexes of the events applyBans may work out together: new offences (no replay, no temporary
 * ban) of one address each, whose id is free, that no other event of the batch meets (the same
 * address twice, a block around it, the same id).
 */
export function newIndependentHosts(store: Store, config: Config, now: number, events: readonly BanEvent[]): number[] {
  if (events.length < TOGETHER_AT_LEAST) return [];
  const candidates: number[] = [];
  // How often each id and each host address comes in the batch.
  const ids = new Map<string, number>();
  const addresses = new Map<number | bigint, number>();
  const count = <K>(counts: Map<K, number>, key: K) => counts.set(key, (counts.get(key) ?? 0) + 1);
  const idOf = events.map((event) => event.uuid.toString('hex'));
  const blocks: Network[] = [];
  events.forEach((event, i) => {
    count(ids, idOf[i]!);
    const { network } = event;
    if (network.prefix !== (network.family === 4 ? 32 : 128)) blocks.push(network);
    else {
      // IPv4 keys are numbers, IPv6 bigints: one map holds both families apart.
      count(addresses, network.first);
      if (event.until === undefined && qualifiesOnArrival(config.policy, event, now)) candidates.push(i);
    }
  });
  if (candidates.length < TOGETHER_AT_LEAST) return [];
  const stored = store.bans.storedIds(candidates.map((i) => events[i]!.uuid));
  return candidates.filter((i) => {
    const { network } = events[i]!;
    const id = idOf[i]!;
    return ids.get(id) === 1 && !stored.has(id) && addresses.get(network.first) === 1 && !blocks.some((block) => overlaps<number | bigint>(block, network));
  });
}

/**
 * Whether a ban counts in the plan the moment it is stored: a new offence (not a replay, which may
 * be old), of a policy jail, in force now, within the retention (the fleet's bans keep the time they
 * were found at elsewhere: one older than the retention was added live, and the plan had none of
 * it), where the policy asks for no more offences.
 */
function qualifiesOnArrival(policy: Config['policy'], event: BanEvent, now: number): boolean {
  const recent = policy.retentionSeconds === undefined || event.bannedAt >= now - policy.retentionSeconds || keptForever(event);
  return !event.restored && policy.minBans <= 1 && feedsPolicy(policy, event.jail) && (event.until === undefined || event.until > now) && recent;
}

/**
 * What recording `request` would do to the live set, worked out without writing: the hook spooled
 * the ban (the store stayed locked past its wait) and still makes it live at once. The same planning
 * as a recorded ban's, the safelist included. Undefined when only the write can tell: a replay (it
 * must not re-block what was lifted) or a policy that counts offences.
 */
export function plannedIfRecorded(store: Store, config: Config, now: number, request: BanRequest): Delta | undefined {
  const { policy } = config;
  if (request.restored || policy.minBans > 1) return undefined;
  if (!feedsPolicy(policy, request.jail)) return EMPTY_DELTA;
  const { network } = request;
  return store.read(() => changeAroundAdding(store, config, now, network, () => undefined).delta);
}

function unchanged(store: Store, config: Config, now: number, event: BanEvent): BanOutcome {
  const after = planAround(store, config, now, event.network);
  const blocked = after.some((entry) => overlaps<number | bigint>(entry, event.network));
  return { recorded: false, safelistedBy: blocked ? [] : safelistedBy(store, config, event.network), blocked, delta: EMPTY_DELTA, after };
}

/**
 * What a ban did, in one line: the command prints it, the daemon answers with it. A ban that
 * blocks says so; one that does not says why (safelisted, or the policy wants more).
 */
export function describeBan(request: BanRequest, outcome: BanOutcome, policy: Config['policy']): { readonly blocks: boolean; readonly line: string } {
  const what = `${formatNetwork(request.network)} (jail ${request.jail})`;
  if (outcome.lifted) {
    const decision = `lifted by ${outcome.lifted.lifted_by} at ${formatTime(outcome.lifted.lifted_at)}, after this ban (a replay by fail2ban)`;
    return outcome.blocked ? { blocks: true, line: `already banned ${what}; this replay was ${decision}` } : { blocks: false, line: `recorded ${what}; not blocked: ${decision}` };
  }
  if (outcome.safelistedBy.length > 0) return { blocks: false, line: `recorded ${what}; not blocked: safelisted by ${outcome.safelistedBy.join(', ')}` };
  // A jail the policy does not count never makes the permanent list, however often it bans.
  if (!outcome.blocked && !feedsPolicy(policy, request.jail)) {
    return { blocks: false, line: `recorded ${what}; not blocked: jail ${request.jail} does not count for the policy (jails ${policy.jails.join(', ')}); ban with --jail ${policy.jails[0]}, or add ${request.jail} to [policy] jails` };
  }
  if (!outcome.blocked) return { blocks: false, line: `recorded ${what}; not blocked yet: the policy needs ${count(policy.minBans, 'ban')} from ${policy.jails.join(', ') || 'any jail'}` };
  return { blocks: true, line: `${outcome.recorded ? 'banned' : 'already banned'} ${what}${outcome.until === undefined ? '' : ` until ${formatTime(outcome.until)}`}` };
}

/**
 * The safelist ranges that hold all of `network`. Asked only of a ban that blocks nothing: the
 * safelist always wins, so no range holds all of a block any part of which is live.
 */
function safelistedBy(store: Store, config: Config, network: Network): string[] {
  const fromConfig = config.safelist
    .filter((entry) => entry.family === network.family && contains<number | bigint>(entry, network))
    .map((entry) => `${formatNetwork(entry)} (${BUILTIN_SAFELIST.includes(entry) ? 'built-in' : 'config'})`);
  return [...store.safelist.containing(network).map((row) => row.address), ...fromConfig];
}

export interface DrainOutcome {
  readonly folded: number;
  /** Lines that were not valid bans, moved to `quarantine`. */
  readonly rejected: number;
  /** What is wrong with the first of them. */
  readonly problem: string | undefined;
  readonly quarantine: string;
  /** Claimed files kept because their bad lines could not be quarantined (the next drain tries again). */
  readonly kept: Released['kept'];
  readonly delta: Delta;
  /** Noted with the bans (see recordBansOwing): the caller ends it once the live set has `delta`. */
  readonly owed: LiveOwed | undefined;
}

/**
 * Folds bans the hook had to spool into the store. A line that is not a valid ban is quarantined,
 * never handed to the store (whose refusal stopped every command that folded).
 */
export function drainSpool(store: Store, config: Config, now: number): DrainOutcome | undefined {
  // Held to the hook's lockout guard: no SSH client is known by now, only this host's addresses.
  const claimed = claimSpool(store.path, now, lockoutCheck());
  if (!claimed) return undefined;
  const { delta, owed } = recordBansOwing(store, config, now, claimed.events, `fold of ${count(claimed.events.length, 'spooled ban')}`);
  const { kept } = releaseSpool(claimed);
  return { folded: claimed.events.length, rejected: claimed.rejected, problem: claimed.problem, quarantine: claimed.quarantine, kept, delta, owed };
}
