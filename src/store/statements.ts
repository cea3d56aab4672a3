import type Database from 'better-sqlite3';
import { spaceOf, type Family, type Network } from '../address/network.js';
import { blockParams } from './keys.js';

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
 * Starts of the blocks that strictly contain `network` and begin before it, highest first. CIDR
 * blocks nest or are disjoint, so the blocks meeting `network` are those starting inside it plus
 * blocks starting at one of these keys: a handful of index lookups instead of a scan of everything
 * below `network.first`. `lengths`: only blocks of these prefix lengths (the ones stored), else any.
 */
export function enclosingStarts(network: Network, lengths?: readonly number[]): Array<number | bigint> {
  const blockFirst = spaceOf(network.family).blockFirst as (key: number | bigint, prefix: number) => number | bigint;
  const prefixes = lengths ? lengths.filter((prefix) => prefix < network.prefix).sort((a, b) => b - a) : Array.from({ length: network.prefix }, (_, i) => network.prefix - 1 - i);
  const starts: Array<number | bigint> = [];
  let previous: number | bigint | undefined;
  for (const prefix of prefixes) {
    const start = blockFirst(network.first, prefix);
    if (start !== network.first && start !== previous) starts.push(start);
    previous = start;
  }
  return starts;
}

/**
 * A condition on `first` matching any of `starts`, and its parameter's value (named `param`): one
 * query with an IN list instead of one query per start (the ban hook runs these while it holds the
 * write lock). IPv6 keys travel as hex and become BLOBs again with unhex().
 */
export function startsFilter(family: Family, starts: ReadonlyArray<number | bigint>, param: string): { sql: string; starts: string } {
  if (family === 4) return { sql: `first IN (SELECT value FROM json_each(@${param}))`, starts: JSON.stringify(starts) };
  return { sql: `first IN (SELECT unhex(value) FROM json_each(@${param}))`, starts: JSON.stringify(starts.map(hexKey)) };
}

function enclosingFilter(network: Network, param = 'starts'): { sql: string; starts: string } {
  return startsFilter(network.family, enclosingStarts(network), param);
}

/** An IPv6 key as json_each hands it to unhex(): 32 hex digits. */
function hexKey(key: number | bigint): string {
  return key.toString(16).padStart(32, '0');
}

/**
 * How a stored block stands to `network`: meets it (encloses it or lies inside it), contains it
 * (encloses or equals it), or encloses it (strictly larger).
 */
export type Relation = 'meets' | 'contains' | 'encloses';

const SECOND_BRANCH: Record<Relation, string> = {
  meets: 'first BETWEEN @first AND @last',
  contains: 'first = @first AND last >= @last',
  encloses: 'first = @first AND last > @last',
};

/**
 * `<select> FROM <table>` for the rows whose block stands in `relation` to `network`, and its
 * parameters. Two index-driven branches: blocks starting at an enclosing start (see enclosingStarts)
 * and blocks starting at or inside `network`; `condition` ("AND …", may end in GROUP BY … HAVING …)
 * applies to both. Append an ORDER BY to order the union.
 */
export function blocksRelatedTo(network: Network, relation: Relation, select: string, table: string, condition = ''): { sql: string; params: Record<string, unknown> } {
  const enclosing = enclosingFilter(network);
  const branch = (where: string) => `${select} FROM ${table} WHERE family = @family AND ${where} ${condition}`;
  // Set, not spread: the caller may set more (see withPolicyParams in bans.ts).
  const params: Record<string, unknown> = blockParams(network);
  params.starts = enclosing.starts;
  return { sql: `${branch(`${enclosing.sql} AND last >= @last`)} UNION ALL ${branch(SECOND_BRANCH[relation])}`, params };
}

/**
 * A condition for the rows whose block meets `network` (encloses it or lies inside it), for a
 * query of its own (list --address): its parameters are named apart from blockParams'.
 */
export function meetsCondition(network: Network): { sql: string; params: Record<string, unknown> } {
  const enclosing = enclosingFilter(network, 'meetsStarts');
  const { family, first, last } = blockParams(network);
  return {
    sql: `family = @meetsFamily AND ((${enclosing.sql} AND last >= @meetsLast) OR first BETWEEN @meetsFirst AND @meetsLast)`,
    params: { meetsFamily: family, meetsFirst: first, meetsLast: last, meetsStarts: enclosing.starts },
  };
}
