// What a live set must change to hold exactly the plan, when the set is already there: a firewall
// reload that kept the sets leaves them as they were, and a restore then only needs the difference
// (usually none) instead of a rebuild. At a million entries both sides are IPv4 keys packed into
// one number each (first * 64 + host bits, exact in a double), in typed arrays sorted in place: a
// million Cidr objects per side would cost ~100 MB and their sort ~1 s, the packed keys 8 MB and
// ~0.1 s. IPv6 sets are smaller and keep their objects (diffEntries).

import type { Cidr } from '../address/network.js';
import type { FamilyDelta } from './diff.js';
import type { PlanSink } from './stream.js';

export function pack4(cidr: Cidr<number>): number {
  return cidr.first * 64 + (32 - cidr.prefix);
}

export function unpack4(key: number): Cidr<number> {
  const first = Math.floor(key / 64);
  const hostBits = key - first * 64;
  return { first, last: first + 2 ** hostBits - 1, prefix: 32 - hostBits };
}

/** IPv4 keys, appended one by one into a typed array that grows as needed. */
export class PackedKeys4 implements PlanSink<number> {
  private keys = new Float64Array(1024);
  length = 0;

  entry(cidr: Cidr<number>): void {
    this.push(pack4(cidr));
  }

  push(key: number): void {
    if (this.length === this.keys.length) {
      const grown = new Float64Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    this.keys[this.length++] = key;
  }

  /** The keys as they were pushed. */
  pushed(): Float64Array {
    return this.keys.subarray(0, this.length);
  }

  /**
   * The keys in ascending order (sorted in place: call once, when all are in). A plan's keys come
   * in order already (the store reads blocks in address order): checked, not sorted again.
   */
  sorted(): Float64Array {
    const keys = this.pushed();
    return isAscending(keys) ? keys : keys.sort();
  }
}

function isAscending(keys: Float64Array): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return false;
  return true;
}

/**
 * Whether two sets of packed IPv4 keys hold the same keys, without sorting either: the same count
 * and the same order-independent digest (two sums, modulo 2^32, of two different 32-bit mixes of
 * each key). A restore that finds nothing drifted at a million entries spent ~0.12 s sorting the
 * live set's listing to learn that. Sets that differ get the same count and digest by chance only,
 * about once in 2^64 (each sum of the mixes of their differing keys must come out equal); an entry
 * stickyban did not write is not a key here at all (members4 refuses it, and the set is rebuilt).
 */
export function sameKeys4(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const [a1, a2] = digest4(a);
  const [b1, b2] = digest4(b);
  return a1 === b1 && a2 === b2;
}

function digest4(keys: Float64Array): [number, number] {
  let first = 0;
  let second = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    // A packed key is below 2^38: its low 32 bits, and the rest.
    const low = key >>> 0;
    const high = (key - low) / 4294967296;
    first = (first + murmurMix(low ^ Math.imul(high, 0x9e3779b1))) | 0;
    second = (second + lowbiasMix(Math.imul(low, 0x2545f491) ^ high)) | 0;
  }
  return [first, second];
}

/**
 * The order-independent digest of a set of IPv6 blocks, as sameKeys4's: each block as the four
 * 32-bit words of its first address and its prefix. Compare the count too.
 */
export class Digest6 {
  count = 0;
  private first = 0;
  private second = 0;

  add(w0: number, w1: number, w2: number, w3: number, prefix: number): void {
    this.count++;
    this.first = (this.first + murmurMix(w0 ^ murmurMix(w1 ^ murmurMix(w2 ^ murmurMix(w3 ^ prefix))))) | 0;
    this.second = (this.second + lowbiasMix(w3 ^ lowbiasMix(w2 ^ lowbiasMix(w1 ^ lowbiasMix(w0 ^ (prefix << 24)))))) | 0;
  }

  addCidr(cidr: Cidr<bigint>): void {
    const { first } = cidr;
    this.add(Number(first >> 96n), Number((first >> 64n) & 0xffffffffn), Number((first >> 32n) & 0xffffffffn), Number(first & 0xffffffffn), cidr.prefix);
  }

  equals(other: Digest6): boolean {
    return this.count === other.count && this.first === other.first && this.second === other.second;
  }
}

/** MurmurHash3's finalizer: every input bit reaches every output bit. */
function murmurMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Another 32-bit finalizer (lowbias32), so the two sums do not collide together. */
function lowbiasMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return h ^ (h >>> 16);
}

/** What turns `live` into `planned`; both sorted ascending (PackedKeys4.sorted). */
export function diffPacked4(live: Float64Array, planned: Float64Array): FamilyDelta<number> {
  for (const delta of diffPacked4InPieces(live, planned, Infinity)) return delta;
  return { add: [], del: [] };
}

/**
 * diffPacked4 in pieces of at most `size` entries, in address order (an entry removed and the
 * pieces that replace it come together): a prune's difference may be millions of entries.
 */
export function diffPacked4InPieces(live: Float64Array, planned: Float64Array, size: number): Generator<FamilyDelta<number>> {
  return differenceInPieces(
    { length: live.length, at: (i) => unpack4(live[i]!) },
    { length: planned.length, at: (j) => unpack4(planned[j]!) },
    (i, j) => live[i]! - planned[j]!,
    size,
  );
}

/**
 * IPv6 entries packed as the two halves of the first address and the host bits: 17 bytes an entry,
 * where a Cidr of bigints takes over 100. Pushed in the planner's order (ascending, disjoint).
 */
export class PackedEntries6 implements PlanSink<bigint> {
  private high = new BigUint64Array(256);
  private low = new BigUint64Array(256);
  private hostBits = new Uint8Array(256);
  length = 0;

  entry(cidr: Cidr<bigint>): void {
    if (this.length === this.hostBits.length) this.grow();
    this.high[this.length] = cidr.first >> 64n;
    this.low[this.length] = cidr.first & LOW_64;
    this.hostBits[this.length++] = 128 - cidr.prefix;
  }

  at(i: number): Cidr<bigint> {
    const first = (this.high[i]! << 64n) | this.low[i]!;
    const hostBits = this.hostBits[i]!;
    return { first, last: first + (1n << BigInt(hostBits)) - 1n, prefix: 128 - hostBits };
  }

  /** Order of entry i of this and entry j of `other`, as pack4 orders IPv4: first address, then size. */
  compare(i: number, other: PackedEntries6, j: number): number {
    const high = this.high[i]! - other.high[j]!;
    if (high !== 0n) return high < 0n ? -1 : 1;
    const low = this.low[i]! - other.low[j]!;
    if (low !== 0n) return low < 0n ? -1 : 1;
    return this.hostBits[i]! - other.hostBits[j]!;
  }

  private grow(): void {
    const size = this.hostBits.length * 2;
    const high = new BigUint64Array(size);
    const low = new BigUint64Array(size);
    const hostBits = new Uint8Array(size);
    high.set(this.high);
    low.set(this.low);
    hostBits.set(this.hostBits);
    [this.high, this.low, this.hostBits] = [high, low, hostBits];
  }
}

const LOW_64 = (1n << 64n) - 1n;

/** diffPacked4InPieces for IPv6. */
export function diffPacked6InPieces(live: PackedEntries6, planned: PackedEntries6, size: number): Generator<FamilyDelta<bigint>> {
  return differenceInPieces(live, planned, (i, j) => live.compare(i, planned, j), size);
}

interface Indexed<K> {
  readonly length: number;
  at(i: number): Cidr<K>;
}

/** The merge walk of two ascending sequences of entries, given how entry i of one orders against entry j of the other. */
function* differenceInPieces<K extends number | bigint>(live: Indexed<K>, planned: Indexed<K>, order: (i: number, j: number) => number, size: number): Generator<FamilyDelta<K>> {
  let add: Cidr<K>[] = [];
  let del: Cidr<K>[] = [];
  let i = 0;
  let j = 0;
  while (i < live.length || j < planned.length) {
    const sign = i === live.length ? 1 : j === planned.length ? -1 : order(i, j);
    if (sign < 0) del.push(live.at(i++));
    else if (sign > 0) add.push(planned.at(j++));
    else {
      i++;
      j++;
    }
    if (add.length + del.length >= size) {
      yield { add, del };
      add = [];
      del = [];
    }
  }
  if (add.length + del.length > 0) yield { add, del };
}
