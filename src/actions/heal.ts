// Self-heal: a foreign `iptables-restore`, `ufw reload` or `nft flush ruleset` can wipe our chain,
// rule, jump or sets at any time. Inspecting is cheap (a few tool calls); only when something is
// missing does it pay for a full restore from the store.

import type { Clock } from '../clock.js';
import { OperationalError } from '../errors.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend, LiveCheck, PresenceHints } from '../firewall/backend.js';
import type { Retirer } from '../firewall/select.js';
import { firstPlanned } from '../plan/stream.js';
import { streamFamilyPlan } from './plan-store.js';
import type { Store } from '../store/store.js';
import { restoreLive, type RestoreResult } from './restore.js';

export interface HealResult {
  /** What was found missing or broken; empty when everything was in place. */
  readonly problems: LiveCheck[];
  readonly restore?: RestoreResult;
}

export async function healLive(store: Store, config: Config, clock: Clock, backend: FirewallBackend, trigger: string, retire?: Retirer, force = false): Promise<HealResult> {
  const problems = await findProblems(store, config, clock, backend);
  if (problems.length === 0) return { problems };
  return { problems, restore: await restoreLive(store, config, clock, backend, { trigger, retire, force }) };
}

/**
 * What is missing or broken of what the backend needs in place, as cheaply as it can tell; empty
 * when all is in place. Throws when all of it is what a restore cannot repair (a set of another
 * type in the way): that is not rebuilt every few seconds for nothing; anything else is, and the
 * restore then names the rest as well.
 */
export async function findProblems(store: Store, config: Config, clock: Clock, backend: FirewallBackend): Promise<LiveCheck[]> {
  const hints: PresenceHints = {
    firstPlanned: (family) => store.read(() => firstPlanned(streamFamilyPlan(store, config, clock(), family))),
  };
  const problems = (await backend.presence(hints)).filter((check) => !check.ok);
  const stuck = problems.filter((problem) => problem.fix !== undefined);
  if (problems.length > 0 && stuck.length === problems.length) throw new OperationalError(stuck.map((problem) => `${problem.what} ${problem.problem}: ${problem.fix}`).join('; '));
  return problems;
}

export function describeProblems(problems: readonly LiveCheck[]): string {
  return problems.map((problem) => `${problem.what} ${problem.problem ?? 'not in place'}`).join(', ');
}
