// The retention policy: an address whose last ban is older than the retention leaves the
// permanent list and its events leave the store. Deletion runs in small transactions so ban hooks
// arriving meanwhile wait milliseconds, not the whole prune; each block is re-checked as it is
// deleted, so an address banned again during the prune is kept. Stale blocks are read a page at a
// time and their addresses handed on as they go, so a prune of millions never holds them all (5M:
// 2.3 GB for a dry run that did).

import { LiveOwed } from './live-owed.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend, UpdateReport } from '../firewall/backend.js';
import { diffPacked4InPieces, diffPacked6InPieces } from '../plan/compare.js';
import { EMPTY_DELTA, type Delta } from '../plan/diff.js';
import { withApplyLock } from '../store/lock.js';
import type { StaleBlock } from '../store/bans.js';
import type { Store } from '../store/store.js';
import { packedPlan, safelistCoverage, safelistIndexes, type PackedPlan, type SafelistIndexes } from './plan-store.js';
import { catchUp } from './restore.js';

const BLOCKS_PER_TRANSACTION = 250;

export interface PruneOptions {
  /** Seconds; events of blocks last banned before now minus this go. */
  readonly olderThan: number;
  readonly includeManual: boolean;
  readonly dryRun: boolean;
  /** Waits between transactions (see below); replaceable so a test with a mocked clock need not tick it. */
  readonly pause?: (ms: number) => Promise<void>;
  /**
   * Told the addresses of the blocks pruned (or, with dryRun, that would be) a few hundred at a
   * time, as they go. A promise it returns is waited for: a dry run's listing may wait for a slow
   * reader, but a real prune holds the apply lock meanwhile, and restores wait for it.
   */
  readonly onPruned?: (addresses: readonly string[]) => void | Promise<void>;
}

const realPause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What --json prints: the line a plain run prints (`summary`), and its figures, which the daemon
 * reads (its metrics) instead of reading them back out of the words.
 */
export interface PruneJson {
  readonly summary: string;
  /** Addresses pruned (would be, with dry_run); 0 when the retention is "never". */
  readonly pruned: number;
  readonly events: number;
  readonly dry_run: boolean;
  /** What may have been live and was taken out; null when nothing was pruned or on a dry run. */
  readonly live_removed: number | null;
  readonly kept_safelisted: number;
}

export interface PruneReport {
  readonly cutoff: number;
  /** Blocks (and their events) removed, or that would be with dryRun; their addresses went to onPruned. */
  readonly pruned: number;
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
  const stale = new StaleReader(store, safelistIndexes(store, config), cutoff, options.includeManual);
  const report = (pruned: number, events: number) => ({ cutoff, pruned, events, keptSafelisted: stale.kept, liveRemoved: 0, liveAdded: 0 });
  if (options.dryRun) {
    // One snapshot, however long a slow reader of the listing takes.
    return store.readAsync(async () => {
      let pruned = 0;
      let events = 0;
      for (let page = stale.next(); page !== undefined; page = stale.next()) {
        pruned += page.length;
        for (const block of page) events += block.events;
        if (page.length > 0) await options.onPruned?.(page.map((block) => block.address));
      }
      return report(pruned, events);
    });
  }
  // Nothing to prune takes no lock and plans nothing; finding that out reads every stale block.
  if (!stale.findAny()) return report(0, 0);

  return withApplyLock(store.path, async () => {
    const live = typeof backend === 'function' ? await backend() : backend;
    // What may be live: everything banned, old or not (a restore drops aged-out blocks, the hook
    // does not). After the deletion the plan is what restore would build; the difference is the
    // live update, so no full rebuild is needed. Packed: at 5M entries, two plans of objects took 2 GB.
    const mayBeLive = live && packedPlan(store, { ...config, policy: { ...config.policy, retentionSeconds: undefined } }, now);
    let pruned = 0;
    let events = 0;
    // Killed between its deletions and the live update, it would leave pruned blocks live.
    const owed = live ? LiveOwed.begin(store, 'prune') : undefined;
    stale.restart();
    // Each page is read after the one before is deleted, and starts after its last block.
    for (let page = stale.next(); page !== undefined; page = stale.next()) {
      for (let i = 0; i < page.length; i += BLOCKS_PER_TRANSACTION) {
        const started = performance.now();
        const removed: string[] = [];
        store.write(() => {
          for (const block of page.slice(i, i + BLOCKS_PER_TRANSACTION)) {
            const deleted = store.bans.deleteIfStale(block.network, cutoff, options.includeManual);
            if (deleted > 0) {
              removed.push(block.address);
              events += deleted;
            }
          }
        });
        pruned += removed.length;
        if (removed.length > 0) await options.onPruned?.(removed);
        // Leave the lock free for as long as we held it: ban hooks waiting in SQLite's busy handler
        // retry every few to 100 ms, and back-to-back transactions would starve them.
        await (options.pause ?? realPause)(Math.max(5, performance.now() - started));
      }
    }
    const planned = store.bans.maxId();
    const update = live && mayBeLive ? await updateLive(live, mayBeLive, packedPlan(store, config, now)) : undefined;
    // A hook that banned a pruned address again after that plan added it live before this update
    // took it out: the catch-up puts it back.
    if (live && update && !update.absent) await catchUp(store, config, now, live, planned);
    owed?.end();
    store.checkpoint();
    return {
      ...report(pruned, events),
      liveRemoved: update ? update.removed : 0,
      liveAdded: update ? update.added : 0,
      ...(update?.absent ? { liveAbsent: update.absent } : {}),
    };
  });
}

/**
 * The stale blocks prune may remove, a page at a time: those the safelist does not touch. Those it
 * does keep their history and are counted in `kept`.
 */
class StaleReader {
  kept = 0;
  private pages: Iterator<StaleBlock[]>;

  constructor(
    private readonly store: Store,
    private readonly safelist: SafelistIndexes,
    private readonly cutoff: number,
    private readonly includeManual: boolean,
  ) {
    this.pages = this.start();
  }

  /** The next page's blocks to prune (maybe none), or undefined after the last page. */
  next(): StaleBlock[] | undefined {
    // Retried while the store is busy; inside a snapshot already (a dry run), a savepoint of it.
    const page = this.store.read(() => this.pages.next());
    if (page.done) return undefined;
    const prunable = page.value.filter((block) => safelistCoverage(this.safelist, block.network) === 'none');
    this.kept += page.value.length - prunable.length;
    return prunable;
  }

  /** Whether any stale block is prunable, reading pages up to the first that has one. */
  findAny(): boolean {
    for (let page = this.next(); page !== undefined; page = this.next()) if (page.length > 0) return true;
    return false;
  }

  /** From the first page again. */
  restart(): void {
    this.kept = 0;
    this.pages = this.start();
  }

  private start(): Iterator<StaleBlock[]> {
    return this.store.bans.stalePages(this.cutoff, this.includeManual)[Symbol.iterator]();
  }
}

/** Live entries per update: a prune of millions is applied in pieces, never held as one delta. */
const ENTRIES_PER_UPDATE = 50_000;

/** Brings the live set from `before` to `after`, a piece at a time; stops at the first absent set. */
async function updateLive(live: FirewallBackend, before: PackedPlan, after: PackedPlan): Promise<UpdateReport> {
  let added = 0;
  let removed = 0;
  for (const delta of piecesBetween(before, after)) {
    const report = await live.update(delta);
    if (report.absent) return { added, removed, absent: report.absent };
    added += report.added;
    removed += report.removed;
  }
  return { added, removed };
}

function* piecesBetween(before: PackedPlan, after: PackedPlan): Generator<Delta> {
  for (const v4 of diffPacked4InPieces(before.v4, after.v4, ENTRIES_PER_UPDATE)) yield { v4, v6: EMPTY_DELTA.v6 };
  for (const v6 of diffPacked6InPieces(before.v6, after.v6, ENTRIES_PER_UPDATE)) yield { v4: EMPTY_DELTA.v4, v6 };
}

/** `prune --json`'s object as the daemon reads it back (its job's stdout); undefined when it is not one. */
export function readPruneJson(stdout: string): PruneJson | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const json = parsed as Partial<Record<keyof PruneJson, unknown>> | null;
  const counted = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;
  if (typeof json !== 'object' || json === null || typeof json.summary !== 'string' || !counted(json.pruned) || !counted(json.events) || !counted(json.kept_safelisted)) return undefined;
  if (typeof json.dry_run !== 'boolean' || !(json.live_removed === null || counted(json.live_removed))) return undefined;
  return json as PruneJson;
}
