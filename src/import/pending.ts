// The events an import has read and not yet written: a window of up to a million, sorted before it is
// written (see order.ts). They are kept in columns, not as objects: a shuffled list sorted as objects
// sends the writer to objects spread over hundreds of megabytes of heap, one cache miss after
// another (a million events: 7.6 s to import, against 5.3 s for the same list in address order).
// A column whose values are all the same (the jail, time and bantime of a list) is read as that one
// value. Events are built again, in block order, one batch at a time, just before they are written.

import { network4, network6, type Network4, type Network6 } from '../address/network.js';
import type { BanEvent } from '../store/bans.js';
import { importEventId } from './event-id.js';
import { sortBlocks, type Blocks } from './order.js';

const INITIAL_CAPACITY = 4096;
/** bantime null (unknown) in the bantime column. */
const UNKNOWN = Number.NaN;

/** What an event holds beyond the import's constants (origin, source). */
export interface PendingEvent {
  /** What identifies the event besides its block: its id is made of both (see importEventId). */
  readonly key: string;
  readonly network: Network4 | Network6;
  readonly jail: string;
  readonly bannedAt: number;
  readonly bantime: number | null;
  readonly reason: string | null;
  readonly restored: boolean;
}

type TypedColumn = Uint8Array | Uint32Array | Float64Array;

/** A copy of `column` with room for `length` values. */
function grown<T extends TypedColumn>(column: T, length: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(length);
  bigger.set(column as never);
  return bigger;
}

/** One value per event, and whether they are all the same, so that reading needs no lookup. */
abstract class Column<V> {
  private same = true;
  private first: V | undefined;

  set(n: number, value: V): void {
    if (n === 0) {
      this.first = value;
      this.same = true;
    } else if (this.same && !Object.is(value, this.first)) {
      this.same = false;
    }
    this.store(n, value);
  }

  get(n: number): V {
    return this.same ? this.first! : this.load(n);
  }

  abstract grow(capacity: number): void;
  protected abstract store(n: number, value: V): void;
  protected abstract load(n: number): V;
}

class NumberColumn extends Column<number> {
  private values = new Float64Array(0);
  grow(capacity: number): void {
    this.values = grown(this.values, capacity);
  }
  protected store(n: number, value: number): void {
    this.values[n] = value;
  }
  protected load(n: number): number {
    return this.values[n]!;
  }
}

class FlagColumn extends Column<boolean> {
  private values = new Uint8Array(0);
  grow(capacity: number): void {
    this.values = grown(this.values, capacity);
  }
  protected store(n: number, value: boolean): void {
    this.values[n] = value ? 1 : 0;
  }
  protected load(n: number): boolean {
    return this.values[n] === 1;
  }
}

class ValueColumn<V> extends Column<V> {
  private values: V[] = [];
  private previous: V | undefined;
  grow(): void {}
  /** Drops the values, so that a window does not keep the last one's strings alive. */
  clear(): void {
    this.values = [];
    this.previous = undefined;
  }
  protected store(n: number, value: V): void {
    // A string equal to the one before is kept as that one: the importer builds each event's key
    // afresh, and a million copies of one key would take ~50 MB.
    if (value !== this.previous) this.previous = value;
    this.values[n] = this.previous as V;
  }
  protected load(n: number): V {
    return this.values[n]!;
  }
}

/** The blocks of one family in input order, each with the event it belongs to. */
class FamilyBlocks {
  count = 0;
  private capacity = 0;
  private columns: Blocks = { words: new Uint32Array(0), prefix: new Uint8Array(0), payload: new Uint32Array(0) };

  constructor(readonly wordsPerKey: number) {}

  /** Adds a block and returns its words' offset, for the caller to fill in. */
  add(prefix: number, event: number): number {
    if (this.count === this.capacity) {
      this.capacity = Math.max(INITIAL_CAPACITY, this.capacity * 2);
      this.columns = {
        words: grown(this.columns.words, this.capacity * this.wordsPerKey),
        prefix: grown(this.columns.prefix, this.capacity),
        payload: grown(this.columns.payload, this.capacity),
      };
    }
    const n = this.count++;
    this.columns.prefix[n] = prefix;
    this.columns.payload[n] = event;
    return n * this.wordsPerKey;
  }

  get words(): Uint32Array {
    return this.columns.words;
  }

  sorted(): Blocks {
    return sortBlocks(this.columns, this.count, this.wordsPerKey);
  }
}

export class PendingEvents {
  private count = 0;
  private capacity = 0;
  private readonly keys = new ValueColumn<string>();
  private readonly jails = new ValueColumn<string>();
  private readonly reasons = new ValueColumn<string | null>();
  private readonly bannedAt = new NumberColumn();
  private readonly bantime = new NumberColumn();
  private readonly restored = new FlagColumn();
  private readonly v4 = new FamilyBlocks(1);
  private readonly v6 = new FamilyBlocks(4);

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
    this.keys.set(n, event.key);
    this.jails.set(n, event.jail);
    this.reasons.set(n, event.reason);
    this.bannedAt.set(n, event.bannedAt);
    this.bantime.set(n, event.bantime ?? UNKNOWN);
    this.restored.set(n, event.restored);
    const network = event.network;
    if (network.family === 4) {
      const at = this.v4.add(network.prefix, n);
      this.v4.words[at] = network.first;
      return;
    }
    const at = this.v6.add(network.prefix, n);
    const first = network.first;
    const words = this.v6.words;
    words[at] = Number(first >> 96n);
    words[at + 1] = Number((first >> 64n) & 0xffff_ffffn);
    words[at + 2] = Number((first >> 32n) & 0xffff_ffffn);
    words[at + 3] = Number(first & 0xffff_ffffn);
  }

  /**
   * The events in block order (IPv4, then IPv6) as arrays of up to `size` fresh events; the window
   * is empty afterwards, even when the caller stops early.
   */
  *drain(size: number): Generator<BanEvent[]> {
    const v4 = this.v4.sorted();
    const v6 = this.v6.sorted();
    const count4 = v4.payload.length;
    const total = count4 + v6.payload.length;
    try {
      for (let start = 0; start < total; start += size) {
        const end = Math.min(total, start + size);
        const batch = new Array<BanEvent>(end - start);
        for (let k = start; k < end; k++) {
          if (k < count4) {
            batch[k - start] = this.event(v4.payload[k]!, network4(v4.words[k]!, v4.prefix[k]!));
          } else {
            const i = k - count4;
            const w = v6.words;
            const first = (BigInt(w[i * 4]!) << 96n) | (BigInt(w[i * 4 + 1]!) << 64n) | (BigInt(w[i * 4 + 2]!) << 32n) | BigInt(w[i * 4 + 3]!);
            batch[k - start] = this.event(v6.payload[i]!, network6(first, v6.prefix[i]!));
          }
        }
        yield batch;
      }
    } finally {
      // Also when the writer stops early: what it wrote must not be written again with the next window.
      this.clear();
    }
  }

  private event(n: number, network: Network4 | Network6): BanEvent {
    const bantime = this.bantime.get(n);
    return {
      uuid: importEventId(network, this.keys.get(n)),
      origin: this.origin,
      network,
      jail: this.jails.get(n),
      bannedAt: this.bannedAt.get(n),
      bantime: Number.isNaN(bantime) ? null : bantime,
      source: this.source,
      reason: this.reasons.get(n),
      restored: this.restored.get(n),
    };
  }

  private clear(): void {
    this.count = 0;
    this.v4.count = 0;
    this.v6.count = 0;
    for (const column of [this.keys, this.jails, this.reasons]) column.clear();
  }

  private grow(): void {
    this.capacity = Math.max(INITIAL_CAPACITY, this.capacity * 2);
    for (const column of [this.bannedAt, this.bantime, this.restored]) column.grow(this.capacity);
  }
}
