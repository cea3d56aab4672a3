import type { Network } from '../address/network.js';

/** Orders networks as the store's block index does: family, then first address, then size. */
export function compareNetworks(a: Network, b: Network): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  return a.prefix - b.prefix;
}
