// The members of a live set as `ipset list NAME` prints them ("192.0.2.7", "198.51.100.0/24", one a
// line after "Members:", options such as "nomatch" after a space), read into what compare.ts diffs
// against the plan. IPv4 is read digit by digit into packed keys: a million members in ~0.1 s, where
// a split and a parser per line take several times that.

import type { Cidr } from '../../address/network.js';
import { isParseFailure, tryParseNetwork } from '../../address/parse.js';
import { PackedKeys4 } from '../../plan/compare.js';

const MEMBERS = 'Members:\n';

/**
 * The IPv4 members, packed and sorted; undefined when a line is not an IPv4 address or block that
 * stickyban would have put there (the caller then rebuilds the set, which replaces whatever it holds).
 */
export function members4(listing: string): Float64Array | undefined {
  const keys = new PackedKeys4();
  const start = listing.indexOf(MEMBERS);
  if (start < 0) return keys.sorted();
  const end = listing.length;
  let i = start + MEMBERS.length;
  while (i < end) {
    let address = 0;
    let octet = 0;
    let dots = 0;
    let prefix = 32;
    const lineStart = i;
    let c = listing.charCodeAt(i);
    while (i < end && c !== 10 && c !== 47 && c !== 32) {
      if (c === 46) {
        if (octet > 255) return undefined;
        address = address * 256 + octet;
        octet = 0;
        dots++;
      } else if (c >= 48 && c <= 57) {
        octet = octet * 10 + (c - 48);
      } else {
        return undefined;
      }
      c = listing.charCodeAt(++i);
    }
    if (i === lineStart) {
      // A blank line ends the listing.
      if (c === 10 || i >= end) break;
      return undefined;
    }
    address = address * 256 + octet;
    if (c === 47) {
      prefix = 0;
      c = listing.charCodeAt(++i);
      while (c >= 48 && c <= 57) {
        prefix = prefix * 10 + (c - 48);
        c = listing.charCodeAt(++i);
      }
    }
    if (dots !== 3 || octet > 255 || prefix > 32) return undefined;
    keys.push(address * 64 + (32 - prefix));
    // Options after the entry, and the line's end.
    while (i < end && listing.charCodeAt(i) !== 10) i++;
    i++;
  }
  return keys.sorted();
}

/** The IPv6 members, sorted by first address, then prefix (as diffEntries compares them); undefined as for members4. */
export function members6(listing: string): Cidr<bigint>[] | undefined {
  const start = listing.indexOf(MEMBERS);
  if (start < 0) return [];
  const members: Cidr<bigint>[] = [];
  for (const line of listing.slice(start + MEMBERS.length).split('\n')) {
    const entry = line.split(' ')[0]!;
    if (entry === '') continue;
    const network = tryParseNetwork(entry);
    if (isParseFailure(network) || network.family !== 6) return undefined;
    members.push(network as Cidr<bigint>);
  }
  return members.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix));
}
