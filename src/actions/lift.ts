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

/** `by` says who lifted it ("unban", "fleet:admin1"); `done` what the store change was, for a failing tool's message. */
export async function liftBans(store: Store, around: Surroundings, network: Network, jail: string | undefined, by: string, describe: (lifted: number) => string, signal?: AbortSignal, alongside?: () => void): Promise<LiftOutcome> {
  return withApplyLock(
    store.path,
    async () => {
      const now = around.clock();
      const { result: lifted, ...change } = await store.writeAsync(() => withAlongside(changeAround(store, around.config, now, network, () => store.bans.lift(network, jail, now, by)), alongside), signal);
      if (lifted === 0) return { lifted, stillBannedBy: [] };
      const absent = await applySettled(store, around, network, change, describe(lifted));
      return { lifted, ...(absent ? { absent } : {}), stillBannedBy: store.bans.activeEnclosing(network, now) };
    },
    signal ? { signal } : {},
  );
}
