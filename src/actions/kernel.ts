// What the kernel blocks, read beside what the store plans: show, stats and list report both, so a
// set emptied or an entry deleted by hand, or a rule a reload dropped, shows as what it is. A set
// blocks nothing without the rule and jumps that use it, so those are read too (presence(): a few
// cheap tool calls).

import type { Family } from '../address/network.js';
import type { FirewallBackend } from '../firewall/backend.js';
import { firstPlanned } from '../plan/stream.js';
import type { Store } from '../store/store.js';
import { liveBackend, type Surroundings } from './live.js';
import { streamFamilyPlan } from './plan-store.js';

export interface KernelReading {
  /** The backend whose live set is in place (the last restore's). */
  readonly backend: FirewallBackend;
  /** What keeps each family's live set from blocking anything (a set, rule or jump missing), in words; empty when nothing does. */
  readonly broken: Readonly<Record<Family, readonly string[]>>;
}

/** `rules: false`: only what a few cheap tool calls tell (see PresenceHints.rules), for a report on the way, not one asked for. */
export async function readKernel(store: Store, around: Surroundings, { rules = true }: { rules?: boolean } = {}): Promise<KernelReading> {
  const backend = await liveBackend(store, around);
  const checks = await backend.presence({
    rules,
    firstPlanned: (family) => store.read(() => firstPlanned(streamFamilyPlan(store, around.config, around.clock(), family))),
  });
  const broken: Record<Family, string[]> = { 4: [], 6: [] };
  for (const check of checks) {
    if (check.ok) continue;
    for (const family of check.family === undefined ? ([4, 6] as const) : [check.family]) broken[family].push(`${check.what} ${check.problem ?? 'not in place'}`);
  }
  return { backend, broken };
}
