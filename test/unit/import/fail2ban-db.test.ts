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
    assert.equal(describeRow(row({ table: 'bips', rowid: 12 })), 'bips rowid 12');
  });
});
