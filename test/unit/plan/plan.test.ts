import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatCidr } from '../../../src/address/format.js';
import { V4, V6, type Cidr, type KeySpace, type Range } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { FamilyPlanner, mergeRanges, planFamily } from '../../../src/plan/plan.js';
import { diffEntries, EMPTY_DELTA, withDeletes } from '../../../src/plan/diff.js';

const v4 = (text: string): Cidr<number> => parseNetwork(text) as Cidr<number>;
const v6 = (text: string): Cidr<bigint> => parseNetwork(text) as Cidr<bigint>;
const sortByFirst = <K extends number | bigint, T extends Range<K>>(ranges: T[]): T[] =>
  [...ranges].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));

function plan4(bans: string[], safelist: string[] = []): string[] {
  return planFamily(V4, sortByFirst(bans.map(v4)), safelist.map(v4)).entries.map((cidr) => formatCidr(4, cidr));
}

describe('planFamily', () => {
  test('keeps distinct addresses, drops duplicates', () => {
    assert.deepEqual(plan4(['192.0.2.1', '192.0.2.1', '192.0.2.3']), ['192.0.2.1', '192.0.2.3']);
  });

  test('drops blocks nested in a banned block, whichever comes first', () => {
    assert.deepEqual(plan4(['10.0.0.0/8', '10.1.2.3', '10.0.0.0/16', '11.0.0.1']), ['10.0.0.0/8', '11.0.0.1']);
    assert.deepEqual(plan4(['10.0.0.0/16', '10.0.0.0/8']), ['10.0.0.0/8']);
  });

  test('drops safelisted addresses and addresses inside safelisted ranges', () => {
    assert.deepEqual(plan4(['192.0.2.1', '192.0.2.2', '198.51.100.7'], ['192.0.2.1', '198.51.100.0/24']), ['192.0.2.2']);
  });

  test('splits a banned block around a safelisted address into the CIDRs that remain', () => {
    const entries = plan4(['10.20.0.0/16'], ['10.20.30.40']);
    assert.equal(entries.length, 16);
    assert.ok(!entries.includes('10.20.0.0/16'));
    assert.deepEqual(entries.slice(0, 3), ['10.20.0.0/20', '10.20.16.0/21', '10.20.24.0/22']);
    assert.ok(entries.includes('10.20.30.41') && entries.includes('10.20.30.32/29'));
  });

  test('a safelist range covering the whole block drops it', () => {
    const result = planFamily(V4, [v4('10.1.0.0/16')], [v4('10.0.0.0/8')]);
    assert.deepEqual(result.entries, []);
    assert.equal(result.dropped, 1);
  });

  test('counts banned, dropped and split blocks, and the entries planned, the same when fed page by page', () => {
    const bans = sortByFirst(['1.0.0.0/24', '2.0.0.1', '3.0.0.0/24', '4.0.0.1', '4.0.0.0/30'].map(v4));
    const safelist = ['2.0.0.1', '3.0.0.7'].map(v4);
    const result = planFamily(V4, bans, safelist);
    // 3.0.0.0/24 less 3.0.0.7 is eight blocks; 4.0.0.1 is inside 4.0.0.0/30.
    assert.deepEqual([result.banned, result.dropped, result.split, result.planned], [4, 1, 1, 10]);
    assert.equal(result.entries.length, 10);
    // Every cut into two pages, including the one between 4.0.0.0/30 and the 4.0.0.1 nested in it.
    for (let cut = 0; cut <= bans.length; cut++) {
      const stats = { banned: 0, dropped: 0, split: 0, planned: 0 };
      const paged: Cidr<number>[] = [];
      const planner = new FamilyPlanner(V4, safelist, { entry: (cidr) => void paged.push(cidr) }, stats);
      planner.take(bans.slice(0, cut), (block) => block);
      planner.take(bans.slice(cut), (block) => block);
      planner.end();
      assert.deepEqual(paged, result.entries, `pages cut at ${cut}`);
      assert.deepEqual(stats, { banned: 4, dropped: 1, split: 1, planned: 10 });
    }
  });

  test('unpacks each item of a page on the way, and holds the last block back until the end', () => {
    const entries: string[] = [];
    const planner = new FamilyPlanner(V4, [], { entry: (cidr) => void entries.push(formatCidr(4, cidr)) }, { banned: 0, dropped: 0, split: 0, planned: 0 });
    planner.take(['1.0.0.0/24', '1.0.0.9'], v4);
    assert.deepEqual(entries, [], 'a later page may still hold blocks nested in 1.0.0.0/24');
    planner.take(['1.0.0.77', '2.0.0.1'], v4);
    assert.deepEqual(entries, ['1.0.0.0/24']);
    planner.end();
    assert.deepEqual(entries, ['1.0.0.0/24', '2.0.0.1']);
  });

  test('refuses a page that goes back before the page before', () => {
    const planner = new FamilyPlanner(V4, [], { entry: () => undefined }, { banned: 0, dropped: 0, split: 0, planned: 0 });
    planner.take([v4('2.0.0.1')], (block) => block);
    assert.throws(() => planner.take([v4('1.0.0.1')], (block) => block), /not sorted/);
  });

  test('IPv6 works the same way, with a /48 safelisted inside a banned /32', () => {
    const result = planFamily(V6, [v6('2001:db8::/32')], [v6('2001:db8:5::/48')]);
    const text = result.entries.map((cidr) => formatCidr(6, cidr));
    assert.equal(text.length, 16);
    assert.ok(!text.includes('2001:db8:5::/48'));
    assert.ok(text.includes('2001:db8:4::/48') && text.includes('2001:db8:6::/47'));
  });

  test('refuses unsorted input rather than planning wrong', () => {
    assert.throws(() => planFamily(V4, [v4('2.0.0.1'), v4('1.0.0.1')], []), /not sorted/);
  });

  test('edges of the address space', () => {
    assert.deepEqual(plan4(['0.0.0.0/1'], ['0.0.0.0']).length, 31);
    assert.deepEqual(plan4(['255.255.255.255']), ['255.255.255.255']);
    assert.deepEqual(plan4(['128.0.0.0/1'], ['255.255.255.255']).at(-1), '255.255.255.254');
  });
});

describe('mergeRanges', () => {
  test('merges overlapping and touching ranges, keeps gaps', () => {
    const merged = mergeRanges(V4, [{ first: 10, last: 20 }, { first: 21, last: 30 }, { first: 5, last: 12 }, { first: 40, last: 41 }]);
    assert.deepEqual(merged, [{ first: 5, last: 30 }, { first: 40, last: 41 }]);
  });
});

describe('diffEntries', () => {
  test('adds and removes only what differs', () => {
    const before = ['10.0.0.0/16', '10.1.0.1', '10.2.0.0/24'].map((text) => parseNetwork(text) as Cidr<number>);
    const after = ['10.0.0.0/17', '10.0.128.0/17', '10.1.0.1', '10.3.0.1'].map((text) => parseNetwork(text) as Cidr<number>);
    const delta = diffEntries(before, after);
    assert.deepEqual(delta.del.map((cidr) => formatCidr(4, cidr)), ['10.0.0.0/16', '10.2.0.0/24']);
    assert.deepEqual(delta.add.map((cidr) => formatCidr(4, cidr)), ['10.0.0.0/17', '10.0.128.0/17', '10.3.0.1']);
  });

  test('nested blocks with the same first address (live routes left by racing hooks) are told apart by prefix', () => {
    const cidrs = (...texts: string[]) => texts.map((text) => parseNetwork(text) as Cidr<number>);
    const delta = diffEntries(cidrs('10.0.0.0/24', '10.0.0.0'), cidrs('10.0.0.0'));
    assert.deepEqual(delta.add, []);
    assert.deepEqual(delta.del.map((cidr) => formatCidr(4, cidr)), ['10.0.0.0/24']);
  });
});

describe('withDeletes', () => {
  test('adds the deletes of one family once, leaves what the plan adds and the other family alone', () => {
    const planned = { ...EMPTY_DELTA, v4: { add: [v4('10.0.0.0/25'), v4('10.0.0.128/26')], del: [v4('10.0.0.0/24')] }, v6: { add: [v6('2001:db8::1')], del: [] } };
    const swept = withDeletes(planned, 4, [v4('10.0.0.0/24'), v4('10.0.0.200'), v4('10.0.0.0/25'), v4('10.0.0.201')]);
    assert.deepEqual(swept.v4.del.map((cidr) => formatCidr(4, cidr)), ['10.0.0.0/24', '10.0.0.200', '10.0.0.201']);
    assert.deepEqual(swept.v4.add, planned.v4.add);
    assert.deepEqual(swept.v6, planned.v6);
    assert.deepEqual(withDeletes(EMPTY_DELTA, 6, [v6('2001:db8::5')]).v6.del.map((cidr) => formatCidr(6, cidr)), ['2001:db8::5']);
  });
});

/** A deterministic pseudo-random source, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomBlock(next: () => number, base: number, bits: number, minPrefix: number): Cidr<number> {
  const prefix = minPrefix + Math.floor(next() * (33 - minPrefix));
  const size = 2 ** (32 - prefix);
  const first = base + Math.floor((next() * 2 ** bits) / size) * size;
  return { first, last: first + size - 1, prefix };
}

/** Is `key` inside one of the ranges? Binary search over merged ranges. */
function inside<K extends number | bigint>(merged: Range<K>[], key: K): boolean {
  let low = 0;
  let high = merged.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const range = merged[mid]!;
    if (key < range.first) high = mid - 1;
    else if (key > range.last) low = mid + 1;
    else return true;
  }
  return false;
}

function checkPlanInvariants<K extends number | bigint>(space: KeySpace<K>, bans: Cidr<K>[], safelist: Range<K>[], samples: K[]): void {
  const entries = planFamily(space, sortByFirst(bans), safelist).entries;
  const safe = mergeRanges(space, safelist);
  const banned = mergeRanges(space, bans);
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1]!.last < entries[i]!.first, 'entries are sorted and disjoint');
  for (const entry of entries) {
    // No entry meets a safelisted range: the first safelisted range ending at or after its start begins after its end.
    const meets = safe.find((range) => range.last >= entry.first);
    assert.ok(meets === undefined || meets.first > entry.last, `entry ${String(entry.first)}/${entry.prefix} meets the safelist`);
    assert.equal(space.blockLast(entry.first, entry.prefix), entry.last, 'each entry is a CIDR block');
  }
  const planned = mergeRanges(space, entries);
  for (const key of samples) {
    const shouldBlock = inside(banned, key) && !inside(safe, key);
    assert.equal(inside(planned, key), shouldBlock, `address ${String(key)}`);
  }
}

describe('planner properties', () => {
  test('random 10k bans x 1k safelist ranges: nothing safelisted is planned, everything else banned is', () => {
    const next = random(7);
    // Crowd everything into 10.0.0.0/8 so bans and safelist ranges really collide.
    const base = 10 * 2 ** 24;
    const bans = Array.from({ length: 10_000 }, () => randomBlock(next, base, 24, 12));
    const safelist = Array.from({ length: 1_000 }, () => randomBlock(next, base, 24, 14));
    const samples = [
      ...bans.flatMap((ban) => [ban.first, ban.last, Math.floor((ban.first + ban.last) / 2)]),
      ...safelist.flatMap((range) => [range.first - 1, range.first, range.last, range.last + 1]),
      ...Array.from({ length: 20_000 }, () => base + Math.floor(next() * 2 ** 24)),
    ];
    checkPlanInvariants(V4, bans, safelist, samples);
  });

  test('exhaustive check in a small universe: the plan covers exactly banned minus safelisted', () => {
    const next = random(99);
    for (let round = 0; round < 50; round++) {
      // 192.168.0.0/16: every one of its 65,536 addresses is checked.
      const base = 0xc0a80000;
      const bans = Array.from({ length: 40 }, () => randomBlock(next, base, 16, 18));
      const safelist = Array.from({ length: 15 }, () => randomBlock(next, base, 16, 20));
      const all = Array.from({ length: 65_536 }, (_, i) => base + i);
      checkPlanInvariants(V4, bans, safelist, all);
    }
  });

  test('IPv6 random bans x safelist keep the same invariants', () => {
    const next = random(5);
    const base = 0x20010db8n << 96n;
    const block = (minPrefix: number): Cidr<bigint> => {
      const prefix = minPrefix + Math.floor(next() * (129 - minPrefix));
      const size = 1n << BigInt(128 - prefix);
      const offset = BigInt(Math.floor(next() * 2 ** 40)) << 56n;
      const first = base + (offset / size) * size;
      return { first, last: first + size - 1n, prefix };
    };
    const bans = Array.from({ length: 2_000 }, () => block(40));
    const safelist = Array.from({ length: 300 }, () => block(44));
    const samples = [...bans.flatMap((ban) => [ban.first, ban.last]), ...safelist.flatMap((range) => [range.first - 1n, range.first, range.last, range.last + 1n])];
    checkPlanInvariants(V6, bans, safelist, samples);
  });
});
