// Which firewall changes matter, from `nft -j monitor destroy` lines (pure). A reload of iptables-nft
// (iptables-restore, ufw, netfilter-persistent) deletes the filter table or its chains and rules; an
// `nft flush ruleset` deletes every table. Only deletions that can take our rule, our jumps or our
// own table matter: fail2ban's bans and unbans in its own chains do not, nor our own element changes.

import type { Config } from '../../config/config.js';
import { NFT_PROBE_CHAIN } from '../../firewall/nftables/script.js';

/** What is ours in the ruleset, by backend. */
export interface WatchTargets {
  /** iptables-nft: the filter tables of ip and ip6, and the chains holding our rule and jumps. */
  readonly iptables?: { readonly chains: readonly string[] };
  /** The nftables backend's own table (family inet). */
  readonly nftTable?: string;
}

export function watchTargets(config: Config): WatchTargets {
  switch (config.backend) {
    case 'ipset':
      return { iptables: { chains: [config.ipset.chain, ...config.ipset.hookChains] } };
    case 'nftables':
      return { nftTable: config.nftables.table };
    case 'route':
      return {};
  }
}

interface Deleted {
  readonly family?: string;
  readonly table?: string;
  readonly name?: string;
  readonly chain?: string;
}

/** True when the monitor line reports a deletion that can leave our blocklist unenforced. */
export function isRelevant(line: string, targets: WatchTargets): boolean {
  // Element deletions are the bulk of the output (our own unbans, prunes): not worth parsing.
  if (line.startsWith('{"delete": {"element"')) return false;
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return false;
  }
  const deleted = (event as { delete?: Record<string, Deleted> }).delete;
  if (typeof deleted !== 'object' || deleted === null) return false;
  const [kind, object] = Object.entries(deleted)[0] ?? [];
  if (!object || typeof object !== 'object') return false;
  const table = kind === 'table' ? object.name : object.table;
  const { iptables, nftTable } = targets;
  if (iptables && (object.family === 'ip' || object.family === 'ip6') && table === 'filter') {
    if (kind === 'table') return true;
    const chain = kind === 'chain' ? object.name : object.chain;
    if ((kind === 'chain' || kind === 'rule') && chain !== undefined && iptables.chains.includes(chain)) return true;
  }
  if (nftTable !== undefined && object.family === 'inet' && table === nftTable) {
    if (kind === 'table' || kind === 'set') return true;
    // A live add's probe chain comes and goes within its own transaction (firewall/nftables/script.ts).
    if (kind === 'chain' || kind === 'rule') return (kind === 'chain' ? object.name : object.chain) !== NFT_PROBE_CHAIN;
  }
  return false;
}
