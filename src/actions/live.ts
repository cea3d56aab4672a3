// The live set a change goes to, and how a committed change reaches it. Changes (ban, unban,
// safelist, prune, import) go to the backend whose live set is in place: the one the last restore
// loaded (a `restore --backend` differing from the config included), else the configured one; a
// safelisted address would otherwise stay blocked in the set really live.

import type { Cidr, Network } from '../address/network.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import { OperationalError } from '../errors.js';
import type { Runner } from '../exec/run.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { isEmptyDelta, type Delta } from '../plan/diff.js';
import type { Store } from '../store/store.js';
import { settleAround } from './plan-store.js';

/** What an action needs from the outside world besides the store: passed in, so tests control it. */
export interface Surroundings {
  readonly config: Config;
  readonly clock: Clock;
  readonly runner: Runner;
}

/** The backend whose live set is in place (see above). */
export async function liveBackend(store: Store, { config, runner }: Surroundings): Promise<FirewallBackend> {
  const { loadBackend } = await import('../firewall/select.js');
  return loadBackend(config, runner, store.restores.lastBackend());
}

/**
 * Applies a delta to the live set. Returns a note when there is no live set yet (nothing to update
 * before the first restore); throws when the tool fails.
 */
export async function applyLive(store: Store, around: Surroundings, delta: Delta): Promise<string | undefined> {
  if (isEmptyDelta(delta)) return undefined;
  return (await (await liveBackend(store, around)).update(delta)).absent;
}

/**
 * Applies a change's delta to the live set, then the difference between the plan it brought about
 * (`after`) and the plan now: see settleAround. Returns the absent note of applyLive. The change is
 * committed by then; `done` says what it was, so a failing tool is reported as what it is: the
 * store changed and the live set did not follow.
 */
export async function applySettled(
  store: Store,
  around: Surroundings,
  network: Network,
  change: { delta: Delta; after: readonly Cidr<number | bigint>[] },
  done: string,
): Promise<string | undefined> {
  try {
    const absent = await applyLive(store, around, change.delta);
    if (absent || isEmptyDelta(change.delta)) return absent;
    await applyLive(store, around, settleAround(store, around.config, around.clock(), network, change.after));
    return undefined;
  } catch (error) {
    throw new OperationalError(`${done}, but the live set was not updated: ${(error as Error).message}`);
  }
}
