// Self-heal: a foreign `iptables-restore`, `ufw reload` or `nft flush ruleset` can wipe our chain,
// rule, jump or sets at any time. Inspecting is cheap (a few tool calls); only when something is
// missing does it pay for a full restore from the store.

import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend, Inspection, LiveCheck } from '../firewall/backend.js';
import type { Store } from '../store/store.js';
import { restoreLive, type RestoreResult } from './restore.js';

export interface HealResult {
  /** What was found missing or broken; empty when everything was in place. */
  readonly problems: LiveCheck[];
  /** Live entries per family after the check (and the restore, if one ran). */
  readonly entries: Inspection['entries'];
  readonly restore?: RestoreResult;
}

export async function healLive(store: Store, config: Config, clock: Clock, backend: FirewallBackend, trigger: string): Promise<HealResult> {
  const { checks, entries } = await backend.inspect();
  const problems = checks.filter((check) => !check.ok);
  if (problems.length === 0) return { problems, entries };
  const restore = await restoreLive(store, config, clock, backend, trigger);
  return { problems, entries: { v4: restore.report.v4, v6: restore.report.v6 }, restore };
}

export function describeProblems(problems: readonly LiveCheck[]): string {
  return problems.map((problem) => `${problem.what} ${problem.problem ?? 'not in place'}`).join(', ');
}
