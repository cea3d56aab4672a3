import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImportResult } from '../../../src/import/importer.js';
import { summaryLine } from '../../../src/import/report.js';

const result = (n: number): ImportResult => ({ read: n, found: n, added: n, duplicates: n, invalid: n, ignored: n, problems: [], ignoredLines: [] });

test('the summary counts in the singular for one ("1 lines read, 1 bans found" before)', () => {
  assert.equal(summaryLine('list.txt', 'plain', result(1)), 'imported list.txt (plain): 1 line read, 1 ban found: 1 added, 1 duplicate, 1 invalid, 1 ignored');
  assert.equal(summaryLine('f.sqlite3', 'fail2ban-db', result(1)), 'imported f.sqlite3 (fail2ban-db): 1 row read, 1 ban found: 1 added, 1 duplicate, 1 invalid, 1 ignored');
  assert.equal(summaryLine('list.txt', 'plain', result(2)), 'imported list.txt (plain): 2 lines read, 2 bans found: 2 added, 2 duplicates, 2 invalid, 2 ignored');
  assert.equal(summaryLine('list.txt', 'plain', { ...result(0), read: 3 }), 'imported list.txt (plain): 3 lines read, 0 bans found: 0 added, 0 duplicates, 0 invalid');
});
