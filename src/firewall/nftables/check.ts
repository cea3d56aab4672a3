// What inspect() reports for the nftables backend: each part of our table that must be in place, read
// from `nft -j list table`. Pure, so doctor's wording is tested without a kernel.

import type { Family } from '../../address/network.js';
import type { Config } from '../../config/config.js';
import type { Inspection, LiveCheck } from '../backend.js';
import type { NftChainState, NftRuleState, NftSetState, NftTableFlags, NftTableState } from './json.js';
import { dropRules, NFT_CHAIN, NFT_SETS } from './script.js';

export function checkTable(state: NftTableState | undefined, settings: Config['nftables']): Inspection {
  const table = `nftables table inet ${settings.table}`;
  if (!state) return { checks: [{ what: table, ok: false, problem: 'does not exist' }], entries: { v4: undefined, v6: undefined } };
  const checks: LiveCheck[] = [checkTableFlags(state.flags, settings)];
  const entries: { v4: number | undefined; v6: number | undefined } = { v4: undefined, v6: undefined };
  for (const family of [4, 6] as const) {
    const { hosts, blocks, type } = NFT_SETS[family];
    const hostSet = checkSet(checks, state.sets, hosts, type, false, family);
    const blockSet = checkSet(checks, state.sets, blocks, type, true, family);
    if (hostSet && blockSet) entries[family === 4 ? 'v4' : 'v6'] = hostSet.elements.length + blockSet.elements.length;
  }
  checks.push(checkChain(state.chains, settings.priority), ...checkRules(state.rules), ...checkRulesAhead(state.rules, settings.table));
  return { checks, entries };
}

/**
 * The admin's rules in our chain ahead of its first drop rule that accept or return: what they
 * match never meets the sets (doctor warns; a restore leaves them, they are the admin's). An accept
 * in another table's chain lets nothing past ours: every base chain of the hook sees the packet.
 */
export function checkRulesAhead(rules: readonly NftRuleState[], table: string): LiveCheck[] {
  const ours = rules.filter((rule) => rule.chain === NFT_CHAIN);
  const drops = new Set(([4, 6] as Family[]).flatMap(dropRules));
  const first = ours.findIndex((rule) => rule.text !== undefined && drops.has(rule.text));
  return ours
    .slice(0, Math.max(first, 0))
    // A jump or goto: to a chain the admin added to our table, whose accept ends the packet's way there.
    .filter((rule) => rule.verdict !== undefined && ['accept', 'return', 'jump', 'goto', 'vmap', 'queue'].includes(rule.verdict))
    .map((rule) => ({
      what: `nftables rule ahead of the drop in chain ${NFT_CHAIN}`,
      ok: true,
      warning: `a rule (handle ${rule.handle ?? '?'}) ${AHEAD[rule.verdict!] ?? `ends in ${rule.verdict}: what it matches`} never meets the sets`,
      // The table is stickyban's, replaced whole by a restore: the rule goes with the next one.
      fix: `safelist those addresses instead (stickyban safelist add), then nft delete rule inet ${table} ${NFT_CHAIN} handle ${rule.handle ?? '<handle>'} (the next restore drops it with the table, which is stickyban's own)`,
      bypass: 'what it matches',
    }));
}

/** How a rule ahead of the drop lets packets past it, by its verdict, when not in one word. */
const AHEAD: Record<string, string> = {
  jump: 'ends in jump: what it matches and the chain it goes to accepts',
  goto: 'ends in goto: what it matches and the chain it goes to accepts',
  vmap: 'ends in a verdict map that may accept, return, jump or go to: what it lets on so',
  queue: 'hands what it matches to a program (queue): what that program accepts',
};

/** The drop rules our chain must hold, each once, among the rules listed. */
export function checkRules(rules: readonly NftRuleState[]): LiveCheck[] {
  return ([4, 6] as Family[]).flatMap((family) =>
    dropRules(family).map((rule): LiveCheck => {
      const present = rules.filter((entry) => entry.chain === NFT_CHAIN && entry.text === rule).length;
      const what = `rule "${rule}" in chain ${NFT_CHAIN}`;
      return present === 1 ? { what, ok: true, family } : { what, ok: false, problem: present === 0 ? 'missing' : 'duplicated', family };
    }),
  );
}

/** Adds the check of one set; returns the set when it is usable. */
function checkSet(checks: LiveCheck[], sets: readonly NftSetState[], name: string, type: string, interval: boolean, family: Family): NftSetState | undefined {
  const what = `nftables set ${name} (${type}${interval ? ', flags interval' : ''})`;
  const set = sets.find((entry) => entry.name === name);
  let problem: string | undefined;
  if (!set) problem = 'does not exist';
  else if (set.type !== type) problem = `has type ${set.type}`;
  else if (set.flags.includes('interval') !== interval) problem = interval ? 'lacks flags interval, so CIDR blocks cannot match' : 'has flags interval';
  checks.push(problem ? { what, ok: false, problem, family } : { what, ok: true, family });
  return problem ? undefined : set;
}

/**
 * What the daemon checks every few seconds: `nft flush ruleset` or a reload of nftables.conf takes
 * our whole table, and its chain shows that, read from `nft list chains` (which, unlike any listing
 * of the table, reads back no set elements: ~14 s for a million).
 */
export function checkPresence(chains: readonly NftChainState[] | undefined, settings: Config['nftables']): LiveCheck[] {
  if (!chains || chains.length === 0) return [{ what: `nftables table inet ${settings.table}`, ok: false, problem: 'does not exist' }];
  return [checkChain(chains, settings.priority)];
}

/**
 * A table made dormant (`nft add table inet stickyban { flags dormant; }`) keeps its chains, rules
 * and sets, and filters nothing. stickyban sets no flag; a restore loads the table without one.
 * Read from a listing of the table (doctor, a command's report), not by the daemon's check.
 */
export function checkTableFlags(flags: NftTableFlags, settings: Config['nftables']): LiveCheck {
  const what = `nftables table inet ${settings.table}`;
  if (flags === 'unnamed') return { what, ok: false, problem: 'has table flags stickyban did not set (flags dormant turns the table off; this nft does not print which)' };
  if (flags.includes('dormant')) return { what, ok: false, problem: 'is dormant (flags dormant): its chain filters nothing' };
  return { what, ok: true };
}

function checkChain(chains: readonly NftChainState[], priority: number): LiveCheck {
  const what = `nftables chain ${NFT_CHAIN} (type filter hook input priority ${priority}, policy accept)`;
  const chain = chains.find((entry) => entry.name === NFT_CHAIN);
  if (!chain) return { what, ok: false, problem: 'does not exist' };
  if (chain.type !== 'filter' || chain.hook !== 'input') return { what, ok: false, problem: `is ${chain.hook ? `type ${chain.type} hook ${chain.hook}` : 'not a base chain'}` };
  if (chain.prio !== priority) return { what, ok: false, problem: `has priority ${chain.prio}` };
  // A drop policy in our chain would drop every packet, not only the banned ones.
  if (chain.policy !== 'accept') return { what, ok: false, problem: `has policy ${chain.policy}` };
  return { what, ok: true };
}
