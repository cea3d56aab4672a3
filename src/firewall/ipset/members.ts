// The members of a live set as `ipset list NAME` prints them ("192.0.2.7", "198.51.100.0/24", one a
// line after "Members:", options such as "nomatch" after a space), read into what compare.ts diffs
// against the plan. IPv4 is read digit by digit into packed keys: a million members in ~0.1 s, where
// a split and a parser per line take several times that.

import type { Cidr } from '../../address/network.js';
import { isParseFailure, tryParseNetwork } from '../../address/parse.js';
import { Digest6, PackedKeys4 } from '../../plan/compare.js';

const MEMBERS = 'Members:\n';

/**
 * The IPv4 members, packed, in the listing's order (a hash's: sort them to diff); undefined when a
 * line is not an IPv4 address or block that stickyban would have put there (the caller then
 * rebuilds the set, which replaces whatever it holds).
 */
export function members4(listing: string): Float64Array | undefined {
  const keys = new PackedKeys4();
  const start = listing.indexOf(MEMBERS);
  if (start < 0) return keys.pushed();
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
  return keys.pushed();
}

/**
 * The IPv6 members, sorted by first address, then prefix (as diffEntries compares them); undefined
 * as for members4. ipset prints inet_ntop's form (lowercase, "::" for a run of zero groups), which
 * is read here without the general parser's checks for what a person might type, and sorted by a
 * text key: the parser and a sort comparing bigints took ~0.4 s for 100k members, on the path of a
 * restore that finds nothing to change. Anything else goes to the general parser.
 */
export function members6(listing: string): Cidr<bigint>[] | undefined {
  const start = listing.indexOf(MEMBERS);
  if (start < 0) return [];
  const members: Cidr<bigint>[] = [];
  // Each key ends in its member's index: sorted as plain strings (no comparator, V8's fast path).
  const keys: string[] = [];
  for (const line of listing.slice(start + MEMBERS.length).split('\n')) {
    const space = line.indexOf(' ');
    const entry = space < 0 ? line : line.slice(0, space);
    if (entry === '') continue;
    const member = listed6(entry);
    if (member === undefined) return undefined;
    keys.push(`${member.key}${members.length}`);
    members.push(member.cidr);
  }
  keys.sort();
  return keys.map((key) => members[Number(key.slice(KEY_DIGITS))]!);
}

/** A sort key's length before the index: 32 hex digits of the first address, 3 of the prefix. */
const KEY_DIGITS = 35;

/** One IPv6 member and its sort key: its first address in 32 hex digits, then its prefix in 3. */
function listed6(entry: string): { key: string; cidr: Cidr<bigint> } | undefined {
  const key = (first: string, prefix: number) => `${first}${String(prefix).padStart(3, '0')}`;
  const groups = new Uint16Array(8);
  const read = readMember6(entry, 0, groups);
  if (read !== undefined && read.end === entry.length) {
    const { prefix } = read;
    let hex = '';
    for (const group of groups) hex += group.toString(16).padStart(4, '0');
    const first = BigInt(`0x${hex}`);
    const hostMask = (1n << BigInt(128 - prefix)) - 1n;
    // A block with host bits set is not what stickyban puts there.
    if ((first & hostMask) !== 0n) return undefined;
    return { key: key(hex, prefix), cidr: { first, last: first | hostMask, prefix } };
  }
  const network = tryParseNetwork(entry);
  if (isParseFailure(network) || network.family !== 6) return undefined;
  return { key: key(network.first.toString(16).padStart(32, '0'), network.prefix), cidr: network };
}

/**
 * Reads a member in inet_ntop's form (lowercase hex groups, "::" for a run of zero groups, then
 * "/prefix" or nothing) at `at` into `groups`, character by character: its end (the index of what
 * follows it) and its prefix. Undefined for any other form, which the general parser reads.
 */
function readMember6(text: string, at: number, groups: Uint16Array): { end: number; prefix: number } | undefined {
  let i = at;
  let c = text.charCodeAt(i);
  // Groups before "::" fill from the left, after it from a second count; 8 - both are zeros.
  let count = 0;
  let gapAt = -1;
  let group = 0;
  let digits = 0;
  for (;;) {
    const hex = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (hex >= 0) {
      if (++digits > 4) return undefined;
      group = group * 16 + hex;
    } else if (c === 58) {
      if (text.charCodeAt(i + 1) === 58) {
        if (gapAt >= 0) return undefined;
        if (digits > 0) groups[count++] = group;
        gapAt = count;
        i++;
      } else {
        if (digits === 0 || count >= 7) return undefined;
        groups[count++] = group;
      }
      group = 0;
      digits = 0;
    } else break;
    c = text.charCodeAt(++i);
  }
  if (digits > 0) {
    if (count >= 8) return undefined;
    groups[count++] = group;
  } else if (gapAt !== count) return undefined;
  if (gapAt >= 0) {
    if (count >= 8) return undefined;
    const right = count - gapAt;
    for (let k = 0; k < right; k++) groups[7 - k] = groups[count - 1 - k]!;
    for (let k = gapAt; k < 8 - right; k++) groups[k] = 0;
  } else if (count !== 8) return undefined;
  let prefix = 128;
  if (c === 47) {
    prefix = 0;
    let prefixDigits = 0;
    c = text.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      prefix = prefix * 10 + (c - 48);
      prefixDigits++;
      c = text.charCodeAt(++i);
    }
    if (prefixDigits === 0 || prefixDigits > 3 || prefix > 128) return undefined;
  }
  return { end: i, prefix };
}

/**
 * The digest of the IPv6 members (see Digest6), read character by character with no string, bigint
 * or array made per member: what a restore that finds nothing drifted needs, where members6 took
 * ~0.4 s for 100k. Undefined for anything but inet_ntop's plain form of a block stickyban writes
 * (an embedded IPv4 address, host bits set, an option): members6 then says what it is.
 */
export function digestMembers6(listing: string): Digest6 | undefined {
  const digest = new Digest6();
  const start = listing.indexOf(MEMBERS);
  if (start < 0) return digest;
  const groups = new Uint16Array(8);
  const end = listing.length;
  let i = start + MEMBERS.length;
  while (i < end) {
    // A blank line ends the listing.
    if (listing.charCodeAt(i) === 10) break;
    const read = readMember6(listing, i, groups);
    if (read === undefined) return undefined;
    const { prefix } = read;
    i = read.end;
    // Only the end of the line: anything after a member is an option stickyban does not write.
    if (i < end && listing.charCodeAt(i) !== 10) return undefined;
    const w0 = ((groups[0]! << 16) | groups[1]!) >>> 0;
    const w1 = ((groups[2]! << 16) | groups[3]!) >>> 0;
    const w2 = ((groups[4]! << 16) | groups[5]!) >>> 0;
    const w3 = ((groups[6]! << 16) | groups[7]!) >>> 0;
    // Host bits set: not a block stickyban writes.
    if (hostBitsOf(w0, prefix, 0) || hostBitsOf(w1, prefix, 1) || hostBitsOf(w2, prefix, 2) || hostBitsOf(w3, prefix, 3)) return undefined;
    digest.add(w0, w1, w2, w3, prefix);
    i++;
  }
  return digest;
}

/** Whether word `w` (0 first) of an IPv6 address has bits set beyond `prefix`. */
function hostBitsOf(word: number, prefix: number, w: number): boolean {
  const hostBits = Math.min(32, Math.max(0, (w + 1) * 32 - prefix));
  if (hostBits === 0) return false;
  if (hostBits === 32) return word !== 0;
  return (word & ((1 << hostBits) - 1)) !== 0;
}
