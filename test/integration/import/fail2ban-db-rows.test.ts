// Rows of a fail2ban database are checked as the hook checks its arguments, so a row the store
// would refuse is an invalid row, found before anything is written: --strict then writes nothing,
// and without it the row is skipped and counted.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { fail2banDb, validRows, type Row } from './fail2ban-db-file.js';
import { importJson, session } from './session.js';

const BAD: Row[] = [
  { jail: 'sshd', ip: '192.0.2.1', timeofban: 1e20, bantime: 600 },
  { jail: 'sshd', ip: '192.0.2.2', timeofban: -5, bantime: 600 },
  { jail: 'sshd', ip: '192.0.2.3', timeofban: 1795251309.5, bantime: 600 },
  { jail: 'sshd', ip: '192.0.2.4', timeofban: 253_402_300_800, bantime: 600 },
  // Text that INTEGER affinity cannot make a number of.
  { jail: 'sshd', ip: '192.0.2.5', timeofban: 'yesterday', bantime: 600 },
  { jail: 'sshd', ip: '192.0.2.6', timeofban: 1795251309, bantime: 1.5 },
  { jail: 'sshd', ip: '192.0.2.7', timeofban: 1795251309, bantime: -7 },
  { jail: 'sshd', ip: '999.0.2.8', timeofban: 1795251309, bantime: 600 },
  { jail: 'sshd', ip: Buffer.from('192.0.2.9'), timeofban: 1795251309, bantime: 600 },
  { jail: 'ssh d', ip: '192.0.2.10', timeofban: 1795251309, bantime: 600 },
  { jail: 'sshd', ip: '0.0.0.0/0', timeofban: 1795251309, bantime: 600 },
];

test('--strict of a fail2ban database whose only bad row is a timeofban of 1e20 writes nothing', async () => {
  const s = await session();
  const file = join(tempDir(), 'fail2ban.sqlite3');
  // More valid rows than two batches before it: the import used to commit those, then fail.
  fail2banDb(file, [...validRows(25_000), BAD[0]!, ...validRows(10, 25_000)]);
  const strict = await s.run(['import', file, '--format', 'fail2ban-db', '--strict', '--no-apply']);
  assert.equal(strict.code, 2, strict.stderr);
  assert.match(strict.stderr, /1 invalid row in .*, nothing was imported \(--strict\); the first: bans rowid 25001: "sshd 192\.0\.2\.1": invalid timeofban 100000000000000000000/);
  assert.equal(count(s.db, 'bans'), 0, 'nothing written');
});

test('fail2ban-db rows the store would refuse (timeofban 1e20, negative, fractional; a bad bantime, address or jail) are invalid rows: --strict writes nothing', async () => {
  const s = await session();
  const file = join(tempDir(), 'fail2ban.sqlite3');
  // More valid rows than one batch before them: the import used to commit those and then fail.
  fail2banDb(file, [...validRows(25_000), ...BAD, ...validRows(10, 25_000)]);

  const strict = await s.run(['import', file, '--format', 'fail2ban-db', '--strict', '--no-apply', '--verbose']);
  assert.equal(strict.code, 2, strict.stderr);
  assert.match(strict.stderr, /^stickyban: 11 invalid rows in .*fail2ban\.sqlite3, nothing was imported \(--strict\); the first: bans rowid 25001: "sshd 192\.0\.2\.1": invalid timeofban 100000000000000000000: expected whole seconds since 1970/m);
  for (const [i, error] of [
    'invalid timeofban 100000000000000000000',
    'invalid timeofban -5',
    'invalid timeofban 1795251309.5',
    'invalid timeofban 253402300800',
    'invalid timeofban "yesterday"',
    'invalid bantime 1.5',
    'invalid bantime -7',
    'invalid address "999.0.2.8"',
    'invalid ip (a blob of 9 bytes): expected text',
    'invalid jail name "ssh d"',
    'refusing 0.0.0.0/0: a /0 blocks every address',
  ].entries()) {
    assert.ok(strict.stderr.includes(`bans rowid ${25_001 + i}: `) && strict.stderr.includes(error), `row ${25_001 + i}: ${error}: ${strict.stderr}`);
  }
  assert.equal(count(s.db, 'bans'), 0, 'nothing written');

  const lenient = await importJson(s, [file, '--format', 'fail2ban-db', '--no-apply']);
  assert.deepEqual([lenient.read, lenient.found, lenient.added, lenient.invalid], [25_021, 25_010, 25_010, 11]);
  assert.equal(count(s.db, 'bans'), 25_010);
});

test("a database SQLite cannot read as fail2ban's (another program's collation) is invalid input: exit 2, one line; a table of any name is no obstacle to the import's key", async () => {
  const s = await session();
  const dir = tempDir();
  const taken = join(dir, 'taken.sqlite3');
  fail2banDb(taken, validRows(3));
  execFileSync('python3', ['-c', `import sqlite3; c = sqlite3.connect(${JSON.stringify(taken)}); c.execute('CREATE TABLE stickyban_import_key (x)'); c.commit()`]);
  const collated = join(dir, 'collated.sqlite3');
  fail2banDb(collated, validRows(3));
  // A collation only another program defines: SQLite cannot compare by it here.
  execFileSync('python3', ['-c', `import sqlite3; c = sqlite3.connect(${JSON.stringify(collated)}); c.create_collation('weird', lambda a, b: (a > b) - (a < b)); c.execute('CREATE INDEX odd ON bans (jail COLLATE weird)'); c.commit()`]);
  const refused = await s.run(['import', collated, '--format', 'fail2ban-db', '--no-apply']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^stickyban: cannot read .*collated\.sqlite3 as a fail2ban database: no such collation sequence: weird\n$/);
  assert.equal(count(s.db, 'bans'), 0);
  // The key gets a name of its own each time: a table the file holds under any name is in no one's way.
  const imported = await s.run(['import', taken, '--format', 'fail2ban-db', '--no-apply']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(count(s.db, 'bans'), 3);
});
