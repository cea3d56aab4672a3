// Ban events as one ArrayBuffer and a table of their strings, to hand a batch to the insert thread
// (insert-thread.ts) by transfer: copying objects between threads is the slow part otherwise (100k
// events, v8.serialize and deserialize: ~0.6 s, as long as inserting them). Fixed records of
// RECORD bytes; the strings (origin, jail, source, reason) once each in the table.
//
// A record: uuid (16 bytes) | the block's first address (v4: 32 bits; v6: 16 bytes; its last
// follows from the prefix, every stored block being a CIDR block) | bannedAt, bantime
// (float64; NaN for no bantime) | origin, jail, source, reason (indexes in the table; NONE for no
// reason) | family, prefix, restored (a byte each).

import { network4, network6, type Network } from '../address/network.js';
import type { BanEvent } from './bans.js';
import { blockColumns, type EventRows } from './event-rows.js';

export interface PackedBans {
  readonly count: number;
  readonly data: ArrayBuffer;
  readonly strings: readonly string[];
}

const RECORD = 72;
const NONE = 0xffff_ffff;

/** The events, packed. Refuses a temporary ban: its end is not in a record (nor in insertMany's rows). */
export function packBans(events: readonly BanEvent[]): PackedBans {
  const data = new ArrayBuffer(events.length * RECORD);
  const bytes = Buffer.from(data);
  const f64 = new Float64Array(data);
  const u32 = new Uint32Array(data);
  const strings: string[] = [];
  const indexes = new Map<string, number>();
  const indexOf = (text: string) => {
    let index = indexes.get(text);
    if (index === undefined) {
      index = strings.push(text) - 1;
      indexes.set(text, index);
    }
    return index;
  };
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    if (event.until !== undefined) throw new Error('a temporary ban cannot be packed: its end would be lost');
    const at = i * RECORD;
    event.uuid.copy(bytes, at, 0, 16);
    const network = event.network;
    if (network.family === 4) {
      u32[(at + 16) / 4] = network.first;
    } else {
      bytes.writeBigUInt64BE(network.first >> 64n, at + 16);
      bytes.writeBigUInt64BE(network.first & 0xffff_ffff_ffff_ffffn, at + 24);
    }
    f64[(at + 32) / 8] = event.bannedAt;
    f64[(at + 40) / 8] = event.bantime ?? Number.NaN;
    u32[(at + 48) / 4] = indexOf(event.origin);
    u32[(at + 52) / 4] = indexOf(event.jail);
    u32[(at + 56) / 4] = indexOf(event.source);
    u32[(at + 60) / 4] = event.reason === null ? NONE : indexOf(event.reason);
    bytes[at + 64] = network.family;
    bytes[at + 65] = network.prefix;
    bytes[at + 66] = event.restored ? 1 : 0;
  }
  return { count: events.length, data, strings };
}

/** The events of packBans, as they were. */
export function unpackBans({ count, data, strings }: PackedBans): BanEvent[] {
  const bytes = Buffer.from(data);
  const f64 = new Float64Array(data);
  const u32 = new Uint32Array(data);
  const events = new Array<BanEvent>(count);
  for (let i = 0; i < count; i++) {
    const at = i * RECORD;
    const network = networkAt(bytes, u32, at);
    const bantime = f64[(at + 40) / 8]!;
    const reason = u32[(at + 60) / 4]!;
    events[i] = {
      uuid: Buffer.from(bytes.subarray(at, at + 16)),
      origin: strings[u32[(at + 48) / 4]!]!,
      network,
      jail: strings[u32[(at + 52) / 4]!]!,
      bannedAt: f64[(at + 32) / 8]!,
      bantime: Number.isNaN(bantime) ? null : bantime,
      source: strings[u32[(at + 56) / 4]!]!,
      reason: reason === NONE ? null : strings[reason]!,
      restored: bytes[at + 66] === 1,
    };
  }
  return events;
}

/** True when a batch holds a replay (fail2ban's restored ban), which BanTable.insertCaughtUp judges one by one. */
export function hasReplays({ count, data }: PackedBans): boolean {
  const bytes = new Uint8Array(data);
  for (let i = 0; i < count; i++) if (bytes[i * RECORD + 66] === 1) return true;
  return false;
}

/**
 * The events of packBans as rows for BanTable.insertRows, read from their records as they are
 * written: no event object, no uuid copy (the statement copies the bytes it binds). Unpacking a
 * million events first cost ~0.8 s of the insert thread and as much again in garbage.
 */
export function packedRows({ count, data, strings }: PackedBans): EventRows {
  const bytes = Buffer.from(data);
  const f64 = new Float64Array(data);
  const u32 = new Uint32Array(data);
  return {
    count,
    write: (i, params, at) => {
      const record = i * RECORD;
      params[at] = bytes.subarray(record, record + 16);
      params[at + 1] = strings[u32[(record + 48) / 4]!];
      blockColumns(networkAt(bytes, u32, record), params, at);
      params[at + 6] = strings[u32[(record + 52) / 4]!];
      params[at + 7] = f64[(record + 32) / 8];
      const bantime = f64[(record + 40) / 8]!;
      params[at + 8] = Number.isNaN(bantime) ? null : bantime;
      params[at + 9] = strings[u32[(record + 56) / 4]!];
      const reason = u32[(record + 60) / 4]!;
      params[at + 10] = reason === NONE ? null : strings[reason];
      params[at + 11] = bytes[record + 66];
    },
    prefixes: function* () {
      for (let i = 0; i < count; i++) yield { family: bytes[i * RECORD + 64] as 4 | 6, prefix: bytes[i * RECORD + 65]! };
    },
  };
}

/** The block of the record at `at`. */
function networkAt(bytes: Buffer, u32: Uint32Array, at: number): Network {
  const prefix = bytes[at + 65]!;
  return bytes[at + 64] === 4 ? network4(u32[(at + 16) / 4]!, prefix) : network6((bytes.readBigUInt64BE(at + 16) << 64n) | bytes.readBigUInt64BE(at + 24), prefix);
}
