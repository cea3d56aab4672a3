// Self-heal: a foreign `iptables-restore`, `ufw reload` or `nft flush ruleset` can wipe our chain,
// rule, jump or sets at any time, and an import or prune killed half way leaves the live set out of
// line with the store. Inspecting is cheap (a few tool calls, and the plan's entry counts kept in
// the store: plan-count.ts); only when something is missing or miscounted does it pay for a
// restore from the store.

import { formatTime, type Clock } from '../clock.js';
import { OperationalError } from '../errors.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend, LiveCheck, PresenceHints } from '../firewall/backend.js';
import type { Retirer } from '../firewall/select.js';
import { firstPlanned } from '../plan/stream.js';
import { streamFamilyPlan } from './plan-store.js';
import { plannedRanges, type CountOptions, type Counted } from './plan-count.js';
import type { Store } from '../store/store.js';
import { restoreLocked, type RestoreResult } from './restore.js';
import { owedProblem } from './live-owed.js';
import { withApplyLock } from '../store/lock.js';

export interface HealResult {
  /** What was found missing or broken; empty when everything was in place. */
  readonly problems: LiveCheck[];
  readonly restore?: RestoreResult;
}

export interface Findings {
  /** What is missing or broken; empty when all is in place. */
  readonly problems: LiveCheck[];
  /**
   * The live entry counts were not compared with the plan: that needed counting the plan in full,
   * which `count` did not allow (the daemon leaves it to a job: restore --if-missing).
   */
  readonly uncounted: boolean;
}

/** A command may count the whole plan; new events are counted on top of the last count up to this many. */
export const COMMAND_COUNT: CountOptions = { full: true, newest: 4096 };
/** The daemon's loop counts only a few new events on top at once (~0.2 ms each); more are counted in turns (countInTurns). */
export const DAEMON_COUNT: CountOptions = { full: false, newest: 32 };

/** How long a miscount is given to settle (a hook's live change on its way) before it is repaired. */
const SETTLE_MS = 500;

/**
 * Restores when something is missing or miscounted. Found again under the apply lock before the
 * restore: a prune or restore that held it may have brought the set in line meanwhile (a prune's
 * deletions show as a miscount until its live update).
 */
export async function healLive(store: Store, config: Config, clock: Clock, backend: FirewallBackend, trigger: string, retire?: Retirer, force = false): Promise<HealResult> {
  const found = await findProblems(store, config, clock, backend, COMMAND_COUNT);
  if (found.problems.length === 0) return { problems: [] };
  if (found.problems.every((problem) => problem.miscount)) await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return withApplyLock(store.path, async () => {
    const { problems } = await findProblems(store, config, clock, backend, COMMAND_COUNT);
    if (problems.length === 0) return { problems };
    return { problems, restore: await restoreLocked(store, config, clock, backend, { trigger, retire, force }) };
  });
}

/**
 * What is missing or broken of what the backend needs in place, as cheaply as it can tell, the
 * live entry counts included where the backend reads them cheaply and `count` allows the plan's.
 * Throws when all of it is what a restore cannot repair (a set of another type in the way): that
 * is not rebuilt every few seconds for nothing; anything else is, and the restore then names the
 * rest as well.
 */
export async function findProblems(store: Store, config: Config, clock: Clock, backend: FirewallBackend, count: CountOptions = COMMAND_COUNT): Promise<Findings> {
  const now = clock();
  let counted: Counted | undefined | null = null;
  const hints: PresenceHints = {
    firstPlanned: (family) => store.read(() => firstPlanned(streamFamilyPlan(store, config, now, family))),
    plannedRange: (family) => {
      if (counted === null) counted = plannedRanges(store, config, now, count);
      return counted?.ranges[family];
    },
  };
  const problems = (await backend.presence(hints)).filter((check) => !check.ok);
  // Kept for the next check; one that cannot be written (a busy store) is counted again then.
  const save = counted === null ? undefined : (counted as Counted | undefined)?.save;
  if (save) await store.writeAsync(save).catch(() => undefined);
  const ended = endedSinceRestore(store, clock());
  if (ended) problems.push(ended);
  const owed = owedProblem(store);
  if (owed) problems.push(owed);
  const stuck = problems.filter((problem) => problem.fix !== undefined);
  if (problems.length > 0 && stuck.length === problems.length) throw new OperationalError(stuck.map((problem) => `${problem.what} ${problem.problem}: ${problem.fix}`).join('; '));
  return { problems, uncounted: counted === undefined };
}

/**
 * Temporary bans (`ban --duration`) that ran to their end since the last restore loaded the live set:
 * the plan no longer has them, the live set still may. Nothing takes them out at their end but a
 * restore, which this asks for: the daemon's check runs every heal interval, `restore --if-missing`
 * whenever it is run.
 */
function endedSinceRestore(store: Store, now: number): LiveCheck | undefined {
  const ended = store.read(() => {
    const last = store.restores.last();
    return last === undefined ? [] : store.bans.endedBetween(last.started_at, now);
  });
  if (ended.length === 0) return undefined;
  const end = formatTime(ended.at(-1)!.until);
  if (ended.length === 1) return { what: `temporary ban of ${ended[0]!.address}`, ok: false, problem: `ended at ${end}, still live` };
  return { what: `${ended.length} temporary bans (${ended[0]!.address}, …)`, ok: false, problem: `ended by ${end}, still live` };
}

export function describeProblems(problems: readonly LiveCheck[]): string {
  return problems.map((problem) => `${problem.what} ${problem.problem ?? 'not in place'}`).join(', ');
}
