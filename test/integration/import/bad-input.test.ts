import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { CLI, runProcess } from '../../helpers/cli.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { expected, fixture } from '../../unit/import/fixtures.js';
import { importJson, session } from './session.js';

/** Exit 2, one line on stderr, and the store not even created. */
async function refused(args: string[], message: RegExp, input?: string): Promise<void> {
  const s = await session();
  const result = await s.run(['import', ...args], input);
  assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  assert.match(result.stderr, message);
  assert.equal(result.stderr.split('\n').length, 2, `one line: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.equal(count(s.db, 'bans'), 0, 'nothing written');
}

describe('import refuses bad input with exit 2 and writes nothing', () => {
  test('a missing file, a directory, a missing or unknown format, an option of another format', async () => {
    const dir = tempDir();
    await refused(['/nonexistent/list.txt', '--format', 'plain'], /^stickyban: cannot read "\/nonexistent\/list\.txt": no such file\n$/);
    await refused([dir, '--format', 'plain'], /^stickyban: cannot read ".*": it is a directory; expected a file\n$/);
    await refused([fixture('lists/shitlist.txt')], /^stickyban: missing --format: expected one of fail2ban-db, fail2ban-log, plain, iptables-save\n$/);
    await refused([fixture('lists/shitlist.txt'), '--format', 'csv'], /^stickyban: invalid --format "csv": expected one of fail2ban-db, fail2ban-log, plain, iptables-save\n$/);
    await refused([fixture('lists/shitlist.txt'), '--format', 'plain', '--chain', 'X'], /--chain applies to --format iptables-save only/);
    await refused([fixture('fail2ban.sqlite3'), '--format', 'fail2ban-db', '--jail', 'x'], /--jail applies to lists/);
    await refused([fixture('lists/shitlist.txt'), '--format', 'plain', '--jail', 'bad jail'], /invalid jail name "bad jail"/);
  });

  test('a file of the wrong kind: not a fail2ban database, not a fail2ban log', async () => {
    await refused([fixture('fail2ban.log'), '--format', 'fail2ban-db'], /^stickyban: .*fail2ban\.log is not a fail2ban database: it is not an SQLite file/);
    // Another program's SQLite file, such as stickyban's own store.
    const other = await session();
    await other.ok(['ban', '192.0.2.1']);
    await refused([other.db, '--format', 'fail2ban-db'], /is not a fail2ban database: it has no table bans\(jail, ip, timeofban, …\)/);
    await refused([fixture('logs/auth.log'), '--format', 'fail2ban-log'], /auth\.log is not a fail2ban log/);
    await refused([fixture('lists/shitlist.txt'), '--format', 'iptables-save'], /shitlist\.txt is not iptables-save output/);
    const dir = tempDir();
    const broken = join(dir, 'fail2ban.log.gz');
    writeFileSync(broken, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await refused([broken, '--format', 'fail2ban-log', '--strict'], /^stickyban: cannot read .*fail2ban\.log\.gz \(after line 0\): /);
  });

  test('--strict: one malformed line fails the whole import in one line, each is listed with --verbose, nothing is written', async () => {
    const s = await session();
    const bare = await s.run(['import', fixture('lists/shitlist.txt'), '--format', 'plain', '--strict']);
    assert.deepEqual([bare.code, bare.stderr.split('\n').length], [2, 2], `an error is one line: ${bare.stderr}`);
    const result = await s.run(['import', fixture('lists/shitlist.txt'), '--format', 'plain', '--strict', '--verbose']);
    assert.equal(result.code, 2);
    for (const { line, text } of expected('lists/expected.json').malformed as Array<{ line: number; text: string }>) {
      assert.ok(result.stderr.includes(`line ${line}: ${JSON.stringify(text)}`), `line ${line} is reported: ${result.stderr}`);
    }
    assert.match(result.stderr, /stickyban: 3 invalid lines in .*shitlist\.txt, nothing was imported \(--strict\); the first: line 9: "999\.1\.1\.1": invalid address: octet 999 is out of range 0-255\n$/);
    assert.equal(count(s.db, 'bans'), 0);

    // Also from stdin, which is read once and checked before anything is written.
    const piped = await s.run(['import', '-', '--format', 'plain', '--strict'], '192.0.2.1\n192.0.2.2\nfoo\n');
    assert.equal(piped.code, 2);
    assert.match(piped.stderr, /^stickyban: 1 invalid line in stdin, nothing was imported \(--strict\); the first: line 3: "foo": invalid address/);
    assert.equal(count(s.db, 'bans'), 0);

    // A store that exists keeps exactly what it had.
    await s.ok(['ban', '203.0.113.9']);
    assert.equal((await s.run(['import', fixture('lists/shitlist.txt'), '--format', 'plain', '--strict'])).code, 2);
    assert.equal(count(s.db, 'bans'), 1);

    const clean = await importJson(s, ['-', '--format', 'plain', '--strict'], '192.0.2.1\n# ok\n192.0.2.2\n');
    assert.deepEqual([clean.added, clean.invalid], [2, 0]);
  });

  test('loopback and this host are refused like the hook refuses them, unless --force; a /0 never', async () => {
    const s = await session();
    const list = '192.0.2.1\n127.0.0.1\n::1\n0.0.0.0/0\n';
    const summary = await importJson(s, ['-', '--format', 'plain'], list);
    assert.deepEqual([summary.added, summary.invalid], [1, 3]);
    assert.deepEqual(summary.invalid_lines.map((entry) => [entry.line, entry.error]), [
      [2, 'refusing to ban 127.0.0.1 (meets 127.0.0.0/8): it is loopback; pass --force to ban it anyway'],
      [3, 'refusing to ban ::1: it is loopback; pass --force to ban it anyway'],
      [4, 'refusing 0.0.0.0/0: a /0 blocks every address'],
    ]);
    const forced = await importJson(s, ['-', '--format', 'plain', '--force'], list);
    assert.deepEqual([forced.added, forced.duplicates, forced.invalid], [2, 1, 1]);
  });

  test('a TMPDIR stickyban cannot make its temporary directory in is one line naming it, exit 1, nothing written', async () => {
    const s = await session();
    for (const tmp of ['/nonexistent', '/dev/null']) {
      const result = await s.netns.cli(['--db', s.db, 'import', '-', '--format', 'plain', '--strict'], { env: { TMPDIR: tmp }, input: '198.51.100.1\n' });
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^stickyban: cannot make a temporary directory in "?${tmp}"?: (ENOENT|ENOTDIR) \\(set TMPDIR to a directory root can write, such as /tmp\\)\n$`));
    }
    assert.equal(count(s.db, 'bans'), 0);
  });

  test('a piped import prints no progress bar, even for a long file', async () => {
    const s = await session();
    const lines = Array.from({ length: 60_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join('\n');
    const result = await s.run(['import', '-', '--format', 'plain'], lines);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /60000 lines read, 60000 bans found: 60000 added/);
  });

  test('a compressed log cut short: what was read is kept (exit 1, says how much), a second run adds the rest', async () => {
    const s = await session();
    const dir = tempDir();
    const whole = gzipSync(readFileSync(fixture('fail2ban.log')));
    const cut = join(dir, 'fail2ban.log.3.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const result = await s.run(['import', cut, '--format', 'fail2ban-log']);
    assert.equal(result.code, 1);
    const match = /^stickyban: reading .*fail2ban\.log\.3\.gz failed after line (\d+): unexpected end of file; (\d+) new bans? from the lines before (?:was|were) imported\n$/.exec(result.stderr);
    assert.ok(match, result.stderr);
    assert.ok(Number(match[1]) > 1000);
    assert.equal(count(s.db, 'bans'), Number(match[2]));
    assert.ok(Number(match[2]) > 0);
    const log = expected('expected.json').fail2ban_log;
    const rest = await importJson(s, [fixture('fail2ban.log'), '--format', 'fail2ban-log']);
    assert.equal(rest.added, log.Ban.lines + log['Restore Ban'].lines - Number(match[2]));
  });

  test('a compressed stdin cut short, read whole first (--strict, a database): exit 2, one line, nothing written', async () => {
    const dir = tempDir();
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, gzipSync(readFileSync(fixture('lists/shitlist.txt'))).subarray(0, 40));
    for (const format of ['plain --strict', 'fail2ban-db']) {
      const db = join(dir, `${format.split(' ')[0]}.db`);
      const result = await runProcess('bash', ['-c', `'${process.execPath}' '${CLI}' --db '${db}' import - --format ${format} --no-apply < '${cut}'`]);
      assert.equal(result.code, 2, format);
      assert.equal(result.stderr, 'stickyban: cannot read stdin: unexpected end of file\n', format);
      assert.equal(existsSync(db), false, 'nothing written');
    }
  });

  test('a file with no ban and only invalid lines (the wrong file or --format) is exit 2 and writes nothing', async () => {
    const s = await session();
    const result = await s.run(['import', fixture('fail2ban.log'), '--format', 'plain', '--no-apply']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^stickyban: no ban found in .*fail2ban\.log, only \d+ invalid lines: is it plain input\? \(the first: line 1: .*\)\n$/, 'one line');
    assert.equal(count(s.db, 'bans'), 0, 'nothing written');
  });
});
