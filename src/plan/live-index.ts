// What a live set blocks, read once and then asked about many blocks in turn (list --live, doctor):
// its entries merged into disjoint ranges, and a binary search per block. An IPv4 set is held as
// two Float64Arrays (16 bytes an entry: a million entries in 16 MB, where Range objects take ~70 MB
// and ~1 s to sort); IPv6 sets are smaller and keep their ranges.

import { V6, type Range } from '../address/network.js';
import { unpack4 } from './compare.js';
import { SafelistIndex, type Coverage } from './safelist-index.js';

export interface LiveIndex<K extends number | bigint> {
  /** Entries the live set held, as it listed them. */
  readonly entries: number;
  /** How much of `block` the live set holds. */
  coverage(block: Range<K>): Coverage;
}

export class LiveIndex4 implements LiveIndex<number> {
  private constructor(
    readonly entries: number,
    private readonly firsts: Float64Array,
    private readonly lasts: Float64Array,
    private readonly length: number,
  ) {}

  /** From packed keys (compare.ts's pack4) sorted ascending, as members4 reads them. */
  static fromPacked(keys: Float64Array): LiveIndex4 {
    return LiveIndex4.merged(keys.length, (take) => {
      for (let i = 0; i < keys.length; i++) take(unpack4(keys[i]!));
    });
  }

  static fromRanges(ranges: readonly Range<number>[]): LiveIndex4 {
    const sorted = [...ranges].sort((a, b) => a.first - b.first || a.last - b.last);
    return LiveIndex4.merged(ranges.length, (take) => sorted.forEach(take));
  }

  /** `each` hands over the entries sorted by first; one that starts inside or right after the range before extends it. */
  private static merged(entries: number, each: (take: (range: Range<number>) => void) => void): LiveIndex4 {
    const firsts = new Float64Array(entries);
    const lasts = new Float64Array(entries);
    let length = 0;
    each(({ first, last }) => {
      if (length > 0 && first <= lasts[length - 1]! + 1) {
        if (last > lasts[length - 1]!) lasts[length - 1] = last;
      } else {
        firsts[length] = first;
        lasts[length++] = last;
      }
    });
    return new LiveIndex4(entries, firsts, lasts, length);
  }

  coverage(block: Range<number>): Coverage {
    // The first merged range that ends at or after the block's start.
    let low = 0;
    let high = this.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.lasts[mid]! < block.first) low = mid + 1;
      else high = mid;
    }
    if (low === this.length || this.firsts[low]! > block.last) return 'none';
    return this.firsts[low]! <= block.first && this.lasts[low]! >= block.last ? 'full' : 'partial';
  }
}

export class LiveIndex6 implements LiveIndex<bigint> {
  readonly entries: number;
  private readonly index: SafelistIndex<bigint>;

  constructor(ranges: readonly Range<bigint>[]) {
    this.entries = ranges.length;
    this.index = new SafelistIndex(V6, ranges);
  }

  coverage(block: Range<bigint>): Coverage {
    return this.index.coverage(block);
  }
}
