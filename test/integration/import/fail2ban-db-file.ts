// fail2ban databases made for a test: fail2ban's own schema (version 4, as 1.0 writes it, see
// test/fixtures/fail2ban/README.md) with the rows a test needs, or something only dressed as one.

import Database from 'better-sqlite3';

export const FAIL2BAN_SCHEMA = `
  CREATE TABLE fail2banDb(version INTEGER);
  INSERT INTO fail2banDb VALUES (4);
  CREATE TABLE jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);
  CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON);
  CREATE INDEX bans_jail_timeofban_ip ON bans(jail, timeofban);
  CREATE INDEX bans_jail_ip ON bans(jail, ip);
  CREATE INDEX bans_ip ON bans(ip);
  CREATE TABLE bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON, PRIMARY KEY(ip, jail));
`;

export interface Row {
  readonly jail: unknown;
  readonly ip: unknown;
  readonly timeofban: unknown;
  readonly bantime: unknown;
}

/** A fail2ban database at `path` holding `rows` in `bans`, in that order (rowid 1, 2, …). */
export function fail2banDb(path: string, rows: Iterable<Row>, schema = FAIL2BAN_SCHEMA): void {
  const db = new Database(path);
  try {
    db.exec(schema);
    const insert = db.prepare('INSERT INTO bans (jail, ip, timeofban, bantime) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const row of rows) insert.run(row.jail, row.ip, row.timeofban, row.bantime);
    })();
  } finally {
    db.close();
  }
}

/** n valid rows of jail sshd, each its own address in 100.64.0.0/10. */
export function* validRows(n: number, offset = 0): Generator<Row> {
  for (let i = offset; i < offset + n; i++) {
    yield { jail: 'sshd', ip: `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, timeofban: 1_795_251_309 + i, bantime: 600 };
  }
}
