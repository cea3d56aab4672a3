// Safelist changes and the live set: a range that becomes safe leaves the live set at once (every
// block ever banned inside it, not only the planned ones: see makeSafe), one that stops being safe
// lets the bans inside it back in. From the command line, or fleet-wide from another host (fleet/).

import type { Network } from '../address/network.js';
import { withApplyLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { formatNetwork } from '../address/format.js';
import { applySettled, withAlongside, type Surroundings } from './live.js';
import { oweLive } from './live-owed.js';
import { changeAround, makeSafe } from './plan-store.js';

export interface SafelistOutcome {
  /** False when the range was safelisted already (add) or not at all (remove). */
  readonly changed: boolean;
  /** Live entries the change takes out (add) or puts back (remove), counted from the plan. */
  readonly live: number;
  readonly absent?: string;
}

/**
 * `liveLater`: the store alone; a restore that follows loads the live set (a fleet catch-up in bulk,
 * where the live set is the old one, sized for what it held: an update of a range into it could
 * overflow it and stop the catch-up half-way).
 */
export async function addToSafelist(store: Store, around: Surroundings, network: Network, note: string | null, done: string, signal?: AbortSignal, alongside?: () => void, liveLater = false): Promise<SafelistOutcome> {
  return withApplyLock(
    store.path,
    async () => {
      const { result: added, delta, swept, after, owed } = await store.writeAsync(() => {
        const making = withAlongside(makeSafe(store, around.config, around.clock(), network, () => store.safelist.add(network, note, around.clock())), alongside);
        return { ...making, owed: liveLater ? undefined : oweLive(store, making.swept, `safelisting of ${formatNetwork(network)}`) };
      }, signal);
      // Swept even when it was safelisted already: adding it again is how an admin clears a stray entry.
      const absent = liveLater ? undefined : await applySettled(store, around, network, { delta: swept, after }, done, owed);
      return { changed: added, live: delta.v4.del.length + delta.v6.del.length, ...(absent ? { absent } : {}) };
    },
    signal ? { signal } : {},
  );
}

/** `liveLater`: as addToSafelist's. */
export async function removeFromSafelist(store: Store, around: Surroundings, network: Network, done: string, signal?: AbortSignal, alongside?: () => void, liveLater = false): Promise<SafelistOutcome> {
  return withApplyLock(
    store.path,
    async () => {
      const { result: removed, owed, ...change } = await store.writeAsync(() => {
        const removing = withAlongside(changeAround(store, around.config, around.clock(), network, () => store.safelist.remove(network)), alongside);
        return { ...removing, owed: liveLater ? undefined : oweLive(store, removing.delta, `safelist removal of ${formatNetwork(network)}`) };
      }, signal);
      if (!removed) return { changed: false, live: 0 };
      const absent = liveLater ? undefined : await applySettled(store, around, network, change, done, owed);
      return { changed: true, live: change.delta.v4.add.length + change.delta.v6.add.length, ...(absent ? { absent } : {}) };
    },
    signal ? { signal } : {},
  );
}
