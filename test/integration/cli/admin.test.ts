import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDb, tempDir } from '../../helpers/tmp.js';
import { CLI, runCli, runProcess } from '../../helpers/cli.js';
import { banEvent, manyIPv4, seedBans } from '../../helpers/seed.js';
import { appendToSpool } from '../../../src/store/spool.js';
import { initStore, tempStore } from '../../helpers/store.js';

interface Listed {
  address: string;
  family: number;
  status: string;
  bans: number;
  jails: string[];
}

describe('admin commands', () => {
  test('list, show and stats read the events; --json everywhere; filters by jail and family', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const cli = async (...args: string[]) => {
      const result = await netns.cli(['--db', db, ...args], { env: { STICKYBAN_NOW: '2026-11-21T09:00:00Z' } });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };
    await cli('ban', '203.0.113.7', '--jail', 'sshd', '--bantime', '600', '--source', 'fail2ban');
    await cli('ban', '203.0.113.7', '--jail', 'recidive', '--bantime', '1w', '--source', 'fail2ban');
    await cli('ban', '2001:db8::7', '--jail', 'nginx-http-auth', '--reason', 'basic auth brute force');
    await cli('ban', '198.51.100.0/24', '--reason', 'abuse report');

    const all = JSON.parse(await cli('list', '--json')) as Listed[];
    assert.deepEqual(
      all.map((row) => [row.address, row.status, row.bans, row.jails.sort()]),
      [
        ['198.51.100.0/24', 'permanent', 1, ['manual']],
        ['203.0.113.7', 'permanent', 2, ['recidive', 'sshd']],
        ['2001:db8::7', 'permanent', 1, ['nginx-http-auth']],
      ],
    );
    assert.deepEqual((JSON.parse(await cli('list', '--json', '--jail', 'recidive')) as Listed[]).map((row) => row.address), ['203.0.113.7']);
    assert.deepEqual((JSON.parse(await cli('list', '--json', '--family', '6')) as Listed[]).map((row) => row.address), ['2001:db8::7']);
    assert.match(await cli('list'), /^ADDRESS +STATUS +BANS +JAILS +LAST BAN\n198\.51\.100\.0\/24 +permanent +1 +manual +2026-11-21T09:00:00Z\n/);

    const shown = JSON.parse(await cli('show', '198.51.100.9', '--json')) as { blocked: boolean; planned: boolean; events: Array<{ address: string; reason: string }> };
    assert.equal(shown.planned, true);
    assert.equal(shown.blocked, false, 'no restore has run: nothing is live yet');
    assert.deepEqual(shown.events.map((event) => [event.address, event.reason]), [['198.51.100.0/24', 'abuse report']]);
    const history = JSON.parse(await cli('show', '203.0.113.7', '--json')) as { events: Array<{ jail: string; bantime: number; source: string }> };
    assert.deepEqual(history.events.map((event) => [event.jail, event.bantime, event.source]), [['sshd', 600, 'fail2ban'], ['recidive', 604800, 'fail2ban']]);
    await cli('restore');
    assert.equal((JSON.parse(await cli('show', '198.51.100.9', '--json')) as { blocked: boolean }).blocked, true);
    assert.match(await cli('show', '203.0.113.7'), /blocked: +yes \(ipset stickyban4\)\nplanned: +yes\n/);

    const stats = JSON.parse(await cli('stats', '--json')) as { addresses: number; events: number; by_family: Array<{ key: number; addresses: number }>; by_source: Array<{ key: string; events: number }> };
    assert.equal(stats.addresses, 3);
    assert.equal(stats.events, 4);
    assert.deepEqual(stats.by_family.map((row) => [row.key, row.addresses]), [[4, 2], [6, 1]]);
    assert.deepEqual(stats.by_source.map((row) => [row.key, row.events]), [['fail2ban', 2], ['manual', 2]]);
  });

  test('unban lifts the bans but keeps them as history; a jail unban lifts only that jail', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const cli = (...args: string[]) => netns.cli(['--db', db, ...args]);
    await cli('ban', '203.0.113.7', '--jail', 'sshd');
    await cli('ban', '203.0.113.7', '--jail', 'recidive');
    await cli('ban', '203.0.113.0/24', '--jail', 'manual');

    const jailOnly = await cli('unban', '203.0.113.7', '--jail', 'sshd');
    assert.equal(jailOnly.code, 0, jailOnly.stderr);
    assert.deepEqual(query(db, "SELECT jail FROM bans WHERE address = '203.0.113.7' AND lifted_at IS NULL").map((row) => row.jail), ['recidive']);

    const all = await cli('unban', '203.0.113.7');
    assert.equal(all.code, 0);
    assert.match(all.stderr, /203\.0\.113\.7 is still banned as part of 203\.0\.113\.0\/24/);
    assert.equal(count(db, 'bans', "address = '203.0.113.7' AND lifted_at IS NULL"), 0);
    assert.equal(count(db, 'bans', "address = '203.0.113.7' AND lifted_by = 'unban'"), 2, 'the events are kept');

    const again = await cli('unban', '203.0.113.7');
    assert.equal(again.code, 0, 'nothing left to lift: what was asked for is so');
    assert.match(again.stdout, /^203\.0\.113\.7 has no active ban; nothing to lift/);
    assert.equal(again.stderr, 'stickyban: 203.0.113.7 is still banned as part of 203.0.113.0/24\n', 'nothing to lift is not unblocked');

    // Lifted together, the address and the block around it: nothing keeps it banned any more.
    assert.equal((await cli('ban', '203.0.113.7')).code, 0);
    const both = await cli('unban', '203.0.113.7', '203.0.113.0/24');
    assert.deepEqual([both.code, both.stderr], [0, '']);
    const listed = JSON.parse((await cli('list', '--json')).stdout) as Listed[];
    assert.deepEqual(listed, []);
  });

  test('safelist add, list and remove; an entry in effect shows in list status', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const cli = (...args: string[]) => netns.cli(['--db', db, ...args]);
    await cli('ban', '192.0.2.10');
    assert.match((await cli('safelist', 'add', '192.0.2.0/24', '--note', 'office')).stdout, /safelisted 192\.0\.2\.0\/24/);
    assert.match((await cli('safelist', 'add', '192.0.2.0/24')).stdout, /already safelisted/);
    assert.equal((await cli('safelist', 'add', '2001:db8::/48')).code, 0);
    const entries = JSON.parse((await cli('safelist', 'list', '--json')).stdout) as Array<{ address: string; note: string | null; origin: string }>;
    assert.deepEqual(entries.map((entry) => [entry.address, entry.note, entry.origin]), [
      ['192.0.2.0/24', 'office', 'store'],
      ['2001:db8::/48', null, 'store'],
      ['127.0.0.0/8', 'loopback', 'built-in'],
      ['::1', 'loopback', 'built-in'],
    ]);
    assert.equal((JSON.parse((await cli('list', '--json')).stdout) as Listed[])[0]!.status, 'safelisted');

    const missing = await cli('safelist', 'remove', '192.0.2.0/25');
    assert.equal(missing.code, 0);
    assert.match(missing.stdout, /192\.0\.2\.0\/25 is not in the safelist; nothing to remove/);
    assert.equal((await cli('safelist', 'remove', '192.0.2.0/24')).code, 0);
    assert.equal((JSON.parse((await cli('list', '--json')).stdout) as Listed[])[0]!.status, 'permanent');
    assert.equal(count(db, 'safelist'), 1);
  });

  test('dry runs and doctor write nothing: no store at a mistyped --db, no restore on record', async () => {
    const netns = await Netns.create();
    const missing = join(tempDir(), 'typo', 'stickyban.db');
    for (const args of [['restore', '--dry-run'], ['prune', '--dry-run', '--older-than', '1d']]) {
      const result = await netns.cli(['--db', missing, ...args]);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, /^stickyban: no store at .*typo\/stickyban\.db: stickyban init creates it/);
    }
    const doctor = await netns.cli(['--db', missing, 'doctor']);
    assert.match(doctor.stdout, /FAIL +store: no store at .*typo\/stickyban\.db \(fix: stickyban init/);
    assert.equal(existsSync(dirname(missing)), false, 'not even its directory was made');

    const db = tempStore();
    assert.equal((await netns.cli(['--db', db, 'ban', '192.0.2.7'])).code, 0);
    // A ban the hook had to spool waits for a command that may write; dry runs and doctor may not.
    appendToSpool(db, banEvent('198.51.100.9'));
    for (const args of [['restore', '--dry-run'], ['prune', '--dry-run', '--older-than', '1d'], ['doctor']]) await netns.cli(['--db', db, ...args]);
    assert.equal(count(db, 'restores'), 0, 'a dry run is no restore');
    assert.equal(count(db, 'bans'), 1, 'the spool is not folded');
    assert.equal(existsSync(`${db}.spool`), true);
    assert.match((await netns.cli(['--db', db, 'doctor'])).stdout, /WARN +last restore: never/);
  });

  test('one line for what cannot be done: the built-in safelist, a device as metrics file, an empty db, a damaged install manifest', async () => {
    const netns = await Netns.create();
    const dir = tempDir();
    const db = initStore(join(dir, 'stickyban.db'));
    const loopback = await netns.cli(['--db', db, 'safelist', 'remove', '127.0.0.0/8']);
    assert.deepEqual([loopback.code, loopback.stderr], [2, 'stickyban: 127.0.0.0/8 is built in: loopback is always safelisted\n']);
    // A /0 would switch the family's blocklist off: refused on the command line and in the config.
    const everything = await netns.cli(['--db', db, 'safelist', 'add', '0.0.0.0/0']);
    assert.deepEqual([everything.code, everything.stderr], [2, 'stickyban: refusing to safelist 0.0.0.0/0: it holds every address: nothing of IPv4 would be blocked\n']);
    assert.equal(count(db, 'safelist'), 0);
    const wide = join(dir, 'wide.toml');
    writeFileSync(wide, 'safelist = ["192.0.2.0/24", "::/0"]\n');
    const refused = await runCli(['--config', wide, 'config', 'safelist']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /^stickyban: config file .*wide\.toml: "safelist" entry "::\/0" is refused: it holds every address: nothing of IPv6 would be blocked\n$/);
    const device = await netns.cli(['--db', db, 'daemon', '--metrics-file', '/dev/null']);
    assert.deepEqual([device.code, device.stderr], [2, 'stickyban: invalid --metrics-file "/dev/null": it is not a regular file; expected a file path\n']);
    const config = join(dir, 'config.toml');
    writeFileSync(config, 'db = ""\n');
    const empty = await runCli(['--config', config, 'list']);
    assert.deepEqual([empty.code, empty.stderr], [2, `stickyban: invalid "db" in ${config} "": expected the path of the SQLite store\n`]);
    const root = join(dir, 'root');
    assert.equal((await runCli(['install-contrib', '--root', root])).code, 0);
    writeFileSync(join(root, 'var/lib/stickyban/contrib.json'), 'not json');
    const damaged = await runCli(['install-contrib', '--root', root]);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /^stickyban: .*contrib\.json is damaged \(not the JSON install-contrib writes\); remove it, .*\n$/);
  });

  test('a store this user may not read says so: not that it cannot be created, nor written', async () => {
    const netns = await Netns.create();
    const db = tempDb();
    seedBans(db, ['192.0.2.1']);
    const cannotRead = `stickyban: cannot read store ${db}: permission denied (run as root, or pass --db)\n`;
    // The store's directory is root's alone (0700, as made), then open to all but the store file itself.
    for (const mode of [0o700, 0o755]) {
      chmodSync(dirname(db), mode);
      for (const args of [['list'], ['stats']]) {
        const result = await netns.cliAsNobody(['--db', db, ...args]);
        assert.deepEqual([result.code, result.stderr], [1, cannotRead], `${mode.toString(8)} ${args.join(' ')}`);
      }
      const ban = await netns.cliAsNobody(['--db', db, 'ban', '192.0.2.9']);
      assert.equal(ban.code, 1);
      assert.ok(ban.stderr.startsWith(`${cannotRead.trimEnd()}; and the ban could not be spooled either: `), ban.stderr);
    }
  });

  test('a failure that escapes every promise chain is one line and exit 1, without a stack', async () => {
    const dir = tempDir();
    const preload = join(dir, 'stray.cjs');
    // Stands for a bug: a rejection nobody handles, while the command runs.
    writeFileSync(preload, "setTimeout(() => Promise.reject(new Error('stray failure')), 0);\n");
    seedBans(join(dir, 'stickyban.db'), []);
    const result = await runCli(['--db', join(dir, 'stickyban.db'), 'stats'], { env: { NODE_OPTIONS: `--require ${preload}` } });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'stickyban: internal error: stray failure (run with --verbose for details)\n');
  });

  test('a reader that stops early (export | head -1) ends the command quietly, exit 0; a full disk is one line, exit 1', async () => {
    const db = tempDb();
    seedBans(db, manyIPv4(20_000));
    const full = await runProcess('bash', ['-c', `'${process.execPath}' '${CLI}' --db '${db}' list > /dev/full`]);
    assert.deepEqual([full.code, full.stderr], [1, 'stickyban: cannot write the output: ENOSPC: no space left on device, write\n']);
    for (const command of ['export', 'list']) {
      // 20k lines are far more than a pipe holds, so the writes go on after head has exited.
      const result = await runProcess('bash', ['-c', `set -o pipefail; '${process.execPath}' '${CLI}' --db '${db}' ${command} | head -1`]);
      assert.equal(result.stderr, '', command);
      assert.equal(result.code, 0, command);
      assert.equal(result.stdout.split('\n').length, 2, command);
    }
  });

  test('a mistyped command or option is one line with the suggestion; a command without its subcommand prints the help, exit 2', async () => {
    const db = tempDb();
    const typo = await runCli(['--db', db, 'lst']);
    assert.deepEqual([typo.code, typo.stderr], [2, "stickyban: unknown command 'lst' (Did you mean list?) (see stickyban --help)\n"]);
    const option = await runCli(['--db', db, 'list', '--jsn']);
    assert.deepEqual([option.code, option.stderr], [2, "stickyban: unknown option '--jsn' (Did you mean --json?) (see stickyban --help)\n"]);
    // ban, parsed without commander (the hook's fast path), says it alike.
    const fast = await runCli(['--db', db, 'ban', '--no-such', '192.0.2.1']);
    assert.deepEqual([fast.code, fast.stderr], [2, "stickyban: unknown option '--no-such' (see stickyban ban --help)\n"]);
    for (const args of [[], ['safelist']]) {
      const bare = await runCli(['--db', db, ...args]);
      assert.equal(bare.code, 2, args.join(' '));
      assert.match(bare.stderr, /^Usage: stickyban /);
      assert.doesNotMatch(bare.stderr, /outputHelp|^stickyban:/m);
    }
  });
  test("an option's value that starts with '-' is written --option=VALUE: the next option is never taken for it", async () => {
    // In a namespace of its own: were the option taken for the value, the command would run.
    const netns = await Netns.create();
    const db = initStore(tempDb());
    for (const [args, option, verb] of [
      [['safelist', 'add', '192.0.2.9', '--note', '--fail2ban'], '--note', 'safelist add'],
      [['list', '--since', '--json'], '--since', 'list'],
      [['unban', '192.0.2.1', '--jail', '-x'], '--jail', 'unban'],
    ] as const) {
      const result = await netns.cli(['--db', db, ...args]);
      assert.deepEqual([result.code, result.stdout, result.stderr], [2, '', `stickyban: a value of ${option} that starts with '-' is written ${option}=VALUE (see stickyban ${verb} --help)\n`]);
    }
    assert.equal(count(db, 'safelist'), 0);
    // An option given twice with two values: the last one won without a word, through commander and the ban's fast path alike.
    for (const [args, option, verb] of [
      [['export', '--family', '4', '--family=6'], '--family', 'export'],
      [['ban', '192.0.2.1', '--bantime', '1h', '--bantime', '2h'], '--bantime', 'ban'],
      [['list', '--db', tempDb()], '--db', 'list'],
    ] as const) {
      const result = await netns.cli(['--db', db, ...args]);
      assert.deepEqual([result.code, result.stdout, result.stderr], [2, '', `stickyban: ${option} is given twice, with two values; give it once (see stickyban ${verb} --help)\n`]);
    }
    assert.equal(count(db, 'bans'), 0);
    // The same value twice (a wrapper passes --config, and so does fail2ban's action) and a flag twice are no contradiction.
    const same = await netns.cli(['--db', db, '-q', 'list', '--db', db, '--quiet']);
    assert.equal(same.code, 0, same.stderr);
  });
});
