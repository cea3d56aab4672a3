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

  /** The keys in ascending order (sorted in place: call once, when all are in). */
  sorted(): Float64Array {
    return this.keys.subarray(0, this.length).sort();
  }
}

/** What turns `live` into `planned`; both sorted ascending (PackedKeys4.sorted). */
export function diffPacked4(live: Float64Array, planned: Float64Array): FamilyDelta<number> {
  const add: Cidr<number>[] = [];
  const del: Cidr<number>[] = [];
  let i = 0;
  let j = 0;
  while (i < live.length || j < planned.length) {
    const was = i < live.length ? live[i]! : Infinity;
    const now = j < planned.length ? planned[j]! : Infinity;
    if (was < now) {
      del.push(unpack4(was));
      i++;
    } else if (now < was) {
      add.push(unpack4(now));
      j++;
    } else {
      i++;
      j++;
    }
  }
  return { add, del };
}
