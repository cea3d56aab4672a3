import assert from 'node:assert/strict';
import { test } from 'node:test';
import { V4, type Cidr } from '../../../src/address/network.js';
import { diffPacked4, pack4, PackedKeys4, unpack4 } from '../../../src/plan/compare.js';
import { diffEntries } from '../../../src/plan/diff.js';

/** A random CIDR block of the IPv4 space, mostly single addresses as a store holds them. */
function randomBlock(random: () => number): Cidr<number> {
  const prefix = random() < 0.8 ? 32 : 8 + Math.floor(random() * 25);
  const first = V4.blockFirst(Math.floor(random() * 2 ** 32), prefix);
  return { first, last: V4.blockLast(first, prefix), prefix };
}

function seeded(seed: number): () => number {
  return () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

test('packed IPv4 keys round-trip every prefix at both ends of the space', () => {
  for (let prefix = 0; prefix <= 32; prefix++) {
    for (const address of [0, 2 ** 32 - 1, 0x0a000001]) {
      const first = V4.blockFirst(address, prefix);
      const block = { first, last: V4.blockLast(first, prefix), prefix };
      assert.deepEqual(unpack4(pack4(block)), block);
    }
  }
});

test('diffPacked4 finds what diffEntries finds, over random live sets and plans that overlap', () => {
  const random = seeded(7);
  for (let trial = 0; trial < 50; trial++) {
    const pool = Array.from({ length: 300 }, () => randomBlock(random));
    const pick = () => {
      const chosen = new Map<number, Cidr<number>>();
      for (const block of pool) if (random() < 0.6) chosen.set(pack4(block), block);
      return [...chosen.values()];
    };
    const live = pick();
    const planned = pick();
    const keys = (blocks: Cidr<number>[]) => {
      const packed = new PackedKeys4();
      for (const block of blocks) packed.entry(block);
      return packed.sorted();
    };
    // diffEntries wants (first, prefix) order; packed keys sort by (first, size): compare as sets.
    const byFirstPrefix = (a: Cidr<number>, b: Cidr<number>) => a.first - b.first || a.prefix - b.prefix;
    const plain = diffEntries([...live].sort(byFirstPrefix), [...planned].sort(byFirstPrefix));
    const fast = diffPacked4(keys(live), keys(planned));
    assert.deepEqual([...fast.add].sort(byFirstPrefix), plain.add, `trial ${trial}: adds`);
    assert.deepEqual([...fast.del].sort(byFirstPrefix), plain.del, `trial ${trial}: deletes`);
  }
});

test('PackedKeys4 grows past its first buffer and sorts what it holds', () => {
  const keys = new PackedKeys4();
  for (let i = 5000; i > 0; i--) keys.push(i * 64);
  const sorted = keys.sorted();
  assert.equal(sorted.length, 5000);
  assert.equal(sorted[0], 64);
  assert.equal(sorted[4999], 5000 * 64);
});
