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
  /** What fixes them: a restore, unless a check names another way. */
  readonly brokenFixes: Readonly<Record<Family, readonly string[]>>;
  /** The admin's rules that let every packet past the jump to our chain: the set blocks nothing either, and a restore does not change it. */
  readonly bypassedAll: Readonly<Record<Family, readonly string[]>>;
  /** The admin's rules ahead of the drop that let what they match past the set. */
  readonly bypassedSome: Readonly<Record<Family, readonly string[]>>;
}

/** `rules: false`: only what a few cheap tool calls tell (see PresenceHints.rules), for a report on the way, not one asked for. */
export async function readKernel(store: Store, around: Surroundings, { rules = true }: { rules?: boolean } = {}): Promise<KernelReading> {
  const backend = await liveBackend(store, around);
  const checks = await backend.presence({
    rules,
    firstPlanned: (family) => store.read(() => firstPlanned(streamFamilyPlan(store, around.config, around.clock(), family))),
  });
  const broken: Record<Family, string[]> = { 4: [], 6: [] };
  const brokenFixes: Record<Family, string[]> = { 4: [], 6: [] };
  const bypassedAll: Record<Family, string[]> = { 4: [], 6: [] };
  const bypassedSome: Record<Family, string[]> = { 4: [], 6: [] };
  for (const check of checks) {
    const list = !check.ok ? broken : check.bypass === 'every packet' ? bypassedAll : check.bypass ? bypassedSome : undefined;
    if (!list) continue;
    const words = `${check.what} ${(check.ok ? check.warning : check.problem) ?? 'not in place'}`;
    for (const family of check.family === undefined ? ([4, 6] as const) : [check.family]) {
      list[family].push(words);
      // A restore repairs what is missing; what is in its way (a set of another type) it refuses, and the check says what does.
      if (!check.ok && !brokenFixes[family].includes(check.fix ?? RESTORE)) brokenFixes[family].push(check.fix ?? RESTORE);
    }
  }
  return { backend, broken, brokenFixes, bypassedAll, bypassedSome };
}

const RESTORE = 'stickyban restore';

/** Why the family's live set blocks nothing and what fixes it; undefined when it blocks what it holds. */
export function blocksNothing(reading: KernelReading, family: Family): { readonly why: string; readonly fix: string } | undefined {
  if (reading.broken[family].length > 0) return { why: reading.broken[family].join('; '), fix: `fix: ${reading.brokenFixes[family].join('; ')}` };
  if (reading.bypassedAll[family].length > 0) return { why: reading.bypassedAll[family].join('; '), fix: 'see stickyban doctor for the fix' };
  return undefined;
}
