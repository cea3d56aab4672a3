// The retention policy: an address whose last ban is older than the retention leaves the
// permanent list and its events leave the store. Deletion runs in small transactions so ban hooks
// arriving meanwhile wait milliseconds, not the whole prune; each block is re-checked as it is
// deleted, so an address banned again during the prune is kept.

import type { Config } from '../config/config.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { diffEntries, isEmptyDelta, type Delta } from '../plan/diff.js';
import type { Plan } from '../plan/plan.js';
import { withApplyLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { planStore, safelistCoverage, safelistIndexes } from './plan-store.js';
import { catchUp } from './restore.js';

const BLOCKS_PER_TRANSACTION = 250;

export interface PruneOptions {
  /** Seconds; events of blocks last banned before now minus this go. */
  readonly olderThan: number;
  readonly includeManual: boolean;
  readonly dryRun: boolean;
  /** Waits between transactions (see below); replaceable so a test with a mocked clock need not tick it. */
  readonly pause?: (ms: number) => Promise<void>;
}

const realPause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PruneReport {
  readonly cutoff: number;
  /** Blocks (and their events) removed, or that would be with dryRun. */
  readonly addresses: string[];
  readonly events: number;
  /** Stale blocks kept because they are safelisted: their history stays. */
  readonly keptSafelisted: number;
  /** Live entries removed (and re-added, where a smaller ban was hidden by a pruned one). */
  readonly liveRemoved: number;
  readonly liveAdded: number;
  /** Set when the live set does not exist yet. */
  readonly liveAbsent?: string;
}

/**
 * `backend` is the live set to update, or a way to find it once the apply lock is held (a restore
 * that switches backend may finish while prune waits for the lock); undefined leaves it alone.
 */
export async function prune(store: Store, config: Config, now: number, backend: FirewallBackend | (() => Promise<FirewallBackend>) | undefined, options: PruneOptions): Promise<PruneReport> {
  const cutoff = now - options.olderThan;
  const safelist = safelistIndexes(store, config);
  const stale = store.read(() => store.bans.staleBlocks(cutoff, options.includeManual));
  const candidates = stale.filter((block) => safelistCoverage(safelist, block.network) === 'none');
  const keptSafelisted = stale.length - candidates.length;
  if (options.dryRun || candidates.length === 0) {
    return { cutoff, addresses: candidates.map((block) => block.address), events: candidates.reduce((sum, block) => sum + block.events, 0), keptSafelisted, liveRemoved: 0, liveAdded: 0 };
  }

  return withApplyLock(store.path, async () => {
    const live = typeof backend === 'function' ? await backend() : backend;
    // What may be live: everything banned, old or not (a restore drops aged-out blocks, the hook
    // does not). After the deletion the plan is what restore would build; the difference is the
    // live update, so no full rebuild is needed.
    const mayBeLive = planStore(store, { ...config, policy: { ...config.policy, retentionSeconds: undefined } }, now);
    const removed: string[] = [];
    let events = 0;
    for (let i = 0; i < candidates.length; i += BLOCKS_PER_TRANSACTION) {
      const started = performance.now();
      store.write(() => {
        for (const block of candidates.slice(i, i + BLOCKS_PER_TRANSACTION)) {
          const deleted = store.bans.deleteIfStale(block.network, cutoff, options.includeManual);
          if (deleted > 0) {
            removed.push(block.address);
            events += deleted;
          }
        }
      });
      // Leave the lock free for as long as we held it: ban hooks waiting in SQLite's busy handler
      // retry every few to 100 ms, and back-to-back transactions would starve them.
      await (options.pause ?? realPause)(Math.max(5, performance.now() - started));
    }
    const planned = store.bans.maxId();
    const delta = planDelta(mayBeLive, planStore(store, config, now));
    const update = live && !isEmptyDelta(delta) ? await live.update(delta) : undefined;
    // A hook that banned a pruned address again after that plan added it live before this update
    // took it out: the catch-up puts it back.
    if (live && update && !update.absent) await catchUp(store, config, now, live, planned);
    store.checkpoint();
    return {
      cutoff,
      addresses: removed,
      events,
      keptSafelisted,
      liveRemoved: update ? update.removed : 0,
      liveAdded: update ? update.added : 0,
      ...(update?.absent ? { liveAbsent: update.absent } : {}),
    };
  });
}

function planDelta(before: Plan, after: Plan): Delta {
  return { v4: diffEntries(before.v4.entries, after.v4.entries), v6: diffEntries(before.v6.entries, after.v6.entries) };
}
