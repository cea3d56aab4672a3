import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { cliCommand } from '../../helpers/cli.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { expected, fixture, sorted, type JailIps } from '../../unit/import/fixtures.js';
import { importJson, session } from './session.js';

/** Distinct addresses per jail, as the store holds them. */
function addressesByJail(db: string, where = '1'): Map<string, string[]> {
  const rows = query<{ jail: string; address: string }>(db, `SELECT DISTINCT jail, address FROM bans WHERE ${where}`);
  const byJail = new Map<string, string[]>();
  for (const row of rows) byJail.set(row.jail, [...(byJail.get(row.jail) ?? []), row.address]);
  return byJail;
}

function assertPerJail(found: Map<string, string[]>, perJail: Record<string, JailIps>, what: string): void {
  assert.deepEqual(sorted(found.keys()), sorted(Object.keys(perJail)), `${what}: jails`);
  for (const [jail, want] of Object.entries(perJail)) {
    assert.equal(found.get(jail)!.length, want.distinct_ips, `${what}: distinct addresses of ${jail}`);
    if (want.ips) assert.deepEqual(sorted(found.get(jail)!), sorted(want.ips), `${what}: addresses of ${jail}`);
  }
}

describe('import of real fail2ban data', () => {
  test('fail2ban.sqlite3: every ban row with its jail, timeofban and bantime; the addresses of expected.json', async () => {
    const s = await session();
    const db = expected('expected.json').db;
    const summary = await importJson(s, [fixture('fail2ban.sqlite3'), '--format', 'fail2ban-db']);
    assert.deepEqual([summary.read, summary.found, summary.added, summary.duplicates, summary.invalid], [db.bans.rows, db.bans.rows, db.bans.rows, 0, 0]);
    assert.equal(summary.source, 'import:fail2ban-db');
    assert.equal(summary.live.state, 'no-live-set');

    assertPerJail(addressesByJail(s.db), db.bans.per_jail, 'bans');
    assert.deepEqual(sorted(query<{ address: string }>(s.db, 'SELECT DISTINCT address FROM bans').map((row) => row.address)), sorted(db.bans.all_jails.ips));
    for (const [jail, want] of Object.entries(db.bans.per_jail as Record<string, JailIps>)) {
      assert.deepEqual(query<{ bantime: number }>(s.db, 'SELECT DISTINCT bantime FROM bans WHERE jail = ?', jail).map((row) => row.bantime), want.bantimes, jail);
    }
    // The times are fail2ban's own: compare with the database read directly.
    const source = new Database(fixture('fail2ban.sqlite3'), { readonly: true });
    const rows = source.prepare('SELECT jail, ip, timeofban, bantime FROM bans').all() as Array<{ jail: string; ip: string; timeofban: number; bantime: number }>;
    source.close();
    const stored = query<{ jail: string; address: string; banned_at: number; bantime: number }>(s.db, 'SELECT jail, address, banned_at, bantime FROM bans');
    const key = (jail: string, ip: string, time: number, bantime: number) => `${jail} ${ip} ${time} ${bantime}`;
    assert.deepEqual(sorted(stored.map((row) => key(row.jail, row.address, row.banned_at, row.bantime))), sorted(rows.map((row) => key(row.jail, row.ip, row.timeofban, row.bantime))));
    assert.equal(count(s.db, 'bans', "source = 'import:fail2ban-db' AND restored = 0 AND lifted_at IS NULL"), db.bans.rows);

    const again = await importJson(s, [fixture('fail2ban.sqlite3'), '--format', 'fail2ban-db']);
    assert.deepEqual([again.added, again.duplicates], [0, db.bans.rows], 'a second import adds nothing');
    assert.equal(count(s.db, 'bans'), db.bans.rows);

    // The database piped in (a copy from another host, say) is the same events.
    const [file, args] = cliCommand(['--db', s.db, 'import', '-', '--format', 'fail2ban-db', '--json']);
    const piped = await s.netns.try('sh', ['-c', 'input=$1; shift; exec "$@" < "$input"', 'sh', fixture('fail2ban.sqlite3'), file, ...args]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual([JSON.parse(piped.stdout).read, JSON.parse(piped.stdout).added], [db.bans.rows, 0]);
  });

  test('fail2ban.log: Ban lines are offences, Restore Ban lines replays; Unban lifts nothing; per jail as expected.json', async () => {
    const s = await session();
    const log = expected('expected.json').fail2ban_log;
    const lines = log.Ban.lines + log['Restore Ban'].lines;
    const summary = await importJson(s, [fixture('fail2ban.log'), '--format', 'fail2ban-log']);
    assert.deepEqual([summary.found, summary.added, summary.invalid], [lines, lines, 0]);
    assert.equal(count(s.db, 'bans', 'restored = 0'), log.Ban.lines);
    assert.equal(count(s.db, 'bans', 'restored = 1'), log['Restore Ban'].lines);
    assertPerJail(addressesByJail(s.db, 'restored = 0'), log.Ban.per_jail, 'Ban lines');
    assertPerJail(addressesByJail(s.db, 'restored = 1'), log['Restore Ban'].per_jail, 'Restore Ban lines');
    assert.deepEqual(sorted(query<{ address: string }>(s.db, 'SELECT DISTINCT address FROM bans WHERE restored = 0').map((row) => row.address)), sorted(log.Ban.ips));
    assert.equal(count(s.db, 'bans', 'lifted_at IS NOT NULL'), 0, `${log.Unban.lines} Unban lines lift nothing`);
    // The log's first Ban line: "2026-11-21 09:18:46,135 … [sshd] Ban 2001:db8:9f0b:3129::14", local time (TZ=UTC here).
    const [first] = query<{ banned_at: number }>(s.db, "SELECT min(banned_at) AS banned_at FROM bans WHERE jail = 'sshd' AND address = '2001:db8:9f0b:3129::14'");
    assert.equal(first!.banned_at, Date.UTC(2026, 10, 21, 9, 18, 46) / 1000);
    assert.equal(query<{ first: number }>(s.db, 'SELECT min(banned_at) AS first FROM bans')[0]!.first, first!.banned_at);

    // The same log rotated and compressed (logrotate's fail2ban.log.2.gz) holds the same events.
    const dir = tempDir();
    const gz = join(dir, 'fail2ban.log.2.gz');
    writeFileSync(gz, gzipSync(await import('node:fs').then((fs) => fs.readFileSync(fixture('fail2ban.log')))));
    const rotated = await importJson(s, [gz, '--format', 'fail2ban-log']);
    assert.deepEqual([rotated.found, rotated.added, rotated.duplicates], [lines, 0, lines]);

    // And piped in, compressed, on stdin.
    const [file, args] = cliCommand(['--db', s.db, 'import', '-', '--format', 'fail2ban-log', '--json']);
    const piped = await s.netns.try('sh', ['-c', 'input=$1; shift; exec "$@" < "$input"', 'sh', gz, file, ...args]);
    assert.equal(piped.code, 0, piped.stderr);
    assert.deepEqual([JSON.parse(piped.stdout).file, JSON.parse(piped.stdout).added, JSON.parse(piped.stdout).duplicates], ['stdin', 0, lines]);
  });

  test('lists/shitlist.txt: the valid distinct addresses; the malformed lines reported with their numbers', async () => {
    const s = await session();
    const list = expected('lists/expected.json');
    const summary = await importJson(s, [fixture('lists/shitlist.txt'), '--format', 'plain']);
    assert.deepEqual(
      [summary.read, summary.found, summary.added, summary.duplicates, summary.invalid],
      [list.lines, list.valid_lines, list.valid_distinct.count, list.duplicate_valid_lines, list.malformed.length],
    );
    assert.deepEqual(summary.invalid_lines.map((entry) => ({ line: entry.line, text: entry.text })), list.malformed);
    assert.deepEqual(sorted(query<{ address: string }>(s.db, 'SELECT address FROM bans').map((row) => row.address)), sorted(list.valid_distinct.ips));
    assert.deepEqual(query(s.db, 'SELECT DISTINCT jail, source, bantime, restored FROM bans'), [{ jail: 'import', source: 'import:plain', bantime: -1, restored: 0 }]);

    const text = await s.run(['import', fixture('lists/shitlist.txt'), '--format', 'plain']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^imported .*shitlist\\.txt \\(plain\\): ${list.lines} lines read, ${list.valid_lines} bans found: 0 added, ${list.valid_lines} duplicates, 3 invalid\\n`));
    assert.match(text.stderr, /shitlist\.txt line 9: "999\.1\.1\.1": invalid address: octet 999 is out of range 0-255\n/);
    assert.match(text.stderr, /line 377: "10\.0\.0\.1; rm -rf \/": invalid address: it contains whitespace\n/);
    assert.equal(count(s.db, 'bans'), list.valid_distinct.count, 'the second import added nothing');
  });

  test('iptables/legacy-blocklist.rules: the DROP rules of Blocklist; INPUT rules are left alone', async () => {
    const s = await session();
    const rules = expected('iptables/expected.json');
    const summary = await importJson(s, [fixture('iptables/legacy-blocklist.rules'), '--format', 'iptables-save']);
    assert.deepEqual(
      [summary.found, summary.added, summary.duplicates, summary.invalid, summary.ignored],
      [rules.blocklist_drop_rules, rules.valid_distinct.count, rules.duplicate_drop_rules, 0, 0],
    );
    assert.deepEqual(sorted(query<{ address: string }>(s.db, 'SELECT address FROM bans').map((row) => row.address)), sorted(rules.valid_distinct.ips));
    const again = await importJson(s, [fixture('iptables/legacy-blocklist.rules'), '--format', 'iptables-save']);
    assert.equal(again.added, 0);

    // A chain of another name, with a malformed and a port-only rule: reported by line number.
    const dir = tempDir();
    const edited = join(dir, 'rules');
    const lines = (await import('node:fs')).readFileSync(fixture('iptables/legacy-blocklist.rules'), 'utf8').replaceAll('Blocklist', 'Shitlist').split('\n');
    lines.splice(7, 0, '-A Shitlist -s 203.0.113.300/32 -j DROP', '-A Shitlist -s 192.0.2.99/32 -p tcp -m tcp --dport 25 -j DROP');
    writeFileSync(edited, lines.join('\n'));
    const other = await session();
    const wrong = await other.run(['import', edited, '--format', 'iptables-save']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^stickyban: .*rules has no chain "Blocklist"; its chains are "INPUT", "FORWARD", "OUTPUT", "Shitlist" \(choose one with --chain\)\n$/);
    const chained = await importJson(other, [edited, '--format', 'iptables-save', '--chain', 'Shitlist', '--jail', 'legacy']);
    assert.deepEqual([chained.added, chained.invalid, chained.ignored], [rules.valid_distinct.count, 1, 1]);
    assert.deepEqual(chained.invalid_lines.map((entry) => entry.line), [8]);
    assert.deepEqual(chained.ignored_lines.map((entry) => entry.line), [9]);
    assert.deepEqual(query(other.db, 'SELECT DISTINCT jail, source FROM bans'), [{ jail: 'legacy', source: 'import:iptables-save' }]);
  });
});
