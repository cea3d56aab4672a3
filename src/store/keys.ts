// How a block's numbers are stored: IPv4 as an INTEGER (bound as a bigint, since better-sqlite3 binds
// JS numbers as REAL and an ANY column would keep them that way), IPv6 as a 16-byte big-endian BLOB.

import { networkOf, type Cidr, type Family, type Network } from '../address/network.js';

export type StoredKey = bigint | Buffer;

export function toStoredKey(family: Family, value: number | bigint): StoredKey {
  if (family === 4) return BigInt(value);
  const buffer = Buffer.allocUnsafe(16);
  const big = value as bigint;
  buffer.writeBigUInt64BE(big >> 64n, 0);
  buffer.writeBigUInt64BE(big & 0xffff_ffff_ffff_ffffn, 8);
  return buffer;
}

export function fromStoredKey(family: 4, raw: unknown): number;
export function fromStoredKey(family: 6, raw: unknown): bigint;
export function fromStoredKey(family: Family, raw: unknown): number | bigint;
export function fromStoredKey(family: Family, raw: unknown): number | bigint {
  if (family === 4) return raw as number;
  const buffer = raw as Buffer;
  return (buffer.readBigUInt64BE(0) << 64n) | buffer.readBigUInt64BE(8);
}

/** A stored block's keys as the network they are (every stored block is a CIDR block). */
export function networkFromKeys(family: Family, first: unknown, last: unknown): Network {
  return networkOf(family, fromStoredKey(family, first), fromStoredKey(family, last));
}

/** The (family, first, last) parameters that identify a block in SQL. */
export function blockParams(network: Network): { family: Family; first: StoredKey; last: StoredKey } {
  return {
    family: network.family,
    first: toStoredKey(network.family, network.first),
    last: toStoredKey(network.family, network.last),
  };
}

/**
 * SQL that packs a stored block into one value. Reading one column per row is several times faster
 * than two with better-sqlite3 (no array per row), which matters when restore reads a million blocks.
 * IPv4: first * 64 + log2(size), exact in a double (38 bits), with no log2 call for a single
 * address (most rows; 100k rows: 37 -> 33 ms). IPv6: the address as 32 hex digits, or first and
 * last as 64 for a wider block; text because better-sqlite3 makes a Buffer of each BLOB it returns,
 * which costs several times more (10k blocks: 12 against 4 ms).
 */
export function packedBlockSql(family: Family): string {
  return family === 4 ? 'CASE WHEN last = first THEN first * 64 ELSE first * 64 + CAST(log2(last - first + 1) AS INTEGER) END' : 'CASE WHEN last = first THEN hex(first) ELSE hex(first) || hex(last) END';
}

/**
 * Every block of a packed column read at once (the safelist, a whole plan). Plain loops, not a
 * generator: a command runs this once, in code the JIT has not seen yet, where each generator step
 * costs (10k safelist ranges: 9 -> 6 ms).
 */
export function unpackBlocks(family: 4, packed: readonly unknown[]): Cidr<number>[];
export function unpackBlocks(family: 6, packed: readonly unknown[]): Cidr<bigint>[];
export function unpackBlocks(family: Family, packed: readonly unknown[]): Cidr<number | bigint>[];
export function unpackBlocks(family: Family, packed: readonly unknown[]): Cidr<number | bigint>[] {
  const unpack = unpackerOf(family);
  const blocks: Cidr<number | bigint>[] = new Array(packed.length);
  for (let i = 0; i < packed.length; i++) blocks[i] = unpack(packed[i]);
  return blocks;
}

/** A block of the family's packed column as the network it is. */
export function unpackNetwork(family: Family, packed: unknown): Network {
  const { first, last, prefix } = unpackerOf(family)(packed);
  return { family, first, last, prefix } as Network;
}

/** How to unpack one block of the family's packed column. */
export function unpackerOf(family: Family): (packed: unknown) => Cidr<number | bigint> {
  return (family === 4 ? unpack4 : unpack6) as (packed: unknown) => Cidr<number | bigint>;
}

function unpack4(value: number): Cidr<number> {
  const first = Math.floor(value / 64);
  const hostBits = value - first * 64;
  return { first, last: first + 2 ** hostBits - 1, prefix: 32 - hostBits };
}

/**
 * A single address (most rows) is its 32 hex digits. A wider block is first and last, whose prefix
 * networkOf works out; a plain Cidr is returned all the same, so the planner sees one shape.
 */
function unpack6(hex: string): Cidr<bigint> {
  if (hex.length === 32) {
    const address = BigInt(`0x${hex}`);
    return { first: address, last: address, prefix: 128 };
  }
  const first = BigInt(`0x${hex.slice(0, 32)}`);
  const last = BigInt(`0x${hex.slice(32)}`);
  return { first, last, prefix: networkOf(6, first, last).prefix };
}
