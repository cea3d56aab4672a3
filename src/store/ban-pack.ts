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
export function unpackBans(packed: PackedBans): BanEvent[] {
  const records = new Records(packed);
  return Array.from({ length: packed.count }, (_, i) => ({
    uuid: Buffer.from(records.uuid(i)),
    origin: records.origin(i),
    network: records.network(i),
    jail: records.jail(i),
    bannedAt: records.bannedAt(i),
    bantime: records.bantime(i),
    source: records.source(i),
    reason: records.reason(i),
    restored: records.restored(i),
  }));
}

/** True when a batch holds a replay (fail2ban's restored ban), which BanTable.insertCaughtUp judges one by one. */
export function hasReplays(packed: PackedBans): boolean {
  const records = new Records(packed);
  for (let i = 0; i < packed.count; i++) if (records.restored(i)) return true;
  return false;
}

/**
 * The events of packBans as rows for BanTable.insertRows, read from their records as they are
 * written: no event object, no uuid copy (the statement copies the bytes it binds). Unpacking a
 * million events first cost ~0.8 s of the insert thread and as much again in garbage.
 */
export function packedRows(packed: PackedBans): EventRows {
  const records = new Records(packed);
  return {
    count: packed.count,
    write: (i, params, at) => {
      params[at] = records.uuid(i);
      params[at + 1] = records.origin(i);
      blockColumns(records.network(i), params, at);
      params[at + 6] = records.jail(i);
      params[at + 7] = records.bannedAt(i);
      params[at + 8] = records.bantime(i);
      params[at + 9] = records.source(i);
      params[at + 10] = records.reason(i);
      params[at + 11] = records.restored(i) ? 1 : 0;
    },
    prefixes: function* () {
      for (let i = 0; i < packed.count; i++) yield { family: records.family(i), prefix: records.prefix(i) };
    },
  };
}

/** packBans' records read field by field, by event index: the layout packBans writes, read in one place. */
class Records {
  private readonly bytes: Buffer;
  private readonly f64: Float64Array;
  private readonly u32: Uint32Array;
  private readonly strings: readonly string[];

  constructor({ data, strings }: PackedBans) {
    this.bytes = Buffer.from(data);
    this.f64 = new Float64Array(data);
    this.u32 = new Uint32Array(data);
    this.strings = strings;
  }

  /** A view of the record's bytes, not a copy. */
  uuid(i: number): Buffer {
    return this.bytes.subarray(i * RECORD, i * RECORD + 16);
  }

  network(i: number): Network {
    const at = i * RECORD;
    const prefix = this.prefix(i);
    return this.family(i) === 4 ? network4(this.u32[(at + 16) / 4]!, prefix) : network6((this.bytes.readBigUInt64BE(at + 16) << 64n) | this.bytes.readBigUInt64BE(at + 24), prefix);
  }

  bannedAt(i: number): number {
    return this.f64[(i * RECORD + 32) / 8]!;
  }

  bantime(i: number): number | null {
    const bantime = this.f64[(i * RECORD + 40) / 8]!;
    return Number.isNaN(bantime) ? null : bantime;
  }

  origin(i: number): string {
    return this.strings[this.u32[(i * RECORD + 48) / 4]!]!;
  }

  jail(i: number): string {
    return this.strings[this.u32[(i * RECORD + 52) / 4]!]!;
  }

  source(i: number): string {
    return this.strings[this.u32[(i * RECORD + 56) / 4]!]!;
  }

  reason(i: number): string | null {
    const index = this.u32[(i * RECORD + 60) / 4]!;
    return index === NONE ? null : this.strings[index]!;
  }

  family(i: number): 4 | 6 {
    return this.bytes[i * RECORD + 64] as 4 | 6;
  }

  prefix(i: number): number {
    return this.bytes[i * RECORD + 65]!;
  }

  restored(i: number): boolean {
    return this.bytes[i * RECORD + 66] === 1;
  }
}
