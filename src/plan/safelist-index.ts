import type { KeySpace, Range } from '../address/network.js';
import { mergeRanges } from './plan.js';

export type Coverage = 'none' | 'partial' | 'full';

/** Answers "how much of this block is safelisted?" by binary search over merged ranges. */
export class SafelistIndex<K extends number | bigint> {
  private readonly ranges: Range<K>[];

  constructor(space: KeySpace<K>, ranges: Iterable<Range<K>>) {
    this.ranges = mergeRanges(space, ranges);
  }

  coverage(block: Range<K>): Coverage {
    // First merged range that ends at or after the block's start.
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.ranges[mid]!.last < block.first) low = mid + 1;
      else high = mid;
    }
    const range = this.ranges[low];
    if (range === undefined || range.first > block.last) return 'none';
    return range.first <= block.first && range.last >= block.last ? 'full' : 'partial';
  }
}
