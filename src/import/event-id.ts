// Ids of imported events. They are uuidFromKey's ids (a hash of what identifies the event, so
// importing the same input twice yields the same ids) with the first six bytes replaced by the
// event's address: ids then sort like addresses. Why: the store's unique index on uuid is a B-tree,
// and a million hash-random ids land all over it, so every 10k-row commit rewrites most of the
// index (measured on a million lines in address order: the WAL received 1.8 GB instead of 0.3 GB,
// and a bare INSERT loop took 7.4 s of CPU instead of 2.8 s). Address order is also the order of
// the store's block index, so one sort of a batch (see importer.ts) serves both indexes.
// Ten hash bytes remain (74 bits after the version and variant bits): events of one address are
// still told apart by their key.

import * as crypto from 'node:crypto';
import type { Network } from '../address/network.js';
import { uuidFromKey } from '../store/ids.js';

// crypto.hash (one call, no Hash object: about 2x faster) exists from Node 20.12; older 20.x use uuidFromKey.
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** uuidFromKey(key), with bytes 0-5 = family and the address's leading bits. */
export function importEventId(key: string, network: Network): Buffer {
  let id: Buffer;
  if (oneShot) {
    // Copied into a 16-byte slice of Node's buffer pool: a million kept ids share 8 KB slabs instead
    // of holding a 32-byte hash allocation each.
    id = Buffer.allocUnsafe(16);
    oneShot('sha256', key, 'buffer').copy(id, 0, 0, 16);
    id[6] = (id[6]! & 0x0f) | 0x80;
    id[8] = (id[8]! & 0x3f) | 0x80;
  } else {
    id = uuidFromKey(key);
  }
  id[0] = network.family;
  if (network.family === 4) {
    id.writeUInt32BE(network.first, 1);
    id[5] = network.prefix;
  } else {
    id.writeUIntBE(Number(network.first >> 88n), 1, 5);
  }
  return id;
}

/** Orders networks as the store's block index does: family, then first address, then size. */
export function compareNetworks(a: Network, b: Network): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.first !== b.first) return a.first < b.first ? -1 : 1;
  return a.prefix - b.prefix;
}
