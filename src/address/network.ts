// Addresses are numbers from the moment they are parsed: IPv4 as a JS number (0 … 2^32-1), IPv6 as a
// bigint. A network is the inclusive range [first, last] of a CIDR block, so every later step (planner,
// store queries, diff) compares numbers and never re-parses text.

export type Family = 4 | 6;

export interface Range<K> {
  readonly first: K;
  readonly last: K;
}

export interface Cidr<K> extends Range<K> {
  readonly prefix: number;
}

export type Network4 = Cidr<number> & { readonly family: 4 };
export type Network6 = Cidr<bigint> & { readonly family: 6 };
export type Network = Network4 | Network6;

/** The arithmetic the planner needs, once per family, so the planner itself is written once. */
export interface KeySpace<K extends number | bigint> {
  readonly family: Family;
  readonly bits: number;
  readonly max: K;
  next(key: K): K;
  prev(key: K): K;
  /** Last address of the /prefix block that starts at `first`. */
  blockLast(first: K, prefix: number): K;
  /** First address of the /prefix block that contains `key`. */
  blockFirst(key: K, prefix: number): K;
  /** Appends the fewest CIDR blocks that exactly cover [first, last]. */
  cover(first: K, last: K, out: Cidr<K>[]): void;
}

const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

export const V4: KeySpace<number> = {
  family: 4,
  bits: 32,
  max: 2 ** 32 - 1,
  next: (key) => key + 1,
  prev: (key) => key - 1,
  blockLast: (first, prefix) => first + POW2[32 - prefix]! - 1,
  blockFirst: (key, prefix) => key - (key % POW2[32 - prefix]!),
  cover(first, last, out) {
    while (first <= last) {
      let prefix = 32;
      // Grow the block while it stays aligned on `first` and inside the range.
      while (prefix > 0) {
        const size = POW2[33 - prefix]!;
        if (first % size !== 0 || first + size - 1 > last) break;
        prefix--;
      }
      const end = first + POW2[32 - prefix]! - 1;
      out.push({ first, last: end, prefix });
      first = end + 1;
    }
  },
};

const SIZE6 = Array.from({ length: 129 }, (_, i) => 1n << BigInt(i));

export const V6: KeySpace<bigint> = {
  family: 6,
  bits: 128,
  max: SIZE6[128]! - 1n,
  next: (key) => key + 1n,
  prev: (key) => key - 1n,
  blockLast: (first, prefix) => first + SIZE6[128 - prefix]! - 1n,
  blockFirst: (key, prefix) => key & ~(SIZE6[128 - prefix]! - 1n),
  cover(first, last, out) {
    while (first <= last) {
      let prefix = 128;
      while (prefix > 0) {
        const size = SIZE6[129 - prefix]!;
        if ((first & (size - 1n)) !== 0n || first + size - 1n > last) break;
        prefix--;
      }
      const end = first + SIZE6[128 - prefix]! - 1n;
      out.push({ first, last: end, prefix });
      first = end + 1n;
    }
  },
};

export function spaceOf(family: 4): KeySpace<number>;
export function spaceOf(family: 6): KeySpace<bigint>;
export function spaceOf(family: Family): KeySpace<number> | KeySpace<bigint>;
export function spaceOf(family: Family): KeySpace<number> | KeySpace<bigint> {
  return family === 4 ? V4 : V6;
}

/** The network of a CIDR block given as a range (its size is a power of two). */
export function networkOf(family: Family, first: number | bigint, last: number | bigint): Network {
  if (family === 4) {
    const size = (last as number) - (first as number) + 1;
    return network4(first as number, 32 - Math.round(Math.log2(size)));
  }
  const size = (last as bigint) - (first as bigint) + 1n;
  return network6(first as bigint, 129 - size.toString(2).length);
}

export function network4(first: number, prefix: number): Network4 {
  return { family: 4, first, last: V4.blockLast(first, prefix), prefix };
}

export function network6(first: bigint, prefix: number): Network6 {
  return { family: 6, first, last: V6.blockLast(first, prefix), prefix };
}

/** True when `outer` contains `inner` (both of one family). */
export function contains<K extends number | bigint>(outer: Range<K>, inner: Range<K>): boolean {
  return outer.first <= inner.first && inner.last <= outer.last;
}

export function overlaps<K extends number | bigint>(a: Range<K>, b: Range<K>): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Orders networks as the store's block index does: family, then first address, then size. */
export function compareNetworks(a: Network, b: Network): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  return a.prefix - b.prefix;
}
