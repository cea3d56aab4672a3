import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CLI } from '../../helpers/cli.js';
import { Netns } from '../../helpers/netns.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { configuredNewStore, initStore, tempStore } from '../../helpers/store.js';

describe('the ban hook', () => {
  test('a fail2ban replay (--restored 1) of an active ban adds nothing; of a new jail it records once', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const hook = (...args: string[]) => netns.cli(['--db', db, 'ban', '203.0.113.5', '--source', 'fail2ban', ...args]);
    assert.equal((await hook('--jail', 'sshd', '--restored', '0')).code, 0);
    const replay = await hook('--jail', 'sshd', '--restored', '1');
    assert.equal(replay.code, 0);
    assert.match(replay.stdout, /already banned 203\.0\.113\.5/);
    assert.equal(count(db, 'bans'), 1);
    assert.equal((await hook('--jail', 'recidive', '--restored', '1')).code, 0);
    assert.equal((await hook('--jail', 'recidive', '--restored', '1')).code, 0);
    assert.deepEqual(query(db, 'SELECT jail, restored, source FROM bans ORDER BY id'), [
      { jail: 'sshd', restored: 0, source: 'fail2ban' },
      { jail: 'recidive', restored: 1, source: 'fail2ban' },
    ]);
  });

  test('a ban of a safelisted address exits 0, is recorded, and says it is not blocked', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    assert.equal((await netns.cli(['--db', db, 'safelist', 'add', '198.51.100.0/24', '--note', 'office'])).code, 0);
    const result = await netns.cli(['--db', db, 'ban', '198.51.100.7', '--jail', 'sshd']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /recorded 198\.51\.100\.7 \(jail sshd\); not blocked: safelisted by 198\.51\.100\.0\/24/);
    assert.equal(count(db, 'bans', "address = '198.51.100.7'"), 1);
    const listed = JSON.parse((await netns.cli(['--db', db, 'list', '--json'])).stdout) as Array<{ address: string; status: string }>;
    assert.deepEqual(listed.map((row) => [row.address, row.status]), [['198.51.100.7', 'safelisted']]);
  });

  test('a ban the policy does not count says why: a jail outside [policy] jails never qualifies, one of them needs min_bans', async () => {
    const netns = await Netns.create();
    const { db, config } = configuredNewStore('[policy]\njails = ["sshd"]\nmin_bans = 2\n');
    const ban = (...args: string[]) => netns.cli(['--db', db, '--config', config, 'ban', ...args]);
    const manual = await ban('192.0.2.1');
    assert.deepEqual([manual.code, manual.stdout], [0, 'recorded 192.0.2.1 (jail manual); not blocked: jail manual does not count for the policy (jails sshd); ban with --jail sshd, or add manual to [policy] jails\n']);
    const first = await ban('192.0.2.2', '--jail', 'sshd');
    assert.deepEqual([first.code, first.stdout], [0, 'recorded 192.0.2.2 (jail sshd); not blocked yet: the policy needs 2 bans from sshd\n']);
    assert.match((await ban('192.0.2.2', '--jail', 'sshd')).stdout, /^banned 192\.0\.2\.2 \(jail sshd\)/, 'the second offence qualifies');
  });

  test('when the store stays locked the ban is spooled, never lost, and the next command folds it in', async () => {
    const netns = await Netns.create();
    const { db, config } = configuredNewStore('busy_timeout = "1s"\n');
    assert.equal((await netns.cli(['--db', db, 'ban', '192.0.2.1'])).code, 0);

    const holder = new Database(db);
    holder.exec('BEGIN EXCLUSIVE');
    holder.prepare("INSERT INTO safelist (family, first, last, address, added_at) VALUES (4, 1, 1, '0.0.0.1', 0)").run();
    const blocked = await netns.cli(['--db', db, '--config', config, 'ban', '192.0.2.2', '--jail', 'sshd', '--bantime', '3600']);
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /^stickyban: store .* is locked .*the ban of 192\.0\.2\.2 was spooled to .*stickyban\.db\.spool, .*not live: ipset stickyban4 does not exist yet \(stickyban restore creates it\)\n$/);
    assert.doesNotMatch(blocked.stderr, /try again/, 'spooled: nothing to try again');
    assert.equal(statSync(`${db}.spool`).mode & 0o777, 0o600);
    assert.match(readFileSync(`${db}.spool`, 'utf8'), /"address":"192\.0\.2\.2","jail":"sshd"/);
    holder.exec('ROLLBACK');
    holder.close();

    // A read command leaves the spool alone and says the ban is not in what it shows.
    const read = await netns.cli(['--db', db, 'list', '--json']);
    assert.equal(read.code, 0, read.stderr);
    assert.match(read.stderr, /^stickyban: bans wait in .*stickyban\.db\.spool, not in what this shows/, 'on stderr: --json output stays JSON');
    assert.equal((JSON.parse(read.stdout) as unknown[]).length, 1);
    assert.equal(existsSync(`${db}.spool`), true);

    const written = await netns.cli(['--db', db, 'restore']);
    assert.equal(written.code, 0, written.stderr);
    assert.match(written.stderr, /^stickyban: folded 1 spooled ban/);
    const listed = await netns.cli(['--db', db, 'list', '--json']);
    assert.equal(listed.stderr, '');
    assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 2);
    assert.deepEqual(query(db, "SELECT jail, bantime FROM bans WHERE address = '192.0.2.2'"), [{ jail: 'sshd', bantime: 3600 }]);
    assert.equal(existsSync(`${db}.spool`), false);
    // Folding is idempotent: the event keeps its id, so a second fold (or a crash mid-fold) adds nothing.
    assert.equal(count(db, 'bans'), 2);
  });

  test('a ban spooled because the store stays locked is still made live at once, as the store would plan it', async () => {
    const netns = await Netns.create();
    const { db, config } = configuredNewStore('busy_timeout = "1s"\n');
    const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
    assert.equal((await cli('safelist', 'add', '198.51.100.7')).code, 0);
    assert.equal((await cli('restore')).code, 0);

    const holder = new Database(db);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("INSERT INTO safelist (family, first, last, address, added_at) VALUES (4, 1, 1, '0.0.0.1', 0)").run();
    try {
      const plain = await cli('ban', '192.0.2.2', '--jail', 'sshd');
      assert.equal(plain.code, 1, 'the store did not take it: said, not hidden');
      assert.match(plain.stderr, /spooled to .*stickyban\.db\.spool, which the daemon or the next stickyban command records; blocked meanwhile\n$/);
      assert.equal((await netns.try('ipset', ['test', 'stickyban4', '192.0.2.2'])).code, 0, 'live while the store is locked');

      // The safelist still wins: a block around a safelisted host goes live in the pieces around it.
      const block = await cli('ban', '198.51.100.0/29', '--jail', 'sshd');
      assert.equal(block.code, 1);
      assert.match(block.stderr, /blocked meanwhile\n$/);
      const members = await netns.exec('ipset', ['list', 'stickyban4']);
      for (const piece of ['198.51.100.0/30', '198.51.100.4/31', '198.51.100.6']) assert.match(members, new RegExp(`^${piece.replaceAll('.', '\\.')}$`, 'm'));
      assert.equal((await netns.try('ipset', ['test', 'stickyban4', '198.51.100.7'])).code, 1, 'the safelisted host is not in the set');

      // A replay waits for the write: it must not re-block what an admin lifted.
      const replay = await cli('ban', '203.0.113.9', '--jail', 'sshd', '--restored', '1');
      assert.match(replay.stderr, /it is made live when it is recorded/);
      assert.equal((await netns.try('ipset', ['test', 'stickyban4', '203.0.113.9'])).code, 1);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const folded = await cli('restore');
    assert.equal(folded.code, 0, folded.stderr);
    assert.match(folded.stderr, /folded 3 spooled ban/);
    assert.equal((await netns.try('ipset', ['test', 'stickyban4', '203.0.113.9'])).code, 0, 'recorded and planned now');
  });

  test('on a full disk a ban says one true line; the empty spool file its failed write left is not news later', async () => {
    const netns = await Netns.create();
    const dir = tempDir();
    const disk = join(dir, 'disk');
    const out = join(dir, 'out');
    mkdirSync(disk);
    mkdirSync(out);
    // A small tmpfs, in a mount namespace of the commands' own. Another process keeps the store open
    // (as the daemon would), so its -wal and -shm stay: the store opens on the full disk, and the
    // ban's write fails, then its spool write.
    const script = `
      disk=$1 out=$2 sqlite=$3 node=$4 cli=$5
      mount -t tmpfs -o size=1m tmpfs "$disk"
      mkdir -m 700 "$disk/store"
      db=$disk/store/stickyban.db
      run() { name=$1; shift; "$node" "$cli" --db "$db" "$@" > "$out/$name.out" 2> "$out/$name.err"; echo $? > "$out/$name.code"; }
      run made init
      run first ban 192.0.2.1
      "$node" -e 'const Database = require(process.argv[1]); new Database(process.argv[2]).prepare("SELECT count(*) FROM bans").get(); process.stdout.write("open\\n"); setInterval(() => {}, 1000)' "$sqlite" "$db" > "$out/holder" &
      i=0; while [ ! -s "$out/holder" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
      dd if=/dev/zero of="$disk/fill" bs=4k 2> /dev/null
      run full ban 192.0.2.2
      run again ban 192.0.2.3
      rm "$disk/fill"
      run freed ban 192.0.2.4
      kill $!
      wait
      run list list --json
    `;
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    const ran = await netns.try('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', disk, out, sqlite, process.execPath, CLI]);
    assert.equal(ran.stderr, '');
    const step = (name: string) => ({ code: Number(readFileSync(join(out, `${name}.code`), 'utf8')), stderr: readFileSync(join(out, `${name}.err`), 'utf8') });
    assert.equal(step('made').code, 0, step('made').stderr);
    assert.equal(step('first').code, 0, step('first').stderr);
    for (const name of ['full', 'again']) {
      const { code, stderr } = step(name);
      assert.equal(code, 1, name);
      assert.equal(stderr.split('\n').length, 2, `${name}: one line: ${stderr}`);
      assert.match(stderr, /^stickyban: .*(disk is full|no space left)/, name);
    }
    const freed = step('freed');
    assert.equal(freed.code, 0, freed.stderr);
    assert.doesNotMatch(freed.stderr, /folded 0/);
    const listed = JSON.parse(readFileSync(join(out, 'list.out'), 'utf8')) as Array<{ address: string }>;
    assert.deepEqual(listed.map((row) => row.address), ['192.0.2.1', '192.0.2.4'], 'what was said recorded is, and only that');
  });

  test('refuses to lock the admin out: loopback, this host, the SSH client; --force overrides; the config safelist records without blocking', async () => {
    const netns = await Netns.create();
    await netns.addHostAddress('192.0.2.200/24');
    const { db, config } = configuredNewStore('safelist = ["203.0.113.0/28"]\n');
    const ban = (address: string, env: NodeJS.ProcessEnv = {}, ...extra: string[]) =>
      netns.cli(['--db', db, '--config', config, 'ban', address, ...extra], { env });

    const cases: Array<[string, NodeJS.ProcessEnv, RegExp]> = [
      ['127.0.0.1', {}, /it is loopback/],
      ['::1', {}, /it is loopback/],
      ['192.0.2.200', {}, /an address of this host \(sbhost0\)/],
      ['192.0.2.0/24', {}, /meets 192\.0\.2\.200.*an address of this host/],
      ['198.51.100.44', { SSH_CONNECTION: '198.51.100.44 50122 192.0.2.200 22' }, /the SSH client of this session/],
      ['2001:db8::44', { SSH_CLIENT: '2001:db8::44 50122 22' }, /the SSH client of this session/],
      ['fe80::1234', { SSH_CLIENT: 'fe80::1234%eth0 50122 22' }, /the SSH client of this session/],
    ];
    for (const [address, env, reason] of cases) {
      const result = await ban(address, env);
      assert.equal(result.code, 2, `${address}: ${result.stderr}`);
      assert.match(result.stderr, reason, address);
      assert.match(result.stderr, /pass --force/);
    }
    assert.equal(count(db, 'bans'), 0, 'nothing was written');
    const forced = await ban('198.51.100.44', { SSH_CONNECTION: '198.51.100.44 50122 192.0.2.200 22' }, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(count(db, 'bans'), 1);

    // Like a range of `safelist add`: on record, never live, and fail2ban's hook succeeds.
    assert.equal((await netns.cli(['--db', db, '--config', config, 'restore', '--quiet'])).code, 0);
    const safe = await ban('203.0.113.5', {}, '--jail', 'sshd', '--source', 'fail2ban');
    assert.equal(safe.code, 0, safe.stderr);
    assert.match(safe.stdout, /recorded 203\.0\.113\.5 \(jail sshd\); not blocked: safelisted by 203\.0\.113\.0\/28 \(config\)/);
    assert.equal(count(db, 'bans'), 2);
    assert.notEqual((await netns.try('ipset', ['test', 'stickyban4', '203.0.113.5'])).code, 0, 'not in the live set');
  });

  test('loads neither commander nor cron', async () => {
    const netns = await Netns.create();
    const dir = tempDir();
    const trace = join(dir, 'loaded.txt');
    const preload = join(dir, 'trace.cjs');
    writeFileSync(
      preload,
      `const Module = require('module'); const fs = require('fs'); const seen = new Set();
       const load = Module._load; Module._load = function (request, ...rest) { seen.add(request); return load.call(this, request, ...rest); };
       process.on('exit', () => fs.writeFileSync(${JSON.stringify(trace)}, [...seen].join('\\n')));`,
    );
    const result = await netns.cli(['--db', initStore(join(dir, 'stickyban.db')), 'ban', '192.0.2.9'], { env: { NODE_OPTIONS: `--require ${preload}` } });
    assert.equal(result.code, 0, result.stderr);
    const loaded = readFileSync(trace, 'utf8').split('\n');
    assert.ok(loaded.some((request) => request.endsWith('better_sqlite3.node')), 'the trace works: the SQLite addon was loaded');
    for (const heavy of ['commander', 'cron', 'smol-toml', 'execa', 'ip-num']) assert.ok(!loaded.includes(heavy), `${heavy} was loaded`);
  });
});
