// What makes a database fail2ban's, checked before anything is read from it. Reading a table costs
// what the table holds; reading a view costs what its query costs, which can be for ever (a
// recursive one hung the import). So `bans` and `bips` must be real tables, with rowids, whose
// columns we read are stored, not computed on each read (generated columns).

import type Database from 'better-sqlite3';
import { UsageError } from '../errors.js';

export interface Fail2banSchema {
  /** `bans` has a bantime column (schema 1, fail2ban 0.9, has none). */
  readonly bantime: boolean;
  /** There is a `bips` table to read too (schema 4, fail2ban ≥ 0.11). */
  readonly bips: boolean;
}

const BANS = ['jail', 'ip', 'timeofban'];
const BIPS = ['jail', 'ip', 'timeofban', 'bantime'];
const WHERE = "(fail2ban's dbfile is usually /var/lib/fail2ban/fail2ban.sqlite3)";

export function checkSchema(db: Database.Database, name: string): Fail2banSchema {
  const refuse = (why: string) => new UsageError(`${name} is not a fail2ban database: ${why} ${WHERE}`);
  const bans = tableOf(db, 'bans');
  if (bans === undefined || !BANS.every((column) => bans.columns.has(column))) throw refuse('it has no table bans(jail, ip, timeofban, …)');
  const bantime = bans.columns.has('bantime');
  refuseUnlessStored(bans, bantime ? [...BANS, 'bantime'] : BANS, refuse);
  const bips = tableOf(db, 'bips');
  if (bips === undefined || !BIPS.every((column) => bips.columns.has(column))) return { bantime, bips: false };
  refuseUnlessStored(bips, BIPS, refuse);
  return { bantime, bips: true };
}

interface Table {
  readonly name: string;
  readonly type: string;
  readonly withoutRowid: boolean;
  /** Column name → hidden: 0 stored, 1 hidden (virtual tables), 2 and 3 generated. */
  readonly columns: Map<string, number>;
}

function tableOf(db: Database.Database, name: string): Table | undefined {
  const listed = db.prepare("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' AND name = ? COLLATE NOCASE").get(name) as
    | { name: string; type: string; wr: number }
    | undefined;
  if (listed === undefined) return undefined;
  const columns = db.prepare('SELECT name, hidden FROM pragma_table_xinfo(?)').all(listed.name) as Array<{ name: string; hidden: number }>;
  return {
    name: listed.name,
    type: listed.type,
    withoutRowid: listed.wr !== 0,
    columns: new Map(columns.map((column) => [column.name.toLowerCase(), column.hidden])),
  };
}

function refuseUnlessStored(table: Table, read: readonly string[], refuse: (why: string) => Error): void {
  if (table.type !== 'table') throw refuse(`its ${table.name} is ${table.type === 'view' ? 'a view' : `a ${table.type} table`}, not a table`);
  if (table.withoutRowid) throw refuse(`its ${table.name} is a WITHOUT ROWID table`);
  const computed = read.find((column) => table.columns.get(column) !== 0);
  if (computed !== undefined) throw refuse(`the column ${computed} of its ${table.name} is computed on each read (a generated column)`);
}
