import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SAME_BAN_SLACK, sameBan, sameBanIn, type Recorded } from '../../../src/import/same-ban.js';

// Times of the fixtures (test/fixtures/fail2ban): 170.185.38.101's row in sshd-hourly is the failure
// of 08:33:39, bantime 1d; fail2ban logged its Ban at 09:18:46, once it had read that far back.
const ROW = { bannedAt: 1_795_250_019, bantime: 86_400, restored: false };
const LINE = { bannedAt: 1_795_252_726, bantime: null, restored: false };

describe('sameBan', () => {
  test("a database row and the log line of its ban, 45 minutes apart, within the row's bantime", () => {
    assert.equal(sameBan(ROW, LINE), true);
    assert.equal(sameBan(LINE, ROW), true, 'either way round');
    assert.equal(sameBan({ ...ROW, bantime: 1200 }, LINE), false, 'past a 20-minute bantime: fail2ban banned it again');
  });

  test('without a bantime, within the slack: a manual banip logged one second before its row; a re-ban 85 s after an unbanip is another', () => {
    assert.equal(sameBan({ bannedAt: 1000, bantime: null, restored: false }, { bannedAt: 1001, bantime: 1200, restored: false }), true);
    assert.equal(sameBan({ bannedAt: 1000, bantime: null, restored: false }, { bannedAt: 1000 + SAME_BAN_SLACK, bantime: null, restored: false }), true);
    assert.equal(sameBan({ bannedAt: 1000, bantime: null, restored: false }, { bannedAt: 1085, bantime: 1200, restored: false }), false, "the later one's bantime does not reach back");
  });

  test('a ban meant forever covers every later record', () => {
    assert.equal(sameBan({ bannedAt: 1000, bantime: -1, restored: false }, { bannedAt: 1000 + 10 * 365 * 86_400, bantime: null, restored: false }), true);
  });
});

describe('sameBanIn', () => {
  const recorded = (id: number, bannedAt: number, more: Partial<Recorded> = {}): Recorded => ({ id, jail: 'sshd', bannedAt, bantime: 600, restored: false, ...more });
  const event = { jail: 'sshd', bannedAt: 1300, bantime: null, restored: false };

  test('the closest of the stored events that are the same ban, skipping those already taken', () => {
    const stored = [recorded(1, 1000), recorded(2, 1290), recorded(3, 1295, { jail: 'nginx' })];
    assert.equal(sameBanIn(stored, event, new Set())?.id, 2);
    assert.equal(sameBanIn(stored, event, new Set([2]))?.id, 1);
    assert.equal(sameBanIn(stored, event, new Set([1, 2])), undefined, 'another jail is another ban');
  });

  test('an offence never folds into a replay; a replay folds into the ban it replays', () => {
    const replay = recorded(1, 1290, { restored: true });
    assert.equal(sameBanIn([replay], event, new Set()), undefined);
    assert.equal(sameBanIn([recorded(1, 1000)], { ...event, restored: true }, new Set())?.id, 1);
  });
});
