import type Database from 'better-sqlite3';
import { formatNetwork } from '../address/format.js';
import type { Cidr, Family, Network } from '../address/network.js';
import { blockParams, networkFromKeys, packedBlockSql, unpackBlocks } from './keys.js';
import { blocksRelatedTo, StatementCache } from './statements.js';
import { noteRemoval } from './plan-counts.js';

export interface SafelistRow {
  readonly network: Network;
  readonly address: string;
  readonly note: string | null;
  readonly added_at: number;
}

/** A row as SQL returns it, before its keys become a network. */
interface StoredRow {
  readonly family: Family;
  readonly first: unknown;
  readonly last: unknown;
  readonly address: string;
  readonly note: string | null;
  readonly added_at: number;
}

function toRow({ family, first, last, address, note, added_at }: StoredRow): SafelistRow {
  return { network: networkFromKeys(family, first, last), address, note, added_at };
}

export class SafelistTable {
  private readonly cache: StatementCache;

  constructor(db: Database.Database) {
    this.cache = new StatementCache(db);
  }

  /** Adds a range; false when it is already there (its note is then updated if one is given). */
  add(network: Network, note: string | null, now: number): boolean {
    const params = { ...blockParams(network), address: formatNetwork(network), note, now };
    const inserted = this.cache
      .get(
        `INSERT OR IGNORE INTO safelist (family, first, last, address, note, added_at)
         VALUES (@family, @first, @last, @address, @note, @now)`,
      )
      .run(params).changes === 1;
    if (!inserted && note !== null) {
      this.cache.get('UPDATE safelist SET note = @note WHERE family = @family AND first = @first AND last = @last').run(params);
    }
    if (inserted) noteRemoval(this.cache);
    return inserted;
  }

  /** Removes exactly this range; false when it was not safelisted. */
  remove(network: Network): boolean {
    const removed = this.cache.get('DELETE FROM safelist WHERE family = @family AND first = @first AND last = @last').run(blockParams(network)).changes === 1;
    if (removed) noteRemoval(this.cache);
    return removed;
  }

  list(): SafelistRow[] {
    return (this.cache.get('SELECT * FROM safelist ORDER BY family, first, last').all() as StoredRow[]).map(toRow);
  }

  count(): number {
    return this.cache.get('SELECT count(*) FROM safelist').pluck().get() as number;
  }

  /** All ranges of one family. */
  ranges(family: 4): Cidr<number>[];
  ranges(family: 6): Cidr<bigint>[];
  ranges(family: Family): Cidr<number | bigint>[];
  ranges(family: Family): Cidr<number | bigint>[] {
    return unpackBlocks(family, this.cache.get(`SELECT ${packedBlockSql(family)} FROM safelist WHERE family = ? ORDER BY first`).pluck().all(family));
  }

  /** The safelisted ranges that contain `network` (or equal it). */
  containing(network: Network): SafelistRow[] {
    const { sql, params } = blocksRelatedTo(network, 'contains', 'SELECT *', 'safelist');
    return (this.cache.get(`${sql} ORDER BY first`).all(params) as StoredRow[]).map(toRow);
  }

  /** The safelisted ranges that meet `network`: the ones that contain it and the ones inside it. */
  around(network: Network): SafelistRow[] {
    // Every ban asks; in most stores the safelist table is empty (the config's ranges are not in
    // it), and one look at it costs 0.3 µs where the search costs ~9 (of a daemon's ~60 µs a ban).
    if (this.cache.get('SELECT EXISTS (SELECT 1 FROM safelist)').pluck().get() === 0) return [];
    const { sql, params } = blocksRelatedTo(network, 'meets', 'SELECT *', 'safelist');
    return (this.cache.get(`${sql} ORDER BY first`).all(params) as StoredRow[]).map(toRow);
  }
}
