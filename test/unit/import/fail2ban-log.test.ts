import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatNetwork } from '../../../src/address/format.js';
import { UsageError } from '../../../src/errors.js';
import { Fail2banLogParser, parseLogLine } from '../../../src/import/fail2ban-log.js';
import { isRejected, type Candidate } from '../../../src/import/outcome.js';
import { expected, fixtureLines, sorted, type JailIps } from './fixtures.js';

const localSeconds = (...parts: number[]): number => new Date(parts[0]!, parts[1]! - 1, parts[2]!, parts[3]!, parts[4]!, parts[5]!).getTime() / 1000;

describe('fail2ban.log', () => {
  test('a Ban line: jail, address, time (local, as fail2ban logs it); not restored', () => {
    const ban = parseLogLine('2026-11-21 09:18:46,135 fail2ban.actions        [31395]: NOTICE  [sshd] Ban 2001:db8:9f0b:3129::14') as Candidate;
    assert.equal(ban.jail, 'sshd');
    assert.equal(formatNetwork(ban.network), '2001:db8:9f0b:3129::14');
    assert.equal(ban.bannedAt, localSeconds(2026, 11, 21, 9, 18, 46));
    assert.equal(ban.restored, false);
    assert.equal(ban.identity, '2026-11-21 09:18:46,135 ban');
  });

  test('a Restore Ban line is a replay: restored, and a different event than a Ban at the same instant', () => {
    const line = '2026-11-21 09:34:22,412 fail2ban.actions        [1246]: NOTICE  [nginx-http-auth] Restore Ban 101.101.15.38';
    const restore = parseLogLine(line) as Candidate;
    assert.equal(restore.jail, 'nginx-http-auth');
    assert.equal(restore.restored, true);
    assert.notEqual(restore.identity, (parseLogLine(line.replace('Restore Ban', 'Ban')) as Candidate).identity);
  });

  test('a time before 1970 is invalid, as the store keeps whole seconds since then', () => {
    const old = parseLogLine('1969-12-31 09:18:46,135 fail2ban.actions        [31395]: NOTICE  [sshd] Ban 192.0.2.7');
    assert.ok(isRejected(old));
    assert.match(old.error, /invalid time "1969-12-31 09:18:46": before 1970/);
    // Years 0-99 are those years, not 1900-1999.
    const ancient = parseLogLine('0075-01-01 00:00:00,000 fail2ban.actions        [812]: NOTICE  [sshd] Ban 198.51.100.2');
    assert.ok(isRejected(ancient));
    assert.match(ancient.error, /invalid time "0075-01-01 00:00:00": before 1970/);
  });

  test('Unban, Found, "already banned" and server lines are not bans', () => {
    for (const line of [
      '2026-11-21 09:20:16,039 fail2ban.actions        [31395]: NOTICE  [sshd] Unban 111.0.85.93',
      '2026-11-21 09:18:45,933 fail2ban.filter         [31395]: INFO    [sshd] Found 195.12.20.154 - 2026-11-21 09:08:47',
      '2026-11-21 09:18:46,145 fail2ban.actions        [31395]: NOTICE  [sshd] 2001:db8:9f0b:3129::14 already banned',
      '2026-11-21 09:18:45,876 fail2ban.server         [31395]: INFO    Starting Fail2ban v1.0.2',
    ]) {
      assert.equal(new Fail2banLogParser().parse(line), undefined, line);
    }
  });

  test('older formats (no pid, WARNING) are read too; a bad address is invalid', () => {
    const old = parseLogLine('2014-03-02 10:00:00,123 fail2ban.actions: WARNING [ssh] Ban 192.0.2.7') as Candidate;
    assert.equal(old.jail, 'ssh');
    assert.ok(isRejected(parseLogLine('2026-11-21 09:18:46,135 fail2ban.actions [1]: NOTICE  [sshd] Ban 192.0.2.300')));
    assert.ok(isRejected(parseLogLine('2026-11-21 09:18:46,135 fail2ban.actions [1]: NOTICE  [bad jail!] Ban 192.0.2.3')));
  });

  test('a ban line that goes on past its address is invalid, not skipped as noise: --strict refuses it', () => {
    const broken = parseLogLine('2026-11-21 09:18:47,135 fail2ban.actions        [31395]: NOTICE  [sshd] Ban 192.0.2.161 trailing-garbage');
    assert.ok(isRejected(broken));
    assert.match((broken as { error: string }).error, /does not end with one address/);
  });

  test('a date that does not exist is invalid, not rolled over into another month', () => {
    for (const date of ['2026-13-01', '2026-00-15', '2026-02-30', '2026-04-31']) {
      const outcome = parseLogLine(`${date} 09:18:46,135 fail2ban.actions [1]: NOTICE  [sshd] Ban 192.0.2.3`);
      assert.ok(isRejected(outcome) && /invalid time/.test(outcome.error), date);
    }
    assert.ok(!isRejected(parseLogLine('2028-02-29 09:18:46,135 fail2ban.actions [1]: NOTICE  [sshd] Ban 192.0.2.3')), 'a leap day');
  });

  test('the whole real log: the distinct addresses per jail of expected.json, for Ban and for Restore Ban', () => {
    const log = expected('expected.json').fail2ban_log;
    const parser = new Fail2banLogParser();
    const bans = new Map<string, string[]>();
    const restores = new Map<string, string[]>();
    for (const line of fixtureLines('fail2ban.log')) {
      const outcome = parser.parse(line);
      assert.ok(!isRejected(outcome), line);
      if (outcome === undefined) continue;
      const ban = outcome as Candidate;
      const into = ban.restored ? restores : bans;
      into.set(ban.jail!, [...(into.get(ban.jail!) ?? []), formatNetwork(ban.network)]);
    }
    parser.finish('fail2ban.log');
    for (const [kind, found] of [['Ban', bans], ['Restore Ban', restores]] as const) {
      const perJail = log[kind].per_jail as Record<string, JailIps>;
      assert.deepEqual(sorted(found.keys()), sorted(Object.keys(perJail)), kind);
      for (const [jail, counts] of Object.entries(perJail)) {
        assert.equal(found.get(jail)!.length, counts.lines, `${kind} lines of ${jail}`);
        assert.equal(new Set(found.get(jail)).size, counts.distinct_ips, `${kind} distinct addresses of ${jail}`);
      }
      assert.deepEqual(sorted(new Set([...found.values()].flat())), sorted(log[kind].ips), `${kind} addresses`);
    }
  });

  test('an empty log (just rotated) holds no bans and is no error', () => {
    const parser = new Fail2banLogParser();
    for (const line of ['', '  ']) assert.equal(parser.parse(line), undefined);
    assert.doesNotThrow(() => parser.finish('fail2ban.log'));
  });

  test('another log (sshd via rsyslog) is refused as not a fail2ban log', () => {
    const parser = new Fail2banLogParser();
    for (const line of fixtureLines('logs/auth.log')) assert.equal(parser.parse(line), undefined);
    assert.throws(() => parser.finish('auth.log'), (error: Error) => error instanceof UsageError && /auth\.log is not a fail2ban log/.test(error.message));
  });
});
