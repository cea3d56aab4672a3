// The log's rows as `COPY (SELECT …) TO STDOUT (FORMAT binary)` sends them, one data message each,
// read into the LogRow that readRow (log.ts) then validates. Why binary COPY: a new host reads the
// whole log, and as rows of text a million cost node-postgres ~2.3 s (eleven strings and an object
// each) and readRow another ~0.5 s turning the uuid's hex back into bytes; here the uuid, the
// numbers, the flag, the address (cidr) and the time (timestamptz) are read from their bytes, and
// only the text columns become strings. The address and the time as text also cost the server
// (~0.45 of its ~1.7 CPU-s for 1M rows) and this process ~0.6 s parsing the addresses back.
// Nothing is trusted more than before: the bytes give each column its type, readRow its meaning.
//
// The format (PostgreSQL's docs, "COPY", Binary Format): a header before the first row (signature,
// flags, an extension area), then per row a 16-bit column count and per column a 32-bit length
// (-1: NULL) and that many bytes, integers big-endian; a count of -1 ends the data. The server
// sends each row in a data message of its own, the header with the first.

import type { Network } from '../address/network.js';
import { blockOf, isParseFailure } from '../address/parse.js';
import type { LogRow } from './log.js';

/** The columns of readLog's query (exchange.ts), in its order, as this file reads them. */
export const COPY_COLUMNS = ['id', 'xid', 'uuid', 'origin', 'kind', 'address', 'jail', 'at', 'bantime', 'reason', 'restored'] as const;

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A message that is not what the query asked for: the server or the connection is not what we think. */
export class CopyFormatError extends Error {}

/** The row of one data message; undefined for the end-of-data message. */
export function readCopyRow(message: Buffer): LogRow | undefined {
  // A row starts with its column count (0x000b); only the header starts with the signature's 'P'.
  let at = message[0] === SIGNATURE[0] ? headerEnd(message) : 0;
  if (message.length < at + 2) throw new CopyFormatError(`a COPY message of ${message.length} bytes holds no row`);
  const columns = message.readInt16BE(at);
  at += 2;
  if (columns === -1) return undefined;
  if (columns !== COPY_COLUMNS.length) throw new CopyFormatError(`a COPY row of ${columns} columns, expected ${COPY_COLUMNS.length}`);
  // One pass in plain locals: a million rows make every array or closure per row count.
  let id: number | bigint | null = null;
  let xid: number | bigint | null = null;
  let uuid: Buffer | null = null;
  let origin: string | null = null;
  let kind: string | null = null;
  let address: Network | string | null = null;
  let jail: string | null = null;
  let time: number | bigint | null = null;
  let bantime: number | bigint | null = null;
  let reason: string | null = null;
  let restored: boolean | null = null;
  for (let column = 0; column < columns; column++) {
    if (at + 4 > message.length) throw new CopyFormatError('a COPY row ends inside a column');
    const length = message.readInt32BE(at);
    at += 4;
    if (length === -1) continue;
    const end = at + length;
    if (length < 0 || end > message.length) throw new CopyFormatError(`a COPY column of length ${length} does not fit its row`);
    switch (column) {
      case 0: id = readInt64(message, at, length, true); break;
      case 1: xid = readInt64(message, at, length, false); break;
      // Copied out: the message is the driver's buffer, reused for what comes next.
      case 2: if (length === 16) message.copy((uuid = Buffer.allocUnsafe(16)), 0, at, end); break;
      case 3: origin = repeated(message, at, length, 3); break;
      case 4: kind = repeated(message, at, length, 4); break;
      case 5: address = readCidr(message, at, length); break;
      case 6: jail = repeated(message, at, length, 6); break;
      case 7: time = readTime(message, at, length); break;
      case 8: bantime = readInt64(message, at, length, true); break;
      case 9: reason = message.toString('utf8', at, end); break;
      case 10: restored = length === 1 ? message[at] === 1 : null; break;
    }
    at = end;
  }
  if (at !== message.length) throw new CopyFormatError(`a COPY row has ${message.length - at} bytes after its last column`);
  return { id, xid, uuid, origin, kind, address, jail, at: time, bantime, reason, restored };
}

/**
 * The columns whose text repeats from row to row (origin, kind, jail), by column: the last bytes
 * read and their string. A bootstrap reads a million rows of a few hosts and jails; comparing a few
 * bytes costs less than a string each and the garbage of it.
 */
const recent: Array<{ bytes: Buffer; text: string } | undefined> = [];
const SHORT = 64;

function repeated(message: Buffer, at: number, length: number, column: number): string {
  const last = recent[column];
  if (last !== undefined && last.bytes.length === length) {
    let same = true;
    for (let i = 0; i < length; i++) {
      if (last.bytes[i] !== message[at + i]) {
        same = false;
        break;
      }
    }
    if (same) return last.text;
  }
  const text = message.toString('utf8', at, at + length);
  if (length <= SHORT) recent[column] = { bytes: Buffer.from(message.subarray(at, at + length)), text };
  return text;
}

/** Where the rows start after the header: signature, flags (32 bits), extension length and area. */
function headerEnd(message: Buffer): number {
  const extension = SIGNATURE.length + 4;
  if (message.length < extension + 4 || message.compare(SIGNATURE, 0, SIGNATURE.length, 0, SIGNATURE.length) !== 0) throw new CopyFormatError('a COPY header is not PostgreSQL\'s binary one');
  return extension + 4 + message.readUInt32BE(extension);
}

/**
 * A cidr column as the server sends it (inet_send): family (2: IPv4, 3: IPv6), prefix length, a
 * cidr flag, the address's length, its bytes. The block as the command line would take it (an
 * IPv4-mapped IPv6 block is the IPv4 one: parse.ts blockOf), or, for bytes set past the prefix (an
 * inet, should the column ever hold one), its text, which readRow refuses as it refuses any text
 * that is no block.
 */
function readCidr(message: Buffer, at: number, length: number): Network | string {
  const family = message[at] === 2 ? 4 : message[at] === 3 ? 6 : undefined;
  const size = family === 4 ? 4 : 16;
  const prefix = message[at + 1]!;
  if (family === undefined || length !== 4 + size || message[at + 3] !== size || prefix > size * 8) throw new CopyFormatError(`a COPY cidr of ${length} bytes is not one`);
  const value = family === 4 ? message.readUInt32BE(at + 4) : (message.readBigUInt64BE(at + 4) << 64n) | message.readBigUInt64BE(at + 12);
  const block = blockOf(value, prefix);
  if (!isParseFailure(block)) return block;
  const text = family === 4 ? [...message.subarray(at + 4, at + 8)].join('.') : message.toString('hex', at + 4, at + 20).replace(/(.{4})(?!$)/g, '$1:');
  return `${text}/${prefix}`;
}

/** 2000-01-01 in seconds since the epoch: where the server's timestamps count from. */
const SERVER_EPOCH = 946_684_800;
/** The microseconds the server sends for infinity and -infinity. */
const INFINITE = [2n ** 63n - 1n, -(2n ** 63n)];

/**
 * A timestamptz column (microseconds since 2000-01-01 UTC) in seconds since the epoch, rounded as
 * extract(epoch)::bigint rounds; null for an infinite time (as seconds, it would be no time at all).
 */
function readTime(message: Buffer, at: number, length: number): number | bigint | null {
  const micros = readInt64(message, at, length, true);
  if (typeof micros === 'number') return Math.round(micros / 1e6) + SERVER_EPOCH;
  return INFINITE.includes(micros) ? null : micros / 1_000_000n + BigInt(SERVER_EPOCH);
}

/**
 * A 64-bit integer column: a number while it is exact in one (every id, time and xid of a real log),
 * else a bigint, so that a position read from it is never rounded.
 */
function readInt64(message: Buffer, start: number, length: number, signed: boolean): number | bigint {
  if (length !== 8) throw new CopyFormatError(`a COPY integer of ${length} bytes, expected 8`);
  const high = signed ? message.readInt32BE(start) : message.readUInt32BE(start);
  if (high >= -0x20_0000 && high < 0x20_0000) return high * 0x1_0000_0000 + message.readUInt32BE(start + 4);
  return signed ? message.readBigInt64BE(start) : message.readBigUInt64BE(start);
}
