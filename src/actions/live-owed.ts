// A live update owed from the store change before it until the live set has it (see
// migrations/0010_live_owed.sql): what a check finds when the process that owed it is gone.

import { isRunning, ownIdentity, stillRuns } from '../exec/pid.js';
import type { LiveCheck } from '../firewall/backend.js';
import { isEmptyDelta, type Delta } from '../plan/diff.js';
import type { OwedUpdate } from '../store/live-owed.js';
import type { LoadedTarget } from '../store/restores.js';
import type { Store } from '../store/store.js';

export class LiveOwed {
  private constructor(
    private readonly store: Store,
    private readonly id: number,
  ) {}

  /**
   * Written before the store change it covers: a kill after that change leaves it behind.
   * `loading`: a restore's backend and target, which a kill may leave half loaded.
   */
  static begin(store: Store, what: string, loading?: LoadedTarget): LiveOwed {
    return new LiveOwed(store, store.write(() => store.liveOwed.add(ownIdentity(), Date.now(), what, loading), 'bookkeeping'));
  }

  /**
   * Written in the transaction of the store change it covers, which the caller holds: no
   * transaction of its own (the ban hook's path), and no window between the two.
   */
  static within(store: Store, what: string): LiveOwed {
    return new LiveOwed(store, store.liveOwed.add(ownIdentity(), Date.now(), what));
  }

  /** The live set has the change: nothing is owed any more. */
  end(): void {
    this.store.write(() => this.store.liveOwed.remove(this.id), 'bookkeeping');
  }

  /** end() without blocking the thread while the store is busy (the daemon applies the fleet's changes). */
  async endAsync(): Promise<void> {
    await this.store.writeAsync(() => this.store.liveOwed.remove(this.id), undefined, 'bookkeeping');
  }
}

/** Inside a change's write transaction: the live update it owes noted (see LiveOwed.within), when it has one. */
export function oweLive(store: Store, delta: Delta, what: string): LiveOwed | undefined {
  return isEmptyDelta(delta) ? undefined : LiveOwed.within(store, what);
}

/** What processes that are gone left owed, as a check's problem; undefined when nothing is. */
export function owedProblem(store: Store): LiveCheck | undefined {
  // One per process, its first: an import's own restore owes what the import does.
  const byProcess = new Map<number, OwedUpdate>();
  for (const row of store.read(() => store.liveOwed.cutShort(ownerRuns))) if (!byProcess.has(row.pid)) byProcess.set(row.pid, row);
  const owed = [...byProcess.values()];
  if (owed.length === 0) return undefined;
  const first = owed[0]!;
  const more = owed.length > 1 ? ` (and ${owed.length - 1} more)` : '';
  return { what: 'the live set', ok: false, problem: `lags the store: the ${first.what} of pid ${first.pid} ended before its live update${more}` };
}

/**
 * After a restore read the store from `atMs` (Date.now()) on and loaded `done.loaded`: what gone
 * processes owed from before then is paid. What a gone restore was loading, other than that or what
 * this one removed (`done.retired`), stays named as a leftover (see LiveOwedTable.settle).
 */
export function settleOwed(store: Store, atMs: number, done: { readonly loaded: LoadedTarget; readonly retired: readonly LoadedTarget[] }): void {
  store.write(() => store.liveOwed.settle(atMs, ownerRuns, done), 'bookkeeping');
}

/** What restores cut short (their process gone) were loading: see migrations/0013. */
export function loadingCutShort(store: Store): LoadedTarget[] {
  return store.liveOwed.loadingCutShort(ownerRuns);
}

/** Whether a note's owner still runs: by its identity, or by its pid alone for a note from before 0012. */
function ownerRuns(owed: OwedUpdate): boolean {
  if (owed.pidNs === null || owed.startTicks === null) return isRunning(owed.pid);
  return stillRuns({ pid: owed.pid, pidNs: owed.pidNs, startTicks: owed.startTicks });
}
