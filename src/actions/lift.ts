// Lifting a permanent ban: the active ban events of an address (or of every block inside a CIDR),
// of one jail or all, are marked lifted (they stay as history), and the live set follows. Only an
// admin's unban does this (here, or fleet-wide from another host: fleet/), never fail2ban's unban.

import type { Network } from '../address/network.js';
import { withApplyLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { applySettled, withAlongside, type Surroundings } from './live.js';
import { changeAround } from './plan-store.js';

export interface LiftOutcome {
  /** Ban events lifted; 0 when there was no active ban to lift. */
  readonly lifted: number;
  /** Set when there is no live set yet to update. */
  readonly absent?: string;
  /** Active blocks that contain the address and keep it banned. */
  readonly stillBannedBy: string[];
}

/**
 * Seconds a ban may be dated after a lift decided elsewhere and still be lifted by it: the clocks of
 * the host that banned and of the fleet's database differ, by a second or two under NTP.
 */
const CLOCK_SLACK_SECONDS = 60;

export interface LiftOptions {
  readonly signal?: AbortSignal;
  /** Written in the lift's own transaction (the fleet's position after it). */
  readonly alongside?: () => void;
  /**
   * When the lift was decided, if not now: a fleet-wide lift applied late (the host was cut off)
   * is dated then, and leaves the bans dated after it, offences found since.
   */
  readonly decidedAt?: number;
}

/** `by` says who lifted it ("unban", "fleet:admin1"); `done` what the store change was, for a failing tool's message. */
export async function liftBans(store: Store, around: Surroundings, network: Network, jail: string | undefined, by: string, describe: (lifted: number) => string, { signal, alongside, decidedAt }: LiftOptions = {}): Promise<LiftOutcome> {
  return withApplyLock(
    store.path,
    async () => {
      const now = around.clock();
      const at = Math.min(decidedAt ?? now, now);
      const upTo = decidedAt === undefined ? undefined : at + CLOCK_SLACK_SECONDS;
      const { result: lifted, ...change } = await store.writeAsync(() => withAlongside(changeAround(store, around.config, now, network, () => store.bans.lift(network, jail, at, by, upTo)), alongside), signal);
      if (lifted === 0) return { lifted, stillBannedBy: [] };
      const absent = await applySettled(store, around, network, change, describe(lifted));
      return { lifted, ...(absent ? { absent } : {}), stillBannedBy: store.bans.activeEnclosing(network, now) };
    },
    signal ? { signal } : {},
  );
}
