import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatIPv4, formatIPv6 } from '../../../src/address/format.js';
import { IPV4_TEXT_MAX, IPV6_TEXT_MAX, writeIPv4, writeIPv6 } from '../../../src/address/format-ascii.js';

const out = Buffer.alloc(64);
const written = (write: (bytes: Uint8Array, at: number) => number): string => out.toString('latin1', 3, write(out, 3));

/** A deterministic stream of 32-bit values (xorshift), so a failure names a value that repeats. */
function* randomWords(count: number, seed = 0x9e3779b9): Generator<number> {
  let x = seed;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield x >>> 0;
  }
}

describe('writeIPv4', () => {
  test('writes what formatIPv4 returns, at the offset given, for every octet width', () => {
    const values = [0, 0xffffffff, 0x0a000001, 0x7f000001, 0xc0000201, 0x01020304, 0x0a0b0c0d, 0x646464c8, ...randomWords(20_000)];
    for (const value of values) assert.equal(written((bytes, at) => writeIPv4(bytes, at, value)), formatIPv4(value));
    assert.equal(written((bytes, at) => writeIPv4(bytes, at, 0xffffffff)).length, IPV4_TEXT_MAX);
  });
});

describe('writeIPv6', () => {
  test('writes what formatIPv6 returns (RFC 5952), zero runs of every length and place included', () => {
    const values = [0n, 1n, (1n << 128n) - 1n, 0x2001_0db8n << 96n, 0xffffn << 32n, 0x2001_0db8_0000_0000_0001_0000_0000_0001n, 0x2001_0db8_0000_0001_0001_0001_0001_0001n];
    // Every pattern of zero and non-zero groups, each non-zero group of another width.
    for (let mask = 0; mask < 256; mask++) {
      let value = 0n;
      for (let group = 0; group < 8; group++) value = (value << 16n) | (mask & (1 << group) ? BigInt([0x1, 0x2a, 0x3bc, 0xdef0][group % 4]!) : 0n);
      values.push(value);
    }
    const words = [...randomWords(40_000)];
    for (let i = 0; i < words.length; i += 4) values.push((BigInt(words[i]!) << 96n) | (BigInt(words[i + 1]!) << 64n) | (BigInt(words[i + 2]! & 0xffff) << 32n) | BigInt(words[i + 3]! >>> 20));
    for (const value of values) assert.equal(written((bytes, at) => writeIPv6(bytes, at, value)), formatIPv6(value));
    assert.equal(written((bytes, at) => writeIPv6(bytes, at, 0xffff_ffff_ffff_ffff_ffff_ffff_ffff_fffen)).length, IPV6_TEXT_MAX);
  });
});
