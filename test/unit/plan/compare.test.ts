import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { V4, V6, type Cidr } from '../../../src/address/network.js';
import { diffPacked4, diffPacked4InPieces, diffPacked6InPieces, pack4, PackedEntries6, PackedKeys4, sameKeys4, unpack4 } from '../../../src/plan/compare.js';
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

test('diffPacked4InPieces: pieces of at most the size asked, together the whole difference in address order', () => {
  const keys = (from: number, to: number, step: number) => Float64Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => (from + i * step) * 64);
  const live = keys(0, 1000, 1); // 0 … 999
  const planned = keys(500, 1500, 2); // 500, 502, … 1498
  const whole = diffPacked4(live, planned);
  const pieces = [...diffPacked4InPieces(live, planned, 64)];
  assert.ok(pieces.every((piece) => piece.add.length + piece.del.length <= 64));
  assert.ok(pieces.slice(0, -1).every((piece) => piece.add.length + piece.del.length === 64), 'only the last piece is short');
  assert.deepEqual(pieces.flatMap((piece) => piece.del), whole.del);
  assert.deepEqual(pieces.flatMap((piece) => piece.add), whole.add);
  assert.equal(whole.del.length, 500 + 250);
  assert.equal(whole.add.length, 250);
  assert.deepEqual([...diffPacked4InPieces(live, live, 64)], [], 'no difference, no piece');
});

test('PackedEntries6 round-trips blocks at both ends of the space and finds what diffEntries finds', () => {
  const block = (first: bigint, prefix: number): Cidr<bigint> => {
    const start = V6.blockFirst(first, prefix);
    return { first: start, last: V6.blockLast(start, prefix), prefix };
  };
  const packed = new PackedEntries6();
  const blocks = [0, 1, 63, 64, 65, 127, 128].flatMap((prefix) => [block(0n, prefix), block(2n ** 128n - 1n, prefix), block(0x20010db8n << 96n, prefix)]);
  for (const one of blocks) packed.entry(one);
  assert.deepEqual(blocks.map((_, i) => packed.at(i)), blocks);

  const random = seeded(11);
  const ascending = (chosen: Cidr<bigint>[]) => chosen.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : b.prefix - a.prefix));
  // Disjoint blocks, as a plan holds: /64s of one /48, some split in two /65s.
  const pool = Array.from({ length: 400 }, (_, i) => block((0x20010db8n << 96n) | (BigInt(i) << 64n), 64));
  const pick = () => {
    const chosen: Cidr<bigint>[] = [];
    for (const one of pool) {
      if (random() < 0.4) continue;
      if (random() < 0.2) chosen.push(block(one.first, 65), block(one.first + (1n << 63n), 65));
      else chosen.push(one);
    }
    return ascending(chosen);
  };
  for (let trial = 0; trial < 20; trial++) {
    const live = pick();
    const planned = pick();
    const pack = (chosen: Cidr<bigint>[]) => chosen.reduce((into, one) => (into.entry(one), into), new PackedEntries6());
    const plain = diffEntries(live, planned);
    const pieces = [...diffPacked6InPieces(pack(live), pack(planned), 50)];
    assert.ok(pieces.every((piece) => piece.add.length + piece.del.length <= 50));
    assert.deepEqual(pieces.flatMap((piece) => piece.add), plain.add, `trial ${trial}: adds`);
    assert.deepEqual(pieces.flatMap((piece) => piece.del), plain.del, `trial ${trial}: deletes`);
  }
});

describe('PackedKeys4.sorted', () => {
  test("a set's listing, in hash order, comes out as the plan's keys do", () => {
    const planned = new PackedKeys4();
    const listed = new PackedKeys4();
    const blocks = Array.from({ length: 10_000 }, (_, i) => ({ first: 0x64000000 + i * 256, last: 0x64000000 + i * 256 + (i % 3 === 0 ? 255 : 0), prefix: i % 3 === 0 ? 24 : 32 }));
    for (const block of blocks) planned.entry(block);
    for (let i = 0; i < blocks.length; i++) listed.entry(blocks[(i * 7919) % blocks.length]!);
    assert.deepEqual(Array.from(listed.sorted()), Array.from(planned.sorted()));
  });
});

test('sameKeys4: the same keys in any order are the same; one key swapped for another, one more or one less, never', () => {
  const random = seeded(11);
  for (let trial = 0; trial < 200; trial++) {
    const keys = new Set<number>();
    const size = 1 + Math.floor(random() * 2000);
    while (keys.size < size) keys.add(pack4(randomBlock(random)));
    const planned = Float64Array.from(keys).sort();
    const shuffled = Float64Array.from(planned);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    assert.equal(sameKeys4(shuffled, planned), true);
    let other: number;
    do other = pack4(randomBlock(random));
    while (keys.has(other));
    const swapped = Float64Array.from(shuffled);
    swapped[Math.floor(random() * swapped.length)] = other;
    assert.equal(sameKeys4(swapped, planned), false, 'an entry deleted by hand and another added');
    assert.equal(sameKeys4(shuffled.subarray(1), planned), false, 'one less');
    assert.equal(sameKeys4(Float64Array.from([...shuffled, other]), planned), false, 'one more');
  }
  // Neighbours differ in one bit of the address or of the prefix: still told apart.
  const base = { first: 0xc0000200, last: 0xc0000200, prefix: 32 };
  for (const neighbour of [{ ...base, first: 0xc0000201, last: 0xc0000201 }, { first: 0xc0000200, last: 0xc0000201, prefix: 31 }, { first: 0x40000200, last: 0x40000200, prefix: 32 }]) {
    assert.equal(sameKeys4(Float64Array.of(pack4(base)), Float64Array.of(pack4(neighbour))), false);
  }
});
