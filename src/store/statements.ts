import type Database from 'better-sqlite3';
import { spaceOf, type Network } from '../address/network.js';
import { toStoredKey, type StoredKey } from './keys.js';

/** Prepares each SQL text once per connection. */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Starts of the blocks that strictly contain `network` and begin before it. CIDR blocks nest or are
 * disjoint, so the blocks meeting `network` are those starting inside it plus blocks starting at one
 * of these keys: a handful of index lookups instead of a scan of everything below `network.first`.
 */
export function enclosingStarts(network: Network): StoredKey[] {
  const space = spaceOf(network.family);
  const starts: StoredKey[] = [];
  let previous: number | bigint | undefined;
  for (let prefix = network.prefix - 1; prefix >= 0; prefix--) {
    const start = (space.blockFirst as (key: number | bigint, prefix: number) => number | bigint)(network.first, prefix);
    if (start !== network.first && start !== previous) starts.push(toStoredKey(network.family, start));
    previous = start;
  }
  return starts;
}
