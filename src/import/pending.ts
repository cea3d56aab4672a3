// The events an import has read and not yet written: a window of up to a million, sorted before it is
// written (see order.ts). They are kept in columns of typed arrays, not as objects: a shuffled list
// sorted as objects sends the writer to objects spread over hundreds of megabytes of heap, one cache
// miss after another (a million events: 7.6 s to import, against 5.3 s for the same list in address
// order). Events are built again, in order, one batch at a time, just before they are written.

import type { Network, Network4, Network6 } from '../address/network.js';
import type { BanEvent } from '../store/bans.js';
import { compareNetworks } from './event-id.js';
import { ipv4BlockOrder } from './order.js';

const ID_BYTES = 16;
const INITIAL_CAPACITY = 4096;
/** bantime null (unknown) in the bantime column. */
const UNKNOWN = Number.NaN;

/** What an event holds beyond the import's constants (origin, source). */
export interface PendingEvent {
  readonly uuid: Uint8Array;
  readonly network: Network;
  readonly jail: string;
  readonly bannedAt: number;
  readonly bantime: number | null;
  readonly reason: string | null;
  readonly restored: boolean;
}

export class PendingEvents {
  private count = 0;
  private capacity = 0;
  private ids = new Uint8Array(0);
  private ipv6 = new Uint8Array(0);
  /** IPv4: the first address. IPv6: the index of the network in `networks6`. */
  private first = new Uint32Array(0);
  private prefix = new Uint8Array(0);
  private jail = new Uint32Array(0);
  private bannedAt = new Float64Array(0);
  private bantime = new Float64Array(0);
  private restored = new Uint8Array(0);
  private reasons: Array<string | null> = [];
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
    const network = event.network;
    this.ipv6[n] = network.family === 6 ? 1 : 0;
    this.first[n] = network.family === 4 ? network.first : this.networks6.push(network) - 1;
    this.prefix[n] = network.prefix;
    this.jail[n] = this.jailNumber(event.jail);
    this.bannedAt[n] = event.bannedAt;
    this.bantime[n] = event.bantime ?? UNKNOWN;
    this.restored[n] = event.restored ? 1 : 0;
    this.reasons[n] = event.reason;
  }

  /**
   * The events in block order (see order.ts), as arrays of up to `size` fresh events; the window is
   * empty afterwards. A batch's ids are views of the window: write each batch before the next push.
   */
  *drain(size: number): Generator<BanEvent[]> {
    const order = this.blockOrder();
    for (let start = 0; start < order.length; start += size) {
      const end = Math.min(order.length, start + size);
      const batch = new Array<BanEvent>(end - start);
      for (let k = start; k < end; k++) batch[k - start] = this.event(order[k]!);
      yield batch;
    }
    this.count = 0;
    this.reasons = [];
    this.networks6 = [];
  }

  private event(n: number): BanEvent {
    const bantime = this.bantime[n]!;
    return {
      uuid: Buffer.from(this.ids.buffer, n * ID_BYTES, ID_BYTES),
      origin: this.origin,
      network: this.network(n),
      jail: this.jails[this.jail[n]!]!,
      bannedAt: this.bannedAt[n]!,
      bantime: Number.isNaN(bantime) ? null : bantime,
      source: this.source,
      reason: this.reasons[n]!,
      restored: this.restored[n] === 1,
    };
  }

  private network(n: number): Network {
    if (this.ipv6[n] === 1) return this.networks6[this.first[n]!]!;
    const first = this.first[n]!;
    const prefix = this.prefix[n]!;
    const network: Network4 = { family: 4, first, last: first + 2 ** (32 - prefix) - 1, prefix };
    return network;
  }

  /** IPv4 in block order, then IPv6 in block order; each stable. */
  private blockOrder(): Uint32Array {
    const v4: number[] = [];
    const v6: number[] = [];
    for (let n = 0; n < this.count; n++) (this.ipv6[n] === 1 ? v6 : v4).push(n);
    const order = new Uint32Array(this.count);
    order.set(ipv4BlockOrder(Uint32Array.from(v4), this.first, this.prefix));
    // IPv6 keys are bigints, and a tenth of a typical list: a comparator sort (stable) is enough.
    const networks6 = this.networks6;
    const first = this.first;
    v6.sort((a, b) => compareNetworks(networks6[first[a]!]!, networks6[first[b]!]!));
    order.set(v6, v4.length);
    return order;
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
    this.ids = grown(this.ids, capacity * ID_BYTES);
    this.ipv6 = grown(this.ipv6, capacity);
    this.first = grown(this.first, capacity);
    this.prefix = grown(this.prefix, capacity);
    this.jail = grown(this.jail, capacity);
    this.bannedAt = grown(this.bannedAt, capacity);
    this.bantime = grown(this.bantime, capacity);
    this.restored = grown(this.restored, capacity);
    this.capacity = capacity;
  }
}

type Column = Uint8Array | Uint32Array | Float64Array;

function grown<T extends Column>(column: T, length: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(length);
  bigger.set(column as never);
  return bigger;
}
