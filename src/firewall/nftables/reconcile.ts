// When the live interval set is not what the store expects (an element to delete is gone, or one to
// add overlaps what is there), the delta cannot be applied as it is: nft fails the whole transaction.
// This works out the element changes that carry out the delta's intent on what is really there. Pure.

import type { Cidr, KeySpace, Range } from '../../address/network.js';

export interface BlockChanges<K> {
  /** Live elements to delete, exactly as they are in the set. */
  readonly del: Range<K>[];
  readonly add: Cidr<K>[];
}

/**
 * Deleting a block takes it out of every live element it meets (a larger live element keeps the pieces
 * around it); adding a block that a live element already contains does nothing, and otherwise replaces
 * the live elements it meets with their union. Then only the elements that differ are changed.
 */
export function reconcileBlocks<K extends number | bigint>(
  space: KeySpace<K>,
  live: readonly Range<K>[],
  del: readonly Range<K>[],
  add: readonly Range<K>[],
): BlockChanges<K> {
  const state = [...live].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  for (const block of del) {
    const [from, to] = meeting(state, block);
    const pieces: Range<K>[] = [];
    for (let i = from; i < to; i++) {
      const element = state[i]!;
      if (element.first < block.first) pieces.push({ first: element.first, last: space.prev(block.first) });
      if (element.last > block.last) pieces.push({ first: space.next(block.last), last: element.last });
    }
    state.splice(from, to - from, ...pieces);
  }
  for (const block of add) {
    const [from, to] = meeting(state, block);
    const only = to - from === 1 ? state[from]! : undefined;
    if (only && only.first <= block.first && block.last <= only.last) continue;
    const first = from < to && state[from]!.first < block.first ? state[from]!.first : block.first;
    const last = from < to && state[to - 1]!.last > block.last ? state[to - 1]!.last : block.last;
    state.splice(from, to - from, { first, last });
  }
  const key = (range: Range<K>): string => `${range.first}-${range.last}`;
  const before = new Set(live.map(key));
  const after = new Set(state.map(key));
  const added: Cidr<K>[] = [];
  for (const range of state) if (!before.has(key(range))) space.cover(range.first, range.last, added);
  return { del: live.filter((range) => !after.has(key(range))), add: added };
}

/** [from, to): the elements of a sorted, disjoint list that meet `block`. */
function meeting<K extends number | bigint>(state: readonly Range<K>[], block: Range<K>): [number, number] {
  let low = 0;
  let high = state.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (state[mid]!.last < block.first) low = mid + 1;
    else high = mid;
  }
  let to = low;
  while (to < state.length && state[to]!.first <= block.last) to++;
  return [low, to];
}
