// Lifting a permanent ban: the active ban events of an address (or of every block inside a CIDR),
// of one jail or all, are marked lifted (they stay as history), and the live set follows. Only an
// admin's unban does this (here, or fleet-wide from another host: fleet/), never fail2ban's unban.

import type { Network } from '../address/network.js';
import { withApplyLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { formatNetwork } from '../address/format.js';
import { applySettled, withAlongside, type Surroundings } from './live.js';
import { oweLive } from './live-owed.js';
import { changeAround } from './plan-store.js';

export interface LiftOutcome {
  /** Ban events lifted; 0 when there was no active ban to lift. */
  readonly lifted: number;
  /** Ban events of a lift decided elsewhere that reached this host late, left in force: banned since. */
  readonly kept: number;
  /** Set when there is no live set yet to update. */
  readonly absent?: string;
}

/**
 * A lift decided elsewhere that reaches this host later than this (it was cut off from the fleet)
 * lifts only the bans dated by then: the later ones are offences found since. Sooner, it lifts
 * every ban in force, as an unban here does: the hosts' clocks may differ from the database's, and a
 * ban dated a little after the decision is most likely one from before it.
 */
const LATE_AFTER_SECONDS = 300;

export interface LiftOptions {
  readonly signal?: AbortSignal;
  /** Written in the lift's own transaction (the fleet's position after it). */
  readonly alongside?: () => void;
  /** When the lift was decided, if elsewhere (a fleet-wide lift's time in the log): it is dated then. */
  readonly decidedAt?: number;
  /** The store alone: a restore that follows loads the live set (a fleet catch-up in bulk, see addToSafelist). */
  readonly liveLater?: boolean;
}

/** `by` says who lifted it ("unban", "fleet:admin1"); `done` what the store change was, for a failing tool's message. */
export async function liftBans(store: Store, around: Surroundings, network: Network, jail: string | undefined, by: string, describe: (lifted: number) => string, { signal, alongside, decidedAt, liveLater = false }: LiftOptions = {}): Promise<LiftOutcome> {
  return withApplyLock(
    store.path,
    async () => {
      const now = around.clock();
      const decided = decidedAt === undefined ? undefined : { at: Math.min(decidedAt, now), ...(now - decidedAt > LATE_AFTER_SECONDS ? { upTo: decidedAt + LATE_AFTER_SECONDS } : {}) };
      const { result, owed, ...change } = await store.writeAsync(() => {
        const lifting = withAlongside(
          changeAround(store, around.config, now, network, () => ({
            lifted: store.bans.lift(network, jail, now, by, decided),
            kept: decided?.upTo === undefined ? 0 : store.bans.bannedAfter(network, jail, now, decided.upTo),
          })),
          alongside,
        );
        return { ...lifting, owed: liveLater ? undefined : oweLive(store, lifting.delta, `unban of ${formatNetwork(network)}`) };
      }, signal);
      const { lifted, kept } = result;
      if (lifted === 0 || liveLater) return { lifted, kept };
      const absent = await applySettled(store, around, network, change, describe(lifted), owed);
      return { lifted, kept, ...(absent ? { absent } : {}) };
    },
    signal ? { signal } : {},
  );
}
