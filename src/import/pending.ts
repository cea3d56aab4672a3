// The events an import has read and not yet written: a window of up to a million, sorted before it is
// written (see order.ts). They are kept in columns of typed arrays, not as objects: a shuffled list
// sorted as objects sends the writer to objects spread over hundreds of megabytes of heap, one cache
// miss after another (a million events: 7.6 s to import, against 5.3 s for the same list in address
// order). Events are built again, in order, one batch at a time, just before they are written.

import type { Network4, Network6 } from '../address/network.js';
import type { BanEvent } from '../store/bans.js';
import { blockOrder } from './order.js';

const ID_BYTES = 16;
const INITIAL_CAPACITY = 4096;
/** bantime null (unknown) in the bantime column. */
const UNKNOWN = Number.NaN;

/** What an event holds beyond the import's constants (origin, source). */
export interface PendingEvent {
  readonly uuid: Uint8Array;
  readonly network: Network4 | Network6;
  readonly jail: string;
  readonly bannedAt: number;
  readonly bantime: number | null;
  readonly reason: string | null;
  readonly restored: boolean;
}

type Column = Uint8Array | Uint32Array | Float64Array;

/** A copy of `column` with room for `length` values. */
function grown<T extends Column>(column: T, length: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(length);
  bigger.set(column as never);
  return bigger;
}

/** The blocks of one family, in input order: what block order needs, and where each event is. */
class FamilyBlocks {
  count = 0;
  private capacity = 0;
  /** First addresses, `wordsPerKey` 32-bit words each, most significant first. */
  words = new Uint32Array(0);
  prefix = new Uint8Array(0);
  /** The event each block belongs to. */
  event = new Uint32Array(0);

  constructor(readonly wordsPerKey: number) {}

  /** Adds a block and returns its words' offset, for the caller to fill in. */
  add(prefix: number, event: number): number {
    if (this.count === this.capacity) {
      this.capacity = Math.max(INITIAL_CAPACITY, this.capacity * 2);
      this.words = grown(this.words, this.capacity * this.wordsPerKey);
      this.prefix = grown(this.prefix, this.capacity);
      this.event = grown(this.event, this.capacity);
    }
    const n = this.count++;
    this.prefix[n] = prefix;
    this.event[n] = event;
    return n * this.wordsPerKey;
  }

  order(): Uint32Array {
    return blockOrder(this.count, this.words, this.wordsPerKey, this.prefix);
  }
}

export class PendingEvents {
  private count = 0;
  private capacity = 0;
  private ids = Buffer.alloc(0);
  private jail = new Uint32Array(0);
  private bannedAt = new Float64Array(0);
  private bantime = new Float64Array(0);
  private restored = new Uint8Array(0);
  private reasons: Array<string | null> = [];
  private v4 = new FamilyBlocks(1);
  private v6 = new FamilyBlocks(4);
  /** The IPv6 networks as parsed, in the order of this.v6 (their bigints are not rebuilt). */
  private networks6: Network6[] = [];
  private readonly jails: string[] = [];
  private readonly jailIndex = new Map<string, number>();

  constructor(
    private readonly origin: string,
    private readonly source: string,
  ) {}

  get length(): number {
    return this.count;
  }

  push(event: PendingEvent): void {
    if (this.count === this.capacity) this.grow();
    const n = this.count++;
    this.ids.set(event.uuid, n * ID_BYTES);
    this.jail[n] = this.jailNumber(event.jail);
    this.bannedAt[n] = event.bannedAt;
    this.bantime[n] = event.bantime ?? UNKNOWN;
    this.restored[n] = event.restored ? 1 : 0;
    this.reasons[n] = event.reason;
    const network = event.network;
    if (network.family === 4) {
      const at = this.v4.add(network.prefix, n);
      this.v4.words[at] = network.first;
      return;
    }
    const at = this.v6.add(network.prefix, n);
    this.networks6.push(network);
    const first = network.first;
    const words = this.v6.words;
    words[at] = Number(first >> 96n);
    words[at + 1] = Number((first >> 64n) & 0xffff_ffffn);
    words[at + 2] = Number((first >> 32n) & 0xffff_ffffn);
    words[at + 3] = Number(first & 0xffff_ffffn);
  }

  /**
   * The events in block order (IPv4, then IPv6) as arrays of up to `size` fresh events; the window
   * is empty afterwards, even when the caller stops early. A batch's ids are views of the window: write each batch before the next push.
   */
  *drain(size: number): Generator<BanEvent[]> {
    const order4 = this.v4.order();
    const order6 = this.v6.order();
    const total = order4.length + order6.length;
    try {
      for (let start = 0; start < total; start += size) {
        const end = Math.min(total, start + size);
        const batch = new Array<BanEvent>(end - start);
        for (let k = start; k < end; k++) {
          batch[k - start] = k < order4.length ? this.event4(order4[k]!) : this.event6(order6[k - order4.length]!);
        }
        yield batch;
      }
    } finally {
      // Also when the writer stops early: what it wrote must not be written again with the next window.
      this.clear();
    }
  }

  private clear(): void {
    this.count = 0;
    this.reasons = [];
    this.networks6 = [];
    this.v4.count = 0;
    this.v6.count = 0;
  }

  private event4(block: number): BanEvent {
    const first = this.v4.words[block]!;
    const prefix = this.v4.prefix[block]!;
    const network: Network4 = { family: 4, first, last: first + 2 ** (32 - prefix) - 1, prefix };
    return this.event(this.v4.event[block]!, network);
  }

  private event6(block: number): BanEvent {
    return this.event(this.v6.event[block]!, this.networks6[block]!);
  }

  private event(n: number, network: Network4 | Network6): BanEvent {
    const bantime = this.bantime[n]!;
    return {
      uuid: this.ids.subarray(n * ID_BYTES, (n + 1) * ID_BYTES),
      origin: this.origin,
      network,
      jail: this.jails[this.jail[n]!]!,
      bannedAt: this.bannedAt[n]!,
      bantime: Number.isNaN(bantime) ? null : bantime,
      source: this.source,
      reason: this.reasons[n]!,
      restored: this.restored[n] === 1,
    };
  }

  private jailNumber(jail: string): number {
    let number = this.jailIndex.get(jail);
    if (number === undefined) {
      number = this.jails.push(jail) - 1;
      this.jailIndex.set(jail, number);
    }
    return number;
  }

  private grow(): void {
    const capacity = Math.max(INITIAL_CAPACITY, this.capacity * 2);
    const ids = Buffer.alloc(capacity * ID_BYTES);
    this.ids.copy(ids);
    this.ids = ids;
    this.jail = grown(this.jail, capacity);
    this.bannedAt = grown(this.bannedAt, capacity);
    this.bantime = grown(this.bantime, capacity);
    this.restored = grown(this.restored, capacity);
    this.capacity = capacity;
  }
}
