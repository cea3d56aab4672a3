// The live set a change goes to, and how a committed change reaches it. Changes (ban, unban,
// safelist, prune, import) go to the backend whose live set is in place: the one the last restore
// loaded (a `restore --backend` differing from the config included), else the configured one; a
// safelisted address would otherwise stay blocked in the set really live.

import type { Cidr, Network } from '../address/network.js';
import type { Clock } from '../clock.js';
import { isBackendName, type BackendName, type Config } from '../config/config.js';
import { OperationalError } from '../errors.js';
import type { Runner } from '../exec/run.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { isEmptyDelta, type Delta } from '../plan/diff.js';
import type { Store } from '../store/store.js';
import type { LiveOwed } from './live-owed.js';
import { settleAround } from './plan-store.js';

/** What an action needs from the outside world besides the store: passed in, so tests control it. */
export interface Surroundings {
  readonly config: Config;
  readonly clock: Clock;
  readonly runner: Runner;
}

/**
 * The backend a restore loads when not told which (--backend): the one the last restore loaded, as
 * long as the config names the backend it named then. A `restore --backend` thus stays the live
 * one: fail2ban's actionstart and actioncheck, the daemon's checks and the boot restore do not
 * switch back to the config's behind the admin's back; once the config names another backend,
 * that one is loaded. A restore recorded before the config's backend was (null) is taken to have
 * loaded the config's.
 */
export function backendToRestore(store: Store, config: Config): BackendName {
  const last = store.restores.last();
  if (!last || !isBackendName(last.backend)) return config.backend;
  return (last.config_backend ?? last.backend) === config.backend ? last.backend : config.backend;
}

/** The backend to restore (backendToRestore): `configured` when it is that one, else that one loaded. */
export async function restoringBackend(store: Store, { config, runner }: Surroundings, configured?: FirewallBackend): Promise<FirewallBackend> {
  const name = backendToRestore(store, config);
  if (configured?.name === name) return configured;
  const { loadBackend } = await import('../firewall/select.js');
  return loadBackend(config, runner, name);
}

/** The backend whose live set is in place (see above). */
export async function liveBackend(store: Store, { config, runner }: Surroundings): Promise<FirewallBackend> {
  const { loadBackend } = await import('../firewall/select.js');
  return loadBackend(config, runner, store.restores.lastBackend());
}

/**
 * `result`, once `alongside` has written what the caller records with the change, in the change's
 * own transaction (the fleet's position after the event it applies: the two commit together).
 */
export function withAlongside<T>(result: T, alongside: (() => void) | undefined): T {
  alongside?.();
  return result;
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
 * store changed and the live set did not follow. `owed`, noted with the change, is paid once the
 * live set has it (or there is no live set to update: a restore loads it); a failure leaves it for
 * the next check to find once this process is gone (doctor, the daemon, restore --if-missing).
 */
export async function applySettled(
  store: Store,
  around: Surroundings,
  network: Network,
  change: { delta: Delta; after: readonly Cidr<number | bigint>[] },
  done: string,
  owed?: LiveOwed,
): Promise<string | undefined> {
  let absent: string | undefined;
  try {
    absent = await applyLive(store, around, change.delta);
    if (!absent && !isEmptyDelta(change.delta)) await applyLive(store, around, settleAround(store, around.config, around.clock(), network, change.after));
  } catch (error) {
    throw new OperationalError(`${done}, but the live set was not updated: ${(error as Error).message}`);
  }
  await owed?.endAsync();
  return absent;
}
