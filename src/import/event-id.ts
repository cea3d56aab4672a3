// The ids of imported events. Apart from ids.ts: hashing needs node:crypto, which the ban hook
// does not load.

import * as crypto from 'node:crypto';
import type { Network } from '../address/network.js';

// crypto.hash (one call, no Hash object: about 2x faster) exists from Node 20.12.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;
let lastKey: string | undefined;
/** Bytes 0-15 of the last key's hash with the UUIDv8 bits set; bytes 0-5 are overwritten per id. */
let lastTemplate: Uint8Array | undefined;

/**
 * The id of an imported event: deterministic, so importing the same input twice adds nothing, and
 * ordered like the address, so a million inserts append to the unique index instead of rewriting
 * most of it on every commit (a hash-random order made the WAL receive 1.8 GB instead of 0.3 GB).
 * Bytes 0-5 are the family and, for IPv4, the whole block (address and prefix); bytes 6-15 (74 bits
 * after the UUIDv8 bits) a hash of `key`, what else identifies the event (format, jail, time).
 * An IPv6 block does not fit in five bytes, so its hash covers the block too. For IPv4 it does not
 * need to, so the events of one list share one hash: computed once, not a million times.
 */
export function importEventId(network: Network, key: string): Buffer {
  const hashed = network.family === 4 ? key : `${key}\n${network.first.toString(16)}/${network.prefix}`;
  if (hashed !== lastKey) {
    lastKey = hashed;
    const hash = oneShot ? oneShot('sha256', hashed, 'buffer') : crypto.createHash('sha256').update(hashed).digest();
    lastTemplate = Uint8Array.prototype.slice.call(hash, 0, 16);
    lastTemplate[6] = (lastTemplate[6]! & 0x0f) | 0x80;
    lastTemplate[8] = (lastTemplate[8]! & 0x3f) | 0x80;
  }
  // A 16-byte slice of Node's buffer pool (a million kept ids share 8 KB slabs), filled with plain
  // byte stores: Buffer's copy and write methods cost more in argument checks than in copying.
  const id = Buffer.allocUnsafe(16);
  id.set(lastTemplate!);
  id[0] = network.family;
  if (network.family === 4) {
    const first = network.first;
    id[1] = first >>> 24;
    id[2] = (first >>> 16) & 0xff;
    id[3] = (first >>> 8) & 0xff;
    id[4] = first & 0xff;
    id[5] = network.prefix;
  } else {
    id.writeUIntBE(Number(network.first >> 88n), 1, 5);
  }
  return id;
}
