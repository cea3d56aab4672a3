import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indentedElement } from '../../../src/commands/json-array.js';
import { listedJson, type Listed } from '../../../src/commands/list.js';

test('a row of list --json, written field by field, is what JSON.stringify(rows, null, 2) writes', () => {
  const rows: Listed[] = [
    { address: '192.0.2.1', family: 4, status: 'permanent', bans: 3, events: 4, jails: ['recidive', 'sshd'], first_banned: '2026-01-01T00:00:00Z', last_banned: '2026-11-21T12:00:00Z' },
    { address: '2001:db8::/32', family: 6, status: 'partly safelisted', bans: 0, events: 1, jails: ['manual'], first_banned: '1970-01-01T00:00:00Z', last_banned: '1970-01-01T00:00:00Z' },
    // Imported jail names may hold anything: quotes, backslashes, control characters, non-ASCII.
    { address: '198.51.100.0/24', family: 4, status: 'expired', bans: 10_000, events: 10_001, jails: ['a"b\\c', 'tab\there', 'nl\n', 'é\u2028'], first_banned: 'x', last_banned: 'y' },
    { address: '203.0.113.9', family: 4, status: 'pending', bans: 1, events: 1, jails: [], first_banned: 'x', last_banned: 'y' },
    // list --live
    { address: '192.0.2.0/24', family: 4, status: 'partly safelisted', bans: 1, events: 1, jails: ['manual'], first_banned: 'x', last_banned: 'y', blocked: false, live: 'partial' },
    { address: '192.0.2.7', family: 4, status: 'permanent', bans: 1, events: 1, jails: ['sshd'], first_banned: 'x', last_banned: 'y', blocked: true, live: 'full' },
  ];
  // A field added to Listed must be added to these rows (the type says so), and then to listedJson.
  for (const row of rows) assert.equal(listedJson(row), indentedElement(row));
});
