// Self-heal: a foreign `iptables-restore`, `ufw reload` or `nft flush ruleset` can wipe our chain,
// rule, jump or sets at any time. Inspecting is cheap (a few tool calls); only when something is
// missing does it pay for a full restore from the store.

import type { Clock } from '../clock.js';
import { OperationalError } from '../errors.js';
import type { Config } from '../config/config.js';
import type { FirewallBackend, LiveCheck } from '../firewall/backend.js';
import type { Store } from '../store/store.js';
import { restoreLive, type RestoreResult } from './restore.js';

export interface HealResult {
  /** What was found missing or broken; empty when everything was in place. */
  readonly problems: LiveCheck[];
  readonly restore?: RestoreResult;
}

export async function healLive(store: Store, config: Config, clock: Clock, backend: FirewallBackend, trigger: string): Promise<HealResult> {
  const last = store.read(() => store.restores.last());
  const loaded = last?.backend === backend.name ? { v4: last.entries4, v6: last.entries6 } : undefined;
  const problems = (await backend.presence(loaded)).filter((check) => !check.ok);
  if (problems.length === 0) return { problems };
  // A restore would fail on it again: say what to do instead of rebuilding every few seconds.
  const stuck = problems.filter((problem) => problem.fix !== undefined);
  if (stuck.length > 0) throw new OperationalError(stuck.map((problem) => `${problem.what} ${problem.problem}: ${problem.fix}`).join('; '));
  return { problems, restore: await restoreLive(store, config, clock, backend, trigger) };
}

export function describeProblems(problems: readonly LiveCheck[]): string {
  return problems.map((problem) => `${problem.what} ${problem.problem ?? 'not in place'}`).join(', ');
}
