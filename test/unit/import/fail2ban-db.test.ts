import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { describeRow, rowOutcome, type Fail2banRow } from '../../../src/import/fail2ban-db.js';
import { isRejected, type Candidate } from '../../../src/import/outcome.js';

const row = (fields: Partial<Fail2banRow>): Fail2banRow => ({ table: 'bans', rowid: 1, jail: 'sshd', ip: '192.0.2.7', timeofban: 1795251309, bantime: 1200, ...fields });

describe('fail2ban database rows', () => {
  test('a row keeps jail, timeofban and bantime; its identity is the time of the ban', () => {
    const ban = rowOutcome(row({ jail: 'nginx-http-auth', ip: '2001:db8:a20b:2d86::17', bantime: 7200 })) as Candidate;
    assert.equal(ban.jail, 'nginx-http-auth');
    assert.equal(formatNetwork(ban.network), '2001:db8:a20b:2d86::17');
    assert.equal(ban.bannedAt, 1795251309);
    assert.equal(ban.bantime, 7200);
    assert.equal(ban.identity, '1795251309');
    assert.equal((rowOutcome(row({ bantime: -1 })) as Candidate).bantime, -1);
    assert.equal((rowOutcome(row({ bantime: null })) as Candidate).bantime, null, 'schema 1 has no bantime');
  });

  test('bad rows are invalid and say why; they are named by table and rowid', () => {
    assert.match((rowOutcome(row({ ip: null })) as { error: string }).error, /no address \(ip is NULL\)/);
    assert.match((rowOutcome(row({ ip: '010.0.0.1' })) as { error: string }).error, /leading zero/);
    assert.ok(isRejected(rowOutcome(row({ jail: 'a b' }))));
    assert.ok(isRejected(rowOutcome(row({ timeofban: 'yesterday' }))));
    // What the store's INTEGER column would refuse, or take for a date nobody meant.
    for (const timeofban of [1e20, -5, 1795251309.5, 253_402_300_800]) {
      assert.match((rowOutcome(row({ timeofban })) as { error: string }).error, /^invalid timeofban .*: expected whole seconds since 1970/, String(timeofban));
    }
    assert.match((rowOutcome(row({ bantime: 1.5 })) as { error: string }).error, /^invalid bantime 1\.5: expected whole seconds, or -1 for forever/);
    assert.equal((rowOutcome(row({ bantime: 1e20 })) as Candidate).bantime, Number.MAX_SAFE_INTEGER, 'read as the hook reads --bantime 100000000000000000000');
    assert.equal(describeRow(row({ table: 'bips', rowid: 12 })), 'bips rowid 12');
  });
});
