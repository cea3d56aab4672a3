// The private temporary directory (an import's copies, a read-only store's): made where nobody else can change it, removed file by
// file.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { PrivateTemp } from '../../../src/files/private-temp.js';
import { tempDir } from '../../helpers/tmp.js';

const tmpdir = process.env.TMPDIR;
afterEach(() => {
  if (tmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpdir;
});

test('made 0700 in a directory only root can change; removed with what was named in it, SQLite files included', () => {
  const parent = tempDir();
  process.env.TMPDIR = parent;
  const temp = PrivateTemp.create();
  assert.equal(readdirSync(parent).length, 1);
  const db = temp.database('fail2ban.sqlite3');
  for (const file of [db, `${db}-journal`, temp.file('input')]) writeFileSync(file, '');
  temp.remove();
  assert.deepEqual(readdirSync(parent), []);
});

test('refused in a directory others may write (TMPDIR another user could change), and nothing is left there', () => {
  const loose = join(tempDir(), 'loose');
  mkdirSync(loose);
  chmodSync(loose, 0o777);
  process.env.TMPDIR = loose;
  assert.throws(() => PrivateTemp.create(), /^OperationalError: refusing the temporary directory .*loose\/stickyban-import-[\w-]+: .*loose .*or set TMPDIR to one only root can change\)$/);
  assert.deepEqual(readdirSync(loose), []);
  assert.ok(existsSync(loose));
});
