// Makes the kernel match the store: plan everything, hand the plan to the backend in one batch,
// then catch up on bans the hook recorded while the batch was loading (the hook does not wait for
// restore, so its live add may have gone to the set that was just swapped out).

import { LiveOwed, loadingCutShort, settleOwed } from './live-owed.js';
import type { Clock } from '../clock.js';
import { isBackendName, type BackendName, type Config } from '../config/config.js';
import type { ApplyReport, FirewallBackend } from '../firewall/backend.js';
import { targetOf, type Loaded, type Retired, type Retirer } from '../firewall/select.js';
import { deltaBetween, EMPTY_DELTA, isEmptyDelta, mergeDeltas, type Delta } from '../plan/diff.js';
import type { PlanStats } from '../plan/plan.js';
import type { PlanStream } from '../plan/stream.js';
import { repairBlockIndex } from '../store/block-index.js';
import { withApplyLock } from '../store/lock.js';
import type { Store } from '../store/store.js';
import { planAround, streamFamilyPlan, streamPlan } from './plan-store.js';
import { firstPlanned } from '../plan/stream.js';
import { UsageError } from '../errors.js';
import { shownPath } from '../input/quote.js';
import { count } from '../input/plural.js';

export interface RestoreResult {
  /** How the plan came out: blocks banned, dropped and split by the safelist, per family. */
  readonly stats: { readonly v4: Readonly<PlanStats>; readonly v6: Readonly<PlanStats> };
  readonly report: ApplyReport;
  /** Live entries added or removed afterwards for bans recorded during the load. */
  readonly caughtUp: number;
  readonly durationMs: number;
  /** What backends used before this one had left in place and was removed (see `retire`). */
  readonly retired: string[];
  /** The backend loaded. */
  readonly backend: BackendName;
}

const CATCH_UP_ROUNDS = 5;

export interface RestoreOptions {
  /**
   * What asked for the restore, for its record; a dry run has none and is not recorded (doctor and
   * stats must not take it for the last restore).
   */
  readonly trigger?: string;
  /**
   * Removes what restores before this one loaded and this one does not use (another backend, or
   * this one under other names), once this one is loaded: it would go on blocking what the store
   * no longer plans, never updated again.
   */
  readonly retire?: Retirer;
  /** Load every set whole, even one in place that could be updated (see ApplyOptions). */
  readonly rebuild?: boolean;
  /** Load an empty plan over a live set that holds entries (see refuseEmptying). */
  readonly force?: boolean;
}

/** `chosen` is the backend to load, or a way to find it once the apply lock is held. */
export async function restoreLive(
  store: Store,
  config: Config,
  clock: Clock,
  chosen: FirewallBackend | (() => Promise<FirewallBackend>),
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  return withApplyLock(store.path, () => restoreLocked(store, config, clock, chosen, options));
}

/** restoreLive's work, for a caller that holds the apply lock already (see heal.ts). */
export async function restoreLocked(
  store: Store,
  config: Config,
  clock: Clock,
  chosen: FirewallBackend | (() => Promise<FirewallBackend>),
  { trigger, retire, rebuild, force }: RestoreOptions = {},
): Promise<RestoreResult> {
  // The plan reads the store by its block index, which a bootstrap cut short may have left dropped.
  await repairBlockIndex(store);
  // A backend to find under the lock: another restore may switch backends while this one waits.
  const backend = typeof chosen === 'function' ? await chosen() : chosen;
  // Not performance.now(): its first use loads perf_hooks, ~1 ms of a restore's start.
  const started = process.hrtime.bigint();
  const now = clock();
  const target = targetOf(config, backend.name);
  const before = retire ? loadedBefore(store, config, backend.name) : [];
  if (force !== true) await refuseEmptying(store, config, now, backend);
  // Bans recorded from here on are caught up below (the stream may or may not include them).
  const maxId = store.bans.maxId();
  // Owed while it loads: a restore killed mid-load (routes go in one batch at a time) leaves the
  // live set short. One that fails says so itself, and is owed no longer.
  // What it loads, too: a `restore --backend` killed mid-load leaves another backend's sets in
  // place, recorded nowhere else (the switch is recorded once loaded); the next restore removes them.
  const owed = LiveOwed.begin(store, 'restore', { backend: backend.name, target });
  const reading = Date.now();
  let plan: PlanStream | undefined;
  let report: ApplyReport;
  let durationMs: number;
  let caughtUp: number;
  try {
    report = await backend.apply(() => (plan ??= streamPlan(store, config, now)), { rebuild: rebuild === true });
    if (!plan) throw new Error(`backend ${backend.name} did not build the plan`);
    durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
    // Recorded before the catch-up: a hook reads the record after its commit to find the live
    // backend, so one that still took the backend before this one committed its ban earlier, and
    // the catch-up below sees that ban.
    if (trigger !== undefined) {
      const loaded = report;
      store.write(() =>
        store.restores.record({
          started_at: now,
          duration_ms: durationMs,
          backend: backend.name,
          entries4: loaded.v4,
          entries6: loaded.v6,
          trigger,
          target,
          config_backend: config.backend,
        }),
      );
    }
    caughtUp = await catchUp(store, config, now, backend, maxId);
  } finally {
    owed.end();
  }
  const retired = retire && before.length > 0 ? await retiring(store, () => retire(before, backend.name)) : { notes: [], done: [] };
  // What others owed from before this read (an import killed before its live update) is loaded now.
  settleOwed(store, reading, { loaded: { backend: backend.name, target }, retired: retired.done });
  return { stats: { v4: plan.v4.stats, v6: plan.v6.stats }, report, caughtUp, durationMs, retired: retired.notes, backend: backend.name };
}

/**
 * Owed while other backends' sets are removed: a switch killed after its record, before that,
 * leaves the old sets blocking what the store no longer plans, which `restore --if-missing` (the
 * daemon's check, fail2ban's) then sees as owed and restores, removing them.
 */
async function retiring(store: Store, retire: () => Promise<Retired>): Promise<Retired> {
  const owed = LiveOwed.begin(store, 'removal of what other backends left');
  try {
    return await retire();
  } finally {
    owed.end();
  }
}

/**
 * An empty plan loaded over a live set that holds entries lifts every ban at once: the work of the
 * wrong store (another --db, a backup of a fresh install) or of a config whose policy matches
 * nothing (a mistyped jail), far more often than of an admin who means it. Refused, naming what
 * would go, unless forced. Whether the plan is empty costs its first page (a store that plans
 * entries plans one in it, or soon after); the live set is read only when it is.
 */
async function refuseEmptying(store: Store, config: Config, now: number, backend: FirewallBackend): Promise<void> {
  const problem = await emptyingProblem(store, config, now, backend);
  if (problem !== undefined) throw new UsageError(`refusing to empty the live blocklist: ${problem}; check --db and the policy, or restore --force to empty it`);
}

/** Why a restore would empty the live blocklist (refuseEmptying), if it would; `restore --dry-run` says it too. */
export async function emptyingProblem(store: Store, config: Config, now: number, backend: FirewallBackend): Promise<string | undefined> {
  const empty = store.read(() => firstPlanned(streamFamilyPlan(store, config, now, 4)) === undefined && firstPlanned(streamFamilyPlan(store, config, now, 6)) === undefined);
  if (!empty) return undefined;
  const { entries } = await backend.inspect();
  const live = (entries.v4 ?? 0) + (entries.v6 ?? 0);
  if (live === 0) return undefined;
  return `the store ${shownPath(store.path)} plans no entry, and restore would remove the ${count(live, 'entry', 'entries')} live in ${backend.name} (${entries.v4 ?? 0} IPv4, ${entries.v6 ?? 0} IPv6)`;
}

/**
 * What earlier restores loaded that a restore of `current` (with the config's settings) does not:
 * another backend, or this one under other names. A restore recorded without its settings loaded
 * the config's (as restores did before they were recorded).
 */
export function loadedBefore(store: Store, config: Config, current: BackendName): Loaded[] {
  const target = targetOf(config, current);
  const seen = new Set<string>();
  // And what restores cut short were loading (migrations/0013), which no record may name.
  const recorded = store.restores.targets();
  const cutShort = loadingCutShort(store).map((loading) => ({ ...loading, unrecorded: true }));
  return [...recorded, ...cutShort].filter((loaded): loaded is Loaded => {
    const key = `${loaded.backend} ${loaded.target ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return isBackendName(loaded.backend) && (loaded.backend !== current || (loaded.target ?? target) !== target);
  });
}

/** The live-set delta that brings a set loaded as of event `since` to the store as of event `until`. */
export function deltaSince(store: Store, config: Config, now: number, since: number, until: number): Delta {
  const deltas = store.bans
    .blocksAfter(since)
    .map((network) => deltaBetween(network.family, planAround(store, config, now, network, since), planAround(store, config, now, network, until)));
  return mergeDeltas(deltas);
}

/**
 * Applies, in a few rounds, the live change of the bans recorded after event `loaded`, for a live
 * set brought to the store as of `loaded`: what a hook's own live add may have missed while the
 * set was rebuilt or pruned under it. Returns the entries added or removed.
 */
export async function catchUp(store: Store, config: Config, now: number, backend: FirewallBackend, loaded: number): Promise<number> {
  let since = loaded;
  let changed = 0;
  for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
    const { delta, until } = store.read(() => {
      const newest = store.bans.maxId();
      return { until: newest, delta: newest === since ? EMPTY_DELTA : deltaSince(store, config, now, since, newest) };
    });
    if (until === since) break;
    if (!isEmptyDelta(delta)) {
      const report = await backend.update(delta);
      changed += report.added + report.removed;
    }
    since = until;
  }
  return changed;
}
