// The fail2ban database reader on real SQLite files: what it refuses before reading a row, and the
// time limit it keeps inside SQLite's own loops.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Fail2banDb } from '../../../src/import/fail2ban-db.js';
import { tempDir } from '../../helpers/tmp.js';
import { FAIL2BAN_SCHEMA, fail2banDb, validRows } from './fail2ban-db-file.js';

function made(sql: string): string {
  const file = join(tempDir(), 'fail2ban.sqlite3');
  const db = new Database(file);
  db.exec(sql);
  db.close();
  return file;
}

describe('the fail2ban database reader', () => {
  test('refuses what is not a table of stored columns: a view, a virtual table, a WITHOUT ROWID table, a generated column', () => {
    const cases: Array<[string, RegExp]> = [
      ["CREATE VIEW bans AS SELECT 1 AS rowid, 'sshd' AS jail, '192.0.2.1' AS ip, 1 AS timeofban", /its bans is a view, not a table/],
      ['CREATE VIRTUAL TABLE bans USING fts5(jail, ip, timeofban)', /its bans is a virtual table, not a table/],
      ['CREATE TABLE bans (jail TEXT, ip TEXT PRIMARY KEY, timeofban INTEGER) WITHOUT ROWID', /its bans is a WITHOUT ROWID table/],
      ["CREATE TABLE bans (jail TEXT, ip TEXT AS ('192.0.2.' || length(jail)), timeofban INTEGER)", /the column ip of its bans is computed on each read/],
      [`${FAIL2BAN_SCHEMA.replace(/CREATE TABLE bips[^;]*;/, '')} CREATE VIEW bips AS SELECT * FROM bans`, /its bips is a view, not a table/],
    ];
    for (const [sql, refusal] of cases) {
      const file = made(sql);
      assert.throws(() => Fail2banDb.copied(file, join(tempDir(), 'copy.sqlite3'), 'f2b.db', 1000), new RegExp(`^UsageError: f2b\\.db is not a fail2ban database: ${refusal.source}`), sql);
    }
  });

  test('reads from its copy: rows of bans, then those of bips that bans does not hold, as the database was when copied', () => {
    const file = join(tempDir(), 'fail2ban.sqlite3');
    fail2banDb(file, validRows(3));
    const live = new Database(file);
    live.prepare("INSERT INTO bips (ip, jail, timeofban, bantime) VALUES ('100.64.0.1', 'sshd', 1795251310, 600), ('198.51.100.1', 'sshd', 1795251309, -1)").run();
    const db = Fail2banDb.copied(file, join(tempDir(), 'copy.sqlite3'), 'f2b.db', 1000);
    // fail2ban goes on writing its own file; the import reads what it copied.
    live.prepare("INSERT INTO bans (jail, ip, timeofban, bantime) VALUES ('sshd', '192.0.2.99', 1795251400, 600)").run();
    live.close();
    try {
      assert.equal(db.count, 4);
      assert.deepEqual([...db.rows()].map((row) => `${row.table} ${row.rowid} ${String(row.ip)}`), ['bans 1 100.64.0.0', 'bans 2 100.64.0.1', 'bans 3 100.64.0.2', 'bips 2 198.51.100.1']);
      assert.equal([...db.rows()].length, 4, 'read again, the same rows (--strict)');
    } finally {
      db.close();
    }
  });

  test('a file that holds an index under the name of the import\'s own key, or statistics that favour a poor index, still reads bips by the key', () => {
    // bips rows none of which bans holds: each is looked for in bans; without the key, a scan of it each.
    const file = join(tempDir(), 'fail2ban.sqlite3');
    fail2banDb(file, validRows(10_000));
    const crafted = new Database(file);
    crafted.exec('INSERT INTO bips (ip, jail, timeofban, bantime) SELECT ip, jail, timeofban + 1, bantime FROM bans');
    // Made another way than fail2ban makes it: none of its keys on bans, one poor one said to be good.
    crafted.exec('DROP INDEX bans_jail_timeofban_ip; DROP INDEX bans_jail_ip; DROP INDEX bans_ip; CREATE INDEX poor ON bans (jail)');
    crafted.exec('CREATE INDEX stickyban_import_key ON bips (bancount)');
    crafted.exec("ANALYZE; UPDATE sqlite_stat1 SET stat = '10000 1' WHERE idx = 'poor'");
    crafted.close();
    const started = Date.now();
    const db = Fail2banDb.copied(file, join(tempDir(), 'copy.sqlite3'), 'f2b.db', 1000);
    try {
      assert.equal(db.count, 20_000);
      assert.equal([...db.rows()].length, 20_000);
    } finally {
      db.close();
    }
    // Minutes without the key (a scan of bans for each bips row); well under a second with it.
    assert.ok(Date.now() - started < 5000, `read in ${Date.now() - started} ms`);
  });

  test('a row that takes too long to find ends the read (a time limit inside SQLite)', () => {
    // Every bips row is in bans, so finding the first bips row to read visits all of them.
    const file = join(tempDir(), 'fail2ban.sqlite3');
    fail2banDb(file, validRows(200_000));
    const live = new Database(file);
    live.exec('INSERT INTO bips (ip, jail, timeofban, bantime) SELECT ip, jail, timeofban, bantime FROM bans');
    live.close();
    const copy = join(tempDir(), 'copy.sqlite3');
    Fail2banDb.copied(file, copy, 'f2b.db', 1000).close();
    const db = Fail2banDb.open(copy, 'f2b.db', 5);
    try {
      assert.throws(() => {
        for (const row of db.rows()) if (row.table === 'bips') assert.fail('no bips row is read');
      }, /^UsageError: f2b\.db took more than 0\.005 s to give one row: is it fail2ban's database\?/);
    } finally {
      db.close();
    }
  });
});
