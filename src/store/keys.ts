// How a block's numbers are stored: IPv4 as an INTEGER (bound as a bigint, since better-sqlite3 binds
// JS numbers as REAL and an ANY column would keep them that way), IPv6 as a 16-byte big-endian BLOB.

import type { Family, Network } from '../address/network.js';

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

/** The (family, first, last) parameters that identify a block in SQL. */
export function blockParams(network: Network): { family: Family; first: StoredKey; last: StoredKey } {
  return {
    family: network.family,
    first: toStoredKey(network.family, network.first),
    last: toStoredKey(network.family, network.last),
  };
}
