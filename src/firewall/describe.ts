import type { Family } from '../address/network.js';
import type { BackendName, Config } from '../config/config.js';

/** Where a backend puts the blocklist, in words, for dry runs and doctor. */
export function describeTarget(config: Config): string {
  switch (config.backend) {
    case 'ipset':
      return `ipsets ${config.ipset.set4}/${config.ipset.set6}, matched in iptables/ip6tables chain ${config.ipset.chain} from ${config.ipset.hookChains.join(', ')}`;
    case 'nftables':
      return `nftables table inet ${config.nftables.table} (sets v4_hosts/v4, v6_hosts/v6, input hook priority ${config.nftables.priority})`;
    case 'route':
      return `blackhole routes with metric ${config.route.metric}`;
  }
}

/** A family's live set of a backend, in a few words: where show looks for an address. */
export function describeLiveSet(config: Config, backend: BackendName, family: Family): string {
  switch (backend) {
    case 'ipset':
      return `ipset ${family === 4 ? config.ipset.set4 : config.ipset.set6}`;
    case 'nftables':
      return `nftables table inet ${config.nftables.table}`;
    case 'route':
      return `blackhole routes with metric ${config.route.metric}`;
  }
}
