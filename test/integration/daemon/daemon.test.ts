import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon, whileDaemonRuns } from '../../helpers/daemon.js';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { banEvent } from '../../helpers/seed.js';
import { appendToSpool } from '../../../src/store/spool.js';
import { formatSpoolLine } from '../../../src/store/spool-line.js';
import { ask } from '../../../src/daemon/socket/client.js';
import { configuredNewStore, initStore, tempStore } from '../../helpers/store.js';

test('daemon: a firewall reload is seen as it happens (nft monitor) and the rule and jumps are put back, without a restore', async () => {
  const netns = await Netns.create();
  const db = tempStore();
  for (const address of ['203.0.113.7', '2001:db8::7']) assert.equal((await netns.cli(['--db', db, 'ban', address, '--jail', 'sshd'])).code, 0);
  assert.equal((await netns.cli(['--db', db, 'restore'])).code, 0);
  // Checked every hour: what is repaired below is repaired because the change was seen.
  await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start: the live set matched the store'));
    const inPlace = async () => {
      const v4 = await netns.exec('iptables', ['-S']);
      const v6 = await netns.exec('ip6tables', ['-S']);
      return v4.includes('-A INPUT -j Blocklist') && v4.includes('--match-set stickyban4') && v6.includes('-A INPUT -j Blocklist') && v6.includes('--match-set stickyban6');
    };
    const relinks = () => running.log().split('daemon: relinked after a firewall change').length - 1;
    const changes: Array<[string, () => Promise<unknown>]> = [
      ['iptables-restore', () => netns.exec('iptables-restore', [], { input: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n' })],
      ['iptables -F', () => netns.exec('iptables', ['-F'])],
      // ufw's way: flush its chains and delete the jumps, then re-create them.
      ['a jump deleted', () => netns.exec('ip6tables', ['-D', 'INPUT', '-j', 'Blocklist'])],
      ['nft flush ruleset', () => netns.exec('nft', ['flush', 'ruleset'])],
    ];
    for (const [what, change] of changes) {
      const before = relinks();
      await change();
      await until(`the relink after ${what}`, async () => relinks() > before && (await inPlace()), 5_000, 20);
    }
    assert.match(running.log(), /daemon: relinked after a firewall change: iptables: created chain Blocklist, iptables: added rule -m set --match-set stickyban4 src -j DROP in Blocklist, iptables: added jump from INPUT to Blocklist\n/);
    assert.equal((await netns.try('ipset', ['test', 'stickyban4', '203.0.113.7'])).code, 0, 'the sets were never touched');
    assert.doesNotMatch(running.log(), /daemon: repaired/, 'no restore was needed');
  });
});

test('daemon: the periodic check refills an emptied set, folds the spool, writes metrics, exits 0 on SIGTERM', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const metrics = join(tempDir(), 'stickyban.prom');
  for (const address of ['203.0.113.7', '2001:db8::7']) assert.equal((await netns.cli(['--db', db, 'ban', address, '--jail', 'sshd'])).code, 0);
  assert.equal((await netns.cli(['--db', db, 'restore'])).code, 0);

  const daemon = await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1s', '--metrics-file', metrics], async (running) => {
    await until('the daemon to start', () => running.log().includes('daemon: started'));
    await until('the first metrics', () => existsSync(metrics));

    // ipset flush leaves the sets in place, empty: no firewall event, the check sees it.
    await netns.exec('ipset', ['flush', 'stickyban6']);
    await until('the refill after ipset flush', async () => (await netns.try('ipset', ['test', 'stickyban6', '2001:db8::7'])).code === 0, 5_000);
    await until('the repair to be logged', () => /daemon: repaired: ipset stickyban6 is empty, but the store plans entries; restored 1 IPv4 and 1 IPv6 entries/.test(running.log()));

    // A spooled ban (the hook could not reach the store) is folded in and made live as it is
    // written: the directory is watched, not only polled each second.
    const written = Date.now();
    appendToSpool(db, banEvent('198.51.100.9'));
    await until('the folded ban to be live', async () => (await netns.try('ipset', ['test', 'stickyban4', '198.51.100.9'])).code === 0, 5_000);
    const live = Date.now() - written;
    assert.ok(live < 1_000, `live ${live} ms after the spool write`);
    assert.match(running.log(), /daemon: folded 1 spooled ban/);
    assert.equal(count(db, 'bans', "address = '198.51.100.9'"), 1);

    await until('metrics after the fold', () => /^stickyban_addresses 3$/m.test(readFileSync(metrics, 'utf8')));
    const text = readFileSync(metrics, 'utf8');
    assert.match(text, /^stickyban_heal_repairs_total 1$/m);
    assert.match(text, /^stickyban_heal_relinks_total 0$/m);
    assert.match(text, /^stickyban_daemon_bans_total 1$/m, 'the folded ban went through the daemon\'s writer');
    assert.match(text, /^# TYPE stickyban_last_restore_entries gauge$/m);
    assert.match(text, /^stickyban_last_restore_entries\{family="ipv4"\} 1$/m);
    assert.match(text, /^stickyban_jail_addresses\{jail="sshd"\} 3$/m);
    assert.match(text, /^stickyban_last_restore_duration_seconds \d+(\.\d+)?$/m);
  });
  assert.match(daemon.log(), /daemon: SIGTERM: stopping\n.*daemon: stopped\n$/);
});

test('daemon with the nftables backend: nft flush ruleset is seen as it happens and the table loaded again', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  assert.equal((await cli('restore')).code, 0);

  // Checked every hour: the repair below comes from the change being seen.
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    await netns.exec('nft', ['flush', 'ruleset']);
    await until('the table to come back', async () => (await netns.try('nft', ['list', 'set', 'inet', 'stickyban', 'v4_hosts'])).stdout.includes('203.0.113.7'), 5_000);
    await until('the repair to be logged', () => /daemon: repaired: nftables table inet stickyban does not exist; restored 1 IPv4 and 0 IPv6 entries/.test(running.log()));
  });
});

test('daemon with the nftables backend: a rule of its chain deleted, or the chain flushed, is put back as it happens', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  assert.equal((await cli('restore')).code, 0);
  const rules = async () => {
    const listed = JSON.parse(await netns.exec('nft', ['-j', 'list', 'chain', 'inet', 'stickyban', 'input'])) as { nftables: Array<{ rule?: { handle: number; expr: unknown } }> };
    return listed.nftables.flatMap((item) => (item.rule ? [item.rule] : []));
  };
  const all = (await rules()).length;
  assert.equal(all, 4);
  // Checked every hour, and that check sees only the chain: the repair comes from the deletion being seen.
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    const first = (await rules())[0]!;
    await netns.exec('nft', ['delete', 'rule', 'inet', 'stickyban', 'input', 'handle', String(first.handle)]);
    await until('the rule to come back', async () => (await rules()).length === all, 5_000);
    await until('the relink to be logged', () => /daemon: relinked after a firewall change: rule "ip saddr @v4_hosts drop" in nftables chain input$/m.test(running.log()));
    await netns.exec('nft', ['flush', 'chain', 'inet', 'stickyban', 'input']);
    await until('the rules to come back', async () => (await rules()).length === all, 5_000);
    assert.ok((await netns.exec('nft', ['get', 'element', 'inet', 'stickyban', 'v4_hosts', '{ 203.0.113.7 }'])).includes('203.0.113.7'), 'the set was kept: no restore');
  });
});

test('a ban the daemon blocks though the edited config file safelists it: the command says the daemon runs the config as it was', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const config = join(dir, 'config.toml');
  writeFileSync(config, '');
  const db = initStore(join(dir, 'stickyban.db'));
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    assert.equal((await netns.cli(['--db', db, '--config', config, 'ban', '198.51.100.1'], { env: running.env })).code, 0);
    writeFileSync(config, 'safelist = ["203.0.113.0/24"]\n');
    const banned = await netns.cli(['--db', db, '--config', config, 'ban', '203.0.113.77'], { env: running.env });
    assert.equal(banned.code, 0, banned.stderr);
    assert.equal(banned.stderr, `stickyban: the daemon blocks 203.0.113.77, which ${config} safelists (203.0.113.0/24): it runs the config as it was; systemctl reload stickyban (SIGHUP) puts the file in force\n`);
    running.signal('SIGHUP');
    await until('the reload', () => running.log().includes(`SIGHUP: reloaded ${config}`));
    // The safelist in force: what it covers leaves the live set at once (checked every hour).
    await until('the safelisted address out of the live set', async () => (await netns.try('ipset', ['test', 'stickyban4', '203.0.113.77'])).code !== 0, 5_000);
    assert.match(running.log(), /SIGHUP: the safelist or the policy changed: restoring the live set to the new plan/);
    const again = await netns.cli(['--db', db, '--config', config, 'ban', '203.0.113.78'], { env: running.env });
    assert.deepEqual([again.code, again.stderr], [0, '']);
  });
});

test('daemon with nftables (no entry counts to tell it): a safelist entry put in force by SIGHUP leaves the live set at once; its order alone is no change', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  for (const address of ['198.51.100.1', '203.0.113.77']) assert.equal((await cli('ban', address)).code, 0);
  assert.equal((await cli('restore')).code, 0);
  const live = async (address: string) => (await netns.try('nft', ['get', 'element', 'inet', 'stickyban', 'v4_hosts', `{ ${address} }`])).code === 0;
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    writeFileSync(config, 'backend = "nftables"\nsafelist = ["203.0.113.0/24", "192.0.2.0/24"]\n');
    running.signal('SIGHUP');
    await until('the safelisted address out of the live set', async () => !(await live('203.0.113.77')), 5_000);
    assert.equal(await live('198.51.100.1'), true);
    const restores = () => running.log().split('the safelist or the policy changed').length - 1;
    assert.equal(restores(), 1);
    writeFileSync(config, 'backend = "nftables"\nsafelist = ["192.0.2.0/24", "203.0.113.0/24"]\n');
    running.signal('SIGHUP');
    await until('the second reload', () => running.log().split('SIGHUP: reloaded').length - 1 === 2);
    assert.equal(restores(), 1, 'the same entries in another order');
  });
});

test('daemon: SIGHUP re-reads the config file; a broken one is refused and the running config kept', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[daemon]\nprune_schedule = "17 4 * * *"\n');
  const db = initStore(join(dir, 'stickyban.db'));
  assert.equal((await netns.cli(['--db', db, 'ban', '203.0.113.7'])).code, 0);
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1s'], async (running) => {
    await until('the daemon to start', () => running.log().includes('pruning on "17 4 * * *"'));
    writeFileSync(config, '[daemon]\nprune_schedule = "5 3 * * *"\n');
    running.signal('SIGHUP');
    await until('the new schedule', () => running.log().includes('pruning on "5 3 * * *"') && running.log().includes(`SIGHUP: reloaded ${config}`));
    writeFileSync(config, '[daemon]\nprune_schedule = "every night"\n');
    running.signal('SIGHUP');
    await until('the refusal', () => /SIGHUP: kept the running config: invalid prune_schedule "every night"/.test(running.log()));
    // The refused reload left the running settings alone: the check still runs every second.
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    const repairs = () => running.log().split('daemon: repaired').length - 1;
    const before = repairs();
    await netns.exec('ipset', ['flush', 'stickyban4']);
    await until('a repair after the refused reload', () => repairs() > before);
  });
});

test('daemon: a SIGHUP that renames the nftables table moves the live adds to the new one; one naming another store is refused', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const config = join(dir, 'config.toml');
  const db = initStore(join(dir, 'stickyban.db'));
  writeFileSync(config, `backend = "nftables"\ndb = "${db}"\n`);
  await whileDaemonRuns(netns, ['--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    const ban = (address: string) => netns.cli(['--config', config, 'ban', address], { env: running.env });
    assert.equal((await ban('198.51.100.150')).code, 0);
    writeFileSync(config, `backend = "nftables"\ndb = "${db}"\n[nftables]\ntable = "sbtwo"\n`);
    running.signal('SIGHUP');
    await until('the new table loaded', () => /SIGHUP: reloaded/.test(running.log()) && /repaired: .*sbtwo/.test(running.log()));
    assert.equal((await ban('198.51.100.151')).code, 0);
    // In the table the config names now, not in the one the session of before added to.
    const inNewTable = async () => (await netns.try('nft', ['get', 'element', 'inet', 'sbtwo', 'v4_hosts', '{ 198.51.100.151 }'])).code === 0 || undefined;
    await until('the ban in the new table', inNewTable, 5_000);

    const other = initStore(join(dir, 'other.db'));
    writeFileSync(config, `backend = "nftables"\ndb = "${other}"\n[nftables]\ntable = "sbtwo"\n`);
    running.signal('SIGHUP');
    await until('the refusal', () => running.log().includes(`SIGHUP: kept the running config: db ${other} is not the store this daemon runs on (${db}); a new store takes a restart`));
  });
});

test('daemon: a live update that fails (an nftables set full refuses the whole transaction) is repaired by a restore at once, not at the next resync', async () => {
  const netns = await Netns.create();
  const { dir, db, config } = configuredNewStore('backend = "nftables"\n');
  assert.equal((await netns.cli(['--db', db, '--config', config, 'ban', '198.51.100.1'])).code, 0);
  // An nft that holds no session, and refuses the next change handed to it on stdin once, as a full set does.
  const bin = join(dir, 'bin');
  const refuse = join(dir, 'refuse-once');
  mkdirSync(bin);
  const real = execFileSync('sh', ['-c', 'command -v nft']).toString().trim();
  writeFileSync(join(bin, 'nft'), `#!/bin/sh
case " $* " in *" -i "*) echo "Error: no session here" >&2; exit 1 ;; esac
if [ "$*" = "-f -" ] && [ -e ${refuse} ]; then rm -f ${refuse}; cat >/dev/null; echo "Error: Could not process rule: Too many open files in system" >&2; exit 1; fi
exec ${real} "$@"
`, { mode: 0o755 });
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    writeFileSync(refuse, '');
    assert.equal((await netns.cli(['--db', db, '--config', config, 'ban', '198.51.100.2'], { env: running.env })).code, 0);
    await until('the failure, then the repair', () => /live set not updated for 1 change\(s\): .*Too many open files in system.*; restoring it from the store/.test(running.log()) && /daemon: repair: restored /.test(running.log()) || undefined, 10_000);
    assert.match(await netns.exec('nft', ['get', 'element', 'inet', 'stickyban', 'v4_hosts', '{ 198.51.100.2 }']), /198\.51\.100\.2/);
  }, { PATH: `${bin}:${process.env.PATH}` });
});

test('daemon: a fold of many spooled bans lets health be answered throughout', async () => {
  const netns = await Netns.create();
  const db = tempStore();
  const SPOOLED = 20_000;
  await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start'));
    const lines = Array.from({ length: SPOOLED }, (_, i) => formatSpoolLine(banEvent(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)));
    writeFileSync(`${db}.spool.new`, `${lines.join('\n')}\n`, { mode: 0o600 });
    renameSync(`${db}.spool.new`, `${db}.spool`);
    let answered = 0;
    while (!running.log().includes(`folded ${SPOOLED} spooled bans`)) {
      assert.ok((await ask(running.socket, { op: 'health' })).answered);
      answered++;
      await sleep(10);
    }
    // How long each waited is for scratch runs, not here (a machine busy with other tests stretches
    // every wait); a fold that held the loop had it answered once or twice, at its end.
    assert.ok(answered >= 10, `${answered} health answers during the fold`);
    assert.equal(count(db, 'bans'), SPOOLED);
  });
});

test('daemon: the scheduled resync repairs entries the presence check cannot see', async () => {
  const netns = await Netns.create();
  // Every second; the presence check only every hour, so the repair below is the resync's.
  const { db, config } = configuredNewStore('[daemon]\nresync_schedule = "* * * * * *"\n');
  for (const address of ['203.0.113.7', '203.0.113.8', '2001:db8::7', '2001:db8::8']) assert.equal((await netns.cli(['--db', db, 'ban', address, '--jail', 'sshd'])).code, 0);
  assert.equal((await netns.cli(['--db', db, 'safelist', 'add', '192.0.2.0/24'])).code, 0);
  assert.equal((await netns.cli(['--db', db, 'restore'])).code, 0);
  // Drift that leaves sets (not empty), chain, rule and jumps in place: an entry deleted by hand, and a
  // safelisted address in the live set (what a hook killed between its add and its settle leaves).
  // One ipset process, so a resync (every second) does not land between the three changes.
  const drift = () => netns.exec('ipset', ['restore'], { input: 'del stickyban4 203.0.113.8\nadd stickyban4 192.0.2.5\ndel stickyban6 2001:db8::7\n' });

  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the daemon to start', () => running.log().includes('resyncing on "* * * * * *"'));
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start: the live set matched the store'));
    await drift();
    // The log line comes after the kernel is repaired: wait for it, not for the set alone.
    const repaired = /daemon: resync: ipset stickyban4: 1 entry added and 1 removed to match the store\n.*daemon: resync: ipset stickyban6: 1 entry added and 0 removed to match the store\n.*daemon: resync: restored 2 IPv4 and 2 IPv6 entries with ipset in \d+\.\d\d s/;
    await until('the resync', () => repaired.test(running.log()), 5_000);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.7', '203.0.113.8']);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8::7', '2001:db8::8']);
    assert.doesNotMatch(running.log(), /daemon: repaired/);
  });
  // The same drift when the daemon starts: its first reconcile repairs it.
  await drift();
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the first reconcile', () => running.log().includes('daemon: reconciled at start: ipset stickyban4: 1 entry added and 1 removed to match the store; ipset stickyban6: 1 entry added and 0 removed to match the store'));
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.7', '203.0.113.8']);
  });
});

test('daemon: resync_schedule = "" never resyncs; a bad one is refused with exit 2', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const config = join(dir, 'config.toml');
  writeFileSync(config, '[daemon]\nresync_schedule = ""\n');
  await whileDaemonRuns(netns, ['--db', initStore(join(dir, 'stickyban.db')), '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
    await until('the daemon to start', () => running.log().includes('never resyncing'));
  });

  writeFileSync(config, '[daemon]\nresync_schedule = "hourly"\n');
  const refused = startDaemon(netns, ['--db', join(dir, 'stickyban.db'), '--config', config, 'daemon']);
  assert.equal(await refused.exited, 2);
  assert.match(refused.log(), /^stickyban: invalid resync_schedule "hourly": expected a cron expression/m);
});

test('daemon: what would fail on every cycle is refused at start: a metrics path it cannot write, not root', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = join(dir, 'stickyban.db');
  initStore(db);
  const other = tempDir();
  writeFileSync(join(other, 'notes.txt'), 'the admin\'s notes\n');
  writeFileSync(join(other, 'empty.lock'), '');
  symlinkSync(join(other, 'notes.txt'), join(other, 'link.prom'));
  for (const [path, message] of [
    ['', /^stickyban: invalid --metrics-file "": expected a file path\n$/],
    [join(dir, 'missing', 'x.prom'), /^stickyban: invalid --metrics-file ".*missing\/x\.prom": directory .*missing does not exist\n$/],
    [dir, /^stickyban: invalid --metrics-file ".*": it is a directory; expected a file path\n$/],
    // A file of value there would be replaced whole: the store itself, any other.
    [db, /^stickyban: invalid --metrics-file ".*stickyban\.db": it is in the store's directory, among the store's own files; expected a file of its own, such as \/var\/lib\/prometheus\/node-exporter\/stickyban\.prom\n$/],
    [`${db}.lock`, /^stickyban: invalid --metrics-file ".*stickyban\.db\.lock": it is in the store's directory/],
    [join(other, 'notes.txt'), /^stickyban: invalid --metrics-file ".*notes\.txt": it holds something else than the metrics stickyban writes, and would be replaced by them; expected a file of its own/],
    [join(other, 'empty.lock'), /^stickyban: invalid --metrics-file ".*empty\.lock": it is an empty file stickyban did not write, and would be replaced; expected a file of its own/],
    [join(other, 'link.prom'), /^stickyban: invalid --metrics-file ".*link\.prom": it is a symbolic link, not a metrics file stickyban wrote/],
  ] as const) {
    const daemon = startDaemon(netns, ['--db', db, 'daemon', '--metrics-file', path]);
    assert.equal(await daemon.exited, 2, path);
    assert.match(daemon.log(), message);
  }
  const tooLong = startDaemon(netns, ['--db', db, 'daemon', '--heal-interval', '30d']);
  assert.equal(await tooLong.exited, 2, 'setInterval would overflow into a 1 ms loop');
  assert.match(tooLong.log(), /^stickyban: invalid --heal-interval "30d": expected from 1s to 1d\n$/);
  const zero = startDaemon(netns, ['--db', db, 'daemon', '--heal-interval', '0s']);
  assert.equal(await zero.exited, 2);
  assert.match(zero.log(), /^stickyban: invalid --heal-interval "0s": expected from 1s to 1d\n$/, 'a duration of 0 is one, out of range');
  const asNobody = await netns.cliAsNobody(['--db', join(dir, 'nobody.db'), 'daemon']);
  assert.equal(asNobody.code, 1);
  assert.equal(asNobody.stderr, 'stickyban: the daemon changes the firewall and needs root (CAP_NET_ADMIN); run it as root\n');
});

test('daemon: a store removed, or another put in its place, stops it (exit 1) before it answers a ban as recorded; the command records what follows', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const daemon = startDaemon(netns, ['--db', db, 'daemon', '--heal-interval', '1h']);
  await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
  const ban = (address: string) => ask(daemon.socket, { op: 'ban', address, jail: 'sshd', source: 'fail2ban', restored: '0' });
  const first = await ban('192.0.2.1');
  assert.ok(first.answered && first.response.ok, JSON.stringify(first));
  // The admin moves the store away and makes a new one where it was.
  mkdirSync(join(dir, 'old'));
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${db}${suffix}`)) renameSync(`${db}${suffix}`, join(dir, 'old', `stickyban.db${suffix}`));
  initStore(db);
  // fail2ban's replay of the ban recorded before: not answered as held from the old file (the store there now has none).
  const refused = await ask(daemon.socket, { op: 'ban', address: '192.0.2.1', jail: 'sshd', source: 'fail2ban', restored: '1', time: String(Math.floor(Date.now() / 1000) - 5) });
  assert.ok(refused.answered && !refused.response.ok, JSON.stringify(refused));
  assert.match(String(refused.response.error), /another file was put in the place of the store .*stickyban\.db: the daemon records nothing more/);
  assert.equal(await daemon.exited, 1);
  assert.match(daemon.log(), /\nstickyban: another file was put in the place of the store .*stickyban\.db while the daemon ran: stopping \(bans go to stickyban ban meanwhile; a restart opens what is there\)\n$/);
  // What the action does then: the command records it in the store that is there now.
  const byCommand = await netns.cli(['--db', db, 'ban', '192.0.2.2', '--jail', 'sshd']);
  assert.equal(byCommand.code, 0, byCommand.stderr);
  assert.equal(count(db, 'bans'), 1);

  // Its write-ahead log removed alone: commits would go on into a log no other process reads.
  const logGone = startDaemon(netns, ['--db', db, 'daemon', '--heal-interval', '1h']);
  await until('the daemon to listen again', () => logGone.log().includes('daemon: started'));
  rmSync(`${db}-wal`);
  const afterLog = await ask(logGone.socket, { op: 'ban', address: '192.0.2.3', jail: 'sshd', source: 'fail2ban', restored: '0' });
  assert.ok(!afterLog.answered || !afterLog.response.ok, JSON.stringify(afterLog));
  assert.equal(await logGone.exited, 1);
  assert.match(logGone.log(), /stickyban: the store's write-ahead log .*stickyban\.db-wal was removed or replaced while the daemon ran: stopping/);

  // Removed while no ban comes: the watch sees it within seconds.
  const again = startDaemon(netns, ['--db', db, 'daemon', '--heal-interval', '1h']);
  await until('the daemon to listen again', () => again.log().includes('daemon: started'));
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
  assert.equal(await again.exited, 1);
  assert.match(again.log(), /stickyban: the store .*stickyban\.db was removed while the daemon ran: stopping/);
});

test('daemon: a second daemon on the same store, with a socket of its own, is refused (exit 1); the first goes on', async () => {
  const netns = await Netns.create();
  const db = initStore(join(tempDir(), 'stickyban.db'));
  await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (first) => {
    await until('the first daemon to listen', () => first.log().includes('daemon: started'));
    // startDaemon gives each its own socket, as STICKYBAN_SOCKET or a second config would.
    const second = startDaemon(netns, ['--db', db, 'daemon', '--heal-interval', '1h']);
    assert.equal(await second.exited, 1);
    assert.equal(second.log(), `stickyban: another stickyban daemon runs on ${db} (it holds ${db}.daemon.lock): one daemon per store\n`);
    const reply = await ask(first.socket, { op: 'ban', address: '192.0.2.1', jail: 'sshd', source: 'fail2ban', restored: '0' });
    assert.ok(reply.answered && reply.response.ok, JSON.stringify(reply));
  });
  // Once it stopped, another may start.
  await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (next) => {
    await until('the next daemon to listen', () => next.log().includes('daemon: started'));
  });
});

test('daemon: a config file edited since it was read is said once, with how to put it in force; after SIGHUP, again on the next edit', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('');
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (daemon) => {
    await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
    const said = () => daemon.log().split('changed since it was read').length - 1;
    // Touched, or written again as it was: no change.
    const { utimesSync, readFileSync: read } = await import('node:fs');
    utimesSync(config, new Date(), new Date(Date.now() + 60_000));
    writeFileSync(config, read(config));
    await sleep(6_000);
    assert.equal(said(), 0, daemon.log());
    writeFileSync(config, 'safelist = ["192.0.2.0/24"]\n');
    await until('the edit said', () => said() === 1, 10_000);
    assert.match(daemon.log(), /daemon: the config file .*config\.toml changed since it was read: systemctl reload stickyban \(SIGHUP\) puts it in force; until then bans are judged by the one read\n/);
    writeFileSync(config, 'safelist = ["192.0.2.0/25"]\n');
    await sleep(6_000);
    assert.equal(said(), 1, 'once, however often it changes');
    daemon.signal('SIGHUP');
    await until('the reload', () => daemon.log().includes('SIGHUP: reloaded'));
    await sleep(6_000);
    assert.equal(said(), 1, 'in force now: nothing to say');
    writeFileSync(config, 'safelist = ["192.0.2.0/26"]\n');
    await until('the next edit said', () => said() === 2, 10_000);
  });
});
