import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCidr } from '../../../../src/address/format.js';
import type { Cidr } from '../../../../src/address/network.js';
import { Digest6, unpack4 } from '../../../../src/plan/compare.js';
import { digestMembers6, members4, members6 } from '../../../../src/firewall/ipset/members.js';

// Real output of `ipset list` (ipset v7.17, in a namespace) for our two sets, members as ipset orders them.
const LISTING4 = `Name: stickyban4
Type: hash:net
Revision: 7
Header: family inet hashsize 1024 maxelem 65536 bucketsize 12 initval 0x9c863b0e
Size in memory: 696
References: 0
Number of entries: 5
Members:
198.51.100.0/24
192.0.2.255
0.0.0.0/1
10.0.0.0/8 nomatch
203.0.113.7
`;

const LISTING6 = `Name: stickyban6
Type: hash:net
Revision: 7
Header: family inet6 hashsize 1024 maxelem 65536 bucketsize 12 initval 0xe0bdedd3
Size in memory: 1456
References: 0
Number of entries: 3
Members:
::/1
2001:db8::/32
2001:db8:1::7
`;

test('members4 reads every member as a packed key, options after a space ignored, in the listing\'s order; sorted, in address order', () => {
  const keys = members4(LISTING4)!;
  assert.deepEqual([...keys].map((key) => formatCidr(4, unpack4(key))), ['198.51.100.0/24', '192.0.2.255', '0.0.0.0/1', '10.0.0.0/8', '203.0.113.7']);
  assert.deepEqual([...keys.sort()].map((key) => formatCidr(4, unpack4(key))), ['0.0.0.0/1', '10.0.0.0/8', '192.0.2.255', '198.51.100.0/24', '203.0.113.7']);
});

test('members6 reads every member, sorted by first address then prefix', () => {
  assert.deepEqual(members6(LISTING6)!.map((cidr) => formatCidr(6, cidr)), ['::/1', '2001:db8::/32', '2001:db8:1::7']);
});

test('an empty set has no members; a member stickyban would not write makes the set one to rebuild', () => {
  assert.equal(members4(LISTING4.replace(/Members:\n[\s\S]*/, 'Members:\n'))!.length, 0);
  assert.equal(members6(LISTING6.replace(/Members:\n[\s\S]*/, 'Members:\n'))!.length, 0);
  for (const odd of ['300.1.1.1', '1.2.3', '1.2.3.4/33', 'x.y.z.w', '1.2.3.4.5']) assert.equal(members4(`Members:\n${odd}\n`), undefined, odd);
  for (const odd of ['::ffff:1.2.3.4', 'nonsense', '2001:db8::/129']) assert.equal(members6(`Members:\n${odd}\n`), undefined, odd);
});

function randomBlocks6(n: number, seed: number): Cidr<bigint>[] {
  let state = seed;
  const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const group = () => (random() < 0.4 ? 0n : BigInt(Math.floor(random() * 0x10000)));
  return Array.from({ length: n }, (_, i) => {
    const prefix = i % 129;
    let address = 0n;
    for (let g = 0; g < 8; g++) address = (address << 16n) | group();
    const host = (1n << BigInt(128 - prefix)) - 1n;
    const first = address & ~host;
    return { first, last: first | host, prefix };
  });
}

const digestOf = (blocks: readonly Cidr<bigint>[]) => {
  const digest = new Digest6();
  for (const block of blocks) digest.addCidr(block);
  return digest;
};

test('digestMembers6 reads what formatCidr writes (inet_ntop form) as members6 does: the digest of the same blocks, in any order, at every prefix and zero run', () => {
  const blocks = randomBlocks6(3000, 11);
  const listing = `Members:\n${blocks.map((cidr) => `${formatCidr(6, cidr)}\n`).join('')}`;
  const digest = digestMembers6(listing)!;
  assert.equal(digest.count, 3000);
  assert.equal(digest.equals(digestOf([...blocks].reverse())), true);
  assert.equal(digest.equals(digestOf(members6(listing)!)), true);
  // One block swapped for another, one less: a different digest.
  const other = randomBlocks6(129, 99)[128]!;
  assert.equal(other.prefix, 128);
  assert.equal(digest.equals(digestOf([...blocks.slice(1), other])), false);
  assert.equal(digest.equals(digestOf(blocks.slice(1))), false);
  for (const odd of ['2001:db8::1/64', '2001:db8::/', '1:2:3:4:5:6:7:8:9', '2001:db8:::1', '12345::1', '::ffff:1.2.3.4', '2001:DB8::1', '2001:db8::1 nomatch', ':1', '1:', '1:2:3:4:5:6:7::8:9']) {
    assert.equal(digestMembers6(`Members:\n${odd}\n`), undefined, odd);
  }
  assert.equal(digestMembers6(LISTING6)!.equals(digestOf(members6(LISTING6)!)), true, 'a real listing');
  assert.equal(digestMembers6('Members:\n')!.count, 0);
});

test('members6 reads what formatCidr writes (inet_ntop form) exactly as the general parser does, at every prefix and zero run', () => {
  const blocks = randomBlocks6(3000, 11);
  const listing = `Members:\n${blocks.map((cidr) => `${formatCidr(6, cidr)}\n`).join('')}`;
  const expected = [...blocks].sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.prefix - b.prefix));
  assert.deepEqual(
    members6(listing)!.map(({ first, last, prefix }) => ({ first, last, prefix })),
    expected.map(({ first, last, prefix }) => ({ first, last, prefix })),
  );
  for (const odd of ['2001:db8::1/64', '2001:db8::/', '1:2:3:4:5:6:7:8:9', '2001:db8:::1', '12345::1']) assert.equal(members6(`Members:\n${odd}\n`), undefined, odd);
});
