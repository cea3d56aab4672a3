import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { tempDir } from '../../helpers/tmp.js';
import { startFail2ban } from '../../helpers/fail2ban.js';
import { stickybanWrapper } from '../../helpers/wrapper.js';
import { until } from '../../helpers/until.js';
import { initStore } from '../../helpers/store.js';
import { count, query } from '../../helpers/sqlite.js';

interface Finding {
  status: 'OK' | 'WARN' | 'FAIL';
  check: string;
  detail: string;
  fix?: string;
}

/** A namespace, a new store and a config file (its text given the test's directory), and the CLI on both. */
async function setUp(configText: (dir: string) => string) {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, configText(dir));
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  return { netns, dir, db, config, cli };
}

test('doctor: all OK on a healthy namespace with fail2ban running the action; FAIL naming the jump once it is deleted', async () => {
  const { netns, dir, db, config, cli } = await setUp((dir) => `[fail2ban]\nconfig_dir = "${dir}/fail2ban"\nsocket = "${dir}/fail2ban.sock"\n`);
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  assert.equal((await cli('ban', '2001:db8::7')).code, 0);
  assert.equal((await cli('restore')).code, 0);
  writeFileSync(join(dir, 'auth.log'), '');
  await startFail2ban(netns, dir, {
    jails: ['[sshd-doctor]', 'enabled = true', 'filter = sshd', `logpath = ${dir}/auth.log`, 'action = %(action_)s', `         stickyban.py[stickyban="${stickybanWrapper(dir, db, { config })}", config="${config}"]`, ''].join('\n'),
  });

  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (daemon) => {
    await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
    const healthy = await netns.cli(['--db', db, '--config', config, 'doctor', '--json'], { env: daemon.env });
    assert.equal(healthy.code, 0, healthy.stderr);
    const findings = JSON.parse(healthy.stdout) as Finding[];
    assert.deepEqual(findings.filter((finding) => finding.status !== 'OK'), []);
    const checks = findings.map((finding) => finding.check);
    for (const expected of ['backend', 'tool ipset', 'root', 'store', 'migrations', 'ipset stickyban4', 'ipset stickyban6', 'IPv4 entries', 'IPv4 entries held', 'fail2ban action', 'fail2ban', 'fail2ban jails', 'daemon', 'safelist loopback']) {
      assert.ok(checks.includes(expected), `doctor checks ${expected}`);
    }
    assert.match(findings.find((finding) => finding.check === 'backend')!.detail, /^ipset: /);
    assert.match(findings.find((finding) => finding.check === 'daemon')!.detail, /^answers on .*stickyban\.sock \(pid \d+\)$/);
    assert.match(findings.find((finding) => finding.check === 'fail2ban')!.detail, /^running on .*fail2ban\.sock, 1 jail: sshd-doctor$/);
    assert.equal(findings.find((finding) => finding.check === 'fail2ban jails')!.detail, 'the stickyban action runs in sshd-doctor');
  });

  await netns.exec('iptables', ['-D', 'INPUT', '-j', 'Blocklist']);
  const broken = await cli('doctor');
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, /^WARN  daemon: not running \(no socket at .*\): each fail2ban ban runs stickyban ban, a process of its own \(fix: systemctl enable --now stickyban/m);
  assert.match(broken.stdout, /^FAIL  iptables jump from INPUT to Blocklist: missing \(fix: stickyban restore\)$/m);
  assert.equal(broken.stderr, 'stickyban: 1 check failed\n');
  assert.doesNotMatch(broken.stdout, /^FAIL .*ip6tables/m, 'IPv6 is still fine');
});

test("doctor warns about this host's addresses missing from the safelist and about an unused action", async () => {
  const netns = await Netns.create();
  await netns.addHostAddress('192.0.2.33/24');
  const dir = tempDir();
  const root = join(dir, 'root');
  const config = join(dir, 'config.toml');
  // No fail2ban answers there: the jail files are all doctor can go by.
  writeFileSync(config, `[fail2ban]\nconfig_dir = "${root}/etc/fail2ban"\nsocket = "${dir}/no-fail2ban.sock"\n`);
  const cli = (...args: string[]) => netns.cli(['--db', initStore(join(dir, 'stickyban.db')), '--config', config, ...args]);
  await cli('install-contrib', '--root', root);
  await cli('restore');
  const findings = JSON.parse((await cli('doctor', '--json')).stdout) as Finding[];
  const warn = findings.filter((finding) => finding.status === 'WARN');
  assert.deepEqual(warn.map((finding) => finding.check).sort(), ['daemon', 'fail2ban jails', 'safelist 192.0.2.33']);
  assert.match(warn.find((finding) => finding.check === 'fail2ban jails')!.detail, /^no jail uses the stickyban action/);
  // A jail on the command action works, one process per ban: doctor points to the Python one.
  mkdirSync(join(root, 'etc/fail2ban/jail.d'), { recursive: true });
  writeFileSync(join(root, 'etc/fail2ban/jail.d/sshd.local'), '[sshd]\naction = %(action_)s\n         stickyban[stickyban="/usr/local/bin/stickyban"]\n');
  const forking = (JSON.parse((await cli('doctor', '--json')).stdout) as Finding[]).find((finding) => finding.check === 'fail2ban jails')!;
  assert.equal(forking.status, 'WARN');
  assert.match(forking.detail, /sshd\.local use the command action \(stickyban\): one process per ban/);
  assert.match(forking.fix!, /name stickyban\.py instead/);
  assert.match(warn.find((finding) => finding.check === 'safelist 192.0.2.33')!.fix!, /stickyban safelist add 192\.0\.2\.33/);
  await cli('safelist', 'add', '192.0.2.33');
  const after = JSON.parse((await cli('doctor', '--json')).stdout) as Finding[];
  assert.equal(after.find((finding) => finding.check === 'safelist 192.0.2.33')!.status, 'OK');
  // A jail file that is a FIFO or a directory is said, not waited on or failed over.
  execFileSync('mkfifo', [join(root, 'etc/fail2ban/jail.local')]);
  mkdirSync(join(root, 'etc/fail2ban/jail.d/odd.local'));
  const odd = await cli('doctor', '--json');
  const unread = (JSON.parse(odd.stdout) as Finding[]).filter((finding) => finding.check === 'fail2ban jail files').map((finding) => [finding.status, finding.detail]);
  assert.deepEqual(unread, [
    ['WARN', `fail2ban jail file "${root}/etc/fail2ban/jail.local" is a FIFO; expected a regular file holding fail2ban's settings`],
    ['WARN', `cannot read fail2ban jail file ${root}/etc/fail2ban/jail.d/odd.local: it is a directory; expected a file`],
  ]);
});

test('doctor warns about bans just spooled, fails on bans waiting over a minute, and warns about lines in the quarantine, each with the fix', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  // The lines below were spooled at 1795251309: a few seconds before "now".
  const cli = (...args: string[]) => netns.cli(['--db', db, ...args], { env: { STICKYBAN_NOW: '1795251339' } });
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  const spooled = (address: string, bannedAt: string) =>
    `{"uuid":"0190b6c4-7d1e-7c3a-9b1e-${address.replace(/\D/g, '').padStart(12, '0')}","origin":"h","address":"${address}","jail":"sshd","banned_at":${bannedAt},"bantime":600,"source":"fail2ban","reason":null,"restored":false}\n`;
  writeFileSync(`${db}.spool`, spooled('198.51.100.7', '1795251309') + spooled('198.51.100.8', '1.5'));
  const findings = (): Promise<Finding[]> => cli('doctor', '--json').then((result) => JSON.parse(result.stdout) as Finding[]);

  const waiting = (await findings()).find((finding) => finding.check === 'spool');
  assert.deepEqual(waiting, { status: 'WARN', check: 'spool', detail: `2 spooled lines wait in ${db}.spool to be folded into the store (the oldest spooled 30s ago)`, fix: 'any command that writes folds them in: stickyban restore' });
  // Two minutes on, nothing has folded them: they are neither recorded nor blocked.
  const later = await netns.cli(['--db', db, 'doctor', '--json'], { env: { STICKYBAN_NOW: '1795251429' } });
  assert.equal(later.code, 1);
  assert.deepEqual((JSON.parse(later.stdout) as Finding[]).find((finding) => finding.check === 'spool'), {
    status: 'FAIL',
    check: 'spool',
    detail: `2 spooled lines wait in ${db}.spool to be folded into the store, the oldest for 2m: neither recorded nor blocked`,
    fix: 'stickyban restore folds them in; the daemon (systemctl enable --now stickyban) folds them within a second',
  });
  assert.equal((await findings()).find((finding) => finding.check === 'spool quarantine'), undefined, 'nothing quarantined yet');

  assert.equal((await cli('restore')).code, 0);
  const after = await findings();
  assert.deepEqual(after.find((finding) => finding.check === 'spool'), { status: 'OK', check: 'spool', detail: 'no ban waits in the spool' });
  assert.deepEqual(after.find((finding) => finding.check === 'spool quarantine'), {
    status: 'WARN',
    check: 'spool quarantine',
    detail: `${db}.spool.bad holds 1 line that was not a valid ban`,
    fix: `read it, ban by hand what was meant (stickyban ban), then remove ${db}.spool.bad`,
  });
});

test('doctor fails on a live set short of the plan, emptied, or holding other entries than the planned ones', async () => {
  const { netns, cli } = await setUp((dir) => `[fail2ban]\nsocket = "${dir}/no-fail2ban.sock"\n`);
  for (const address of ['203.0.113.7', '203.0.113.8', '2001:db8::7']) assert.equal((await cli('ban', address)).code, 0);
  assert.equal((await cli('restore')).code, 0);
  const doctor = async () => {
    const result = await cli('doctor', '--json');
    const findings = JSON.parse(result.stdout) as Finding[];
    const live = (check: string) => findings.find((finding) => finding.check === check);
    return { code: result.code, live };
  };
  const healthy = await doctor();
  assert.equal(healthy.live('IPv4 entries')!.status, 'OK');
  assert.equal(healthy.live('IPv4 entries held')!.status, 'OK');

  await netns.exec('ipset', ['del', 'stickyban4', '203.0.113.8']);
  const short = await doctor();
  assert.equal(short.code, 1);
  assert.deepEqual(short.live('IPv4 entries'), { status: 'FAIL', check: 'IPv4 entries', detail: '1 live, but the store plans 2: at least 1 planned entry is not blocked', fix: 'stickyban restore' });
  assert.equal(short.live('IPv6 entries')!.status, 'OK');

  // As many entries as planned, but another one in place of a planned one.
  await netns.exec('ipset', ['add', 'stickyban4', '192.0.2.99']);
  const swapped = await doctor();
  assert.equal(swapped.live('IPv4 entries')!.status, 'OK');
  assert.deepEqual(swapped.live('IPv4 entries held'), { status: 'FAIL', check: 'IPv4 entries held', detail: '1 planned entry is not in the live set (203.0.113.8)', fix: 'stickyban restore' });

  await netns.exec('ipset', ['flush', 'stickyban4']);
  assert.deepEqual((await doctor()).live('IPv4 entries')!.detail, '0 live, but the store plans 2: at least 2 planned entries are not blocked');
  await netns.exec('ipset', ['add', 'stickyban4', '203.0.113.7']);
  await netns.exec('ipset', ['add', 'stickyban4', '203.0.113.8']);
  await netns.exec('ipset', ['add', 'stickyban4', '192.0.2.99']);
  assert.deepEqual((await doctor()).live('IPv4 entries')!.detail, '3 live, but the store plans 2: 1 entry more than planned are blocked');
  assert.equal((await cli('restore')).code, 0);
  assert.equal((await doctor()).live('IPv4 entries')!.status, 'OK');
});

test('doctor asks the running fail2ban: a jail that names the action but does not run fails, as does a fail2ban that does not run', async () => {
  const { netns, dir, db, config, cli } = await setUp((dir) => `[fail2ban]\nconfig_dir = "${dir}/fail2ban"\nsocket = "${dir}/fail2ban.sock"\n`);
  assert.equal((await cli('restore')).code, 0);
  writeFileSync(join(dir, 'auth.log'), '');
  const action = `stickyban.py[stickyban="${stickybanWrapper(dir, db, { config })}", config="${config}"]`;
  const jail = (name: string, enabled: boolean) => [`[${name}]`, `enabled = ${enabled}`, 'filter = sshd', `logpath = ${dir}/auth.log`, 'action = %(action_)s', `         ${action}`, ''];
  const plain = ['[sshd-plain]', 'enabled = true', 'filter = sshd', `logpath = ${dir}/auth.log`, 'action = %(action_)s', ''];
  const fail2ban = await startFail2ban(netns, dir, { jails: [...jail('sshd-on', true), ...jail('sshd-off', false), ...plain, ...jail('web:8080', true), ...jail('odd!jail', true)].join('\n') });
  const findings = async () => {
    const result = await cli('doctor', '--json');
    return { code: result.code, of: (check: string) => (JSON.parse(result.stdout) as Finding[]).find((finding) => finding.check === check) };
  };

  const running = await findings();
  assert.equal(running.code, 1);
  assert.equal(running.of('fail2ban')!.status, 'OK');
  assert.equal(running.of('fail2ban jails')!.status, 'OK');
  assert.deepEqual(running.of('fail2ban jails')!.detail.replace('the stickyban action runs in ', '').split(', ').sort(), ['odd!jail', 'sshd-on', 'web:8080']);
  // A name stickyban refuses: each of the jail's bans would be refused. A ':' it takes, as fail2ban does.
  assert.deepEqual(running.of('fail2ban jail "odd!jail"'), {
    status: 'FAIL',
    check: 'fail2ban jail "odd!jail"',
    detail: "its name is not one stickyban takes (expected 1-64 letters, digits, '-', '_', '.', '@', '+' or ':', starting with a letter or digit): each of its bans is refused",
    fix: 'give the jail another name in jail.local, then systemctl restart fail2ban',
  });
  assert.equal(running.of('fail2ban jail "web:8080"'), undefined);
  assert.equal((await fail2ban.client('set', 'web:8080', 'banip', '192.0.2.80')).code, 0);
  await fail2ban.waitFor('the ban of web:8080 in the store', () => count(db, 'bans') === 1);
  assert.deepEqual(running.of('fail2ban jail sshd-off'), {
    status: 'FAIL',
    check: 'fail2ban jail sshd-off',
    detail: `names the stickyban.py action in ${dir}/fail2ban/jail.local but does not run (enabled = false?): its bans are not recorded`,
    fix: 'set enabled = true in [sshd-off] and run fail2ban-client reload, or take the action out of that section',
  });
  assert.equal(running.of('fail2ban jail sshd-plain'), undefined, 'names no action of ours');
  // The action added to a running jail's section: fail2ban runs it from its next restart (a reload adds no action to a running jail).
  const local = join(dir, 'fail2ban', 'jail.local');
  writeFileSync(local, readFileSync(local, 'utf8').replace(plain.join('\n'), [...plain.slice(0, -1), `         ${action}`, ''].join('\n')));
  assert.deepEqual((await findings()).of('fail2ban jail sshd-plain'), {
    status: 'FAIL',
    check: 'fail2ban jail sshd-plain',
    detail: `names the stickyban.py action in ${local} but runs without it: its bans are not recorded`,
    fix: 'systemctl restart fail2ban (a reload does not add an action to a jail that runs)',
  });

  // The jails stopped: no running jail records its bans any more.
  for (const name of ['sshd-on', 'web:8080', 'odd!jail']) assert.equal((await fail2ban.client('stop', name)).code, 0);
  const stopped = await findings();
  assert.equal(stopped.of('fail2ban jails')!.status, 'FAIL');
  assert.match(stopped.of('fail2ban jails')!.detail, /^no running jail uses the stickyban action/);
  assert.equal(stopped.of('fail2ban jail sshd-on')!.status, 'FAIL');

  assert.equal((await fail2ban.client('stop')).code, 0);
  const gone = await findings();
  assert.equal(gone.code, 1);
  assert.deepEqual(gone.of('fail2ban'), {
    status: 'FAIL',
    check: 'fail2ban',
    detail: `not running (no socket at ${dir}/fail2ban.sock): no ban of fail2ban reaches stickyban`,
    fix: `systemctl start fail2ban (or set [fail2ban] socket to where it listens in ${config})`,
  });
});

test('doctor warns of a store left without its block index (a fleet bootstrap cut short), and a restore builds it again', async () => {
  const { db, cli } = await setUp(() => '');
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  const index = () => query(db, "SELECT name FROM sqlite_master WHERE name = 'bans_by_block'").length;
  const storeIndex = async () => (JSON.parse((await cli('doctor', '--json')).stdout) as Finding[]).find((finding) => finding.check === 'store index');
  assert.equal((await storeIndex())?.status, 'OK');
  const handle = new Database(db);
  handle.exec('DROP INDEX bans_by_block');
  handle.close();
  assert.deepEqual(await storeIndex(), {
    status: 'WARN',
    check: 'store index',
    detail: 'the block index is missing (a fleet bootstrap is loading without it, or one was cut short): every plan scans the whole store',
    fix: 'stickyban restore builds it again once no fleet sync runs',
  });
  assert.equal((await cli('restore')).code, 0);
  assert.equal(index(), 1);
  assert.equal((await storeIndex())?.status, 'OK');
});

test("doctor warns of the admin's rules that let packets past the drop: an ACCEPT of every packet ahead of the jump, a RETURN ahead of the drop in our chain", async () => {
  const { netns, cli } = await setUp(() => '');
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  assert.equal((await cli('restore')).code, 0);
  await netns.exec('iptables', ['-I', 'INPUT', '1', '-j', 'ACCEPT']);
  await netns.exec('iptables', ['-I', 'Blocklist', '1', '-s', '10.0.0.0/8', '-j', 'RETURN']);
  // Conditional ones are how a firewall is built: not a word of them.
  await netns.exec('iptables', ['-I', 'INPUT', '1', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT']);
  const doctor = await cli('doctor', '--json');
  const warned = (JSON.parse(doctor.stdout) as Finding[]).filter((finding) => finding.status === 'WARN' && finding.check.startsWith('iptables'));
  assert.deepEqual(warned, [
    { status: 'WARN', check: 'iptables rule ahead of the drop in Blocklist', detail: '`-A Blocklist -s 10.0.0.0/8 -j RETURN`: what it matches never meets the set', fix: 'safelist those addresses instead (stickyban safelist add), then delete the rule' },
    { status: 'WARN', check: 'iptables rule ahead of the jump in INPUT', detail: '`-A INPUT -j ACCEPT`: every packet is let through before the jump to Blocklist', fix: 'delete it, or move it after the jump to Blocklist' },
  ]);
  // Nothing for a restore to repair: the admin's rules stay, and so does the warning.
  assert.equal((await cli('restore', '--if-missing')).stdout, 'the blocklist is in place; nothing to restore\n');
  assert.match(await netns.exec('iptables', ['-S', 'INPUT']), /^-A INPUT -j ACCEPT$/m);
});

test('doctor warns of an accept or return ahead of the drop in our nftables chain, naming its handle', async () => {
  const { netns, cli } = await setUp(() => 'backend = "nftables"\n');
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  assert.equal((await cli('restore')).code, 0);
  await netns.exec('nft', ['insert', 'rule', 'inet', 'stickyban', 'input', 'ip', 'saddr', '10.0.0.0/8', 'accept']);
  // After the drop rules it lets nothing past them: not a word of it.
  await netns.exec('nft', ['add', 'rule', 'inet', 'stickyban', 'input', 'tcp', 'dport', '22', 'accept']);
  const listing = JSON.parse(await netns.exec('nft', ['-j', 'list', 'chain', 'inet', 'stickyban', 'input'])) as { nftables: Array<{ rule?: { handle: number; expr: unknown[] } }> };
  const handle = listing.nftables.find((item) => item.rule && JSON.stringify(item.rule.expr).includes('"accept"'))!.rule!.handle;
  const findings = JSON.parse((await cli('doctor', '--json')).stdout) as Finding[];
  assert.deepEqual(findings.filter((finding) => finding.check.startsWith('nftables rule ahead')), [
    {
      status: 'WARN',
      check: 'nftables rule ahead of the drop in chain input',
      detail: `a rule (handle ${handle}) ends in accept: what it matches never meets the sets`,
      fix: `safelist those addresses instead (stickyban safelist add), then nft delete rule inet stickyban input handle ${handle} (the next restore drops it with the table, which is stickyban's own)`,
    },
  ]);
  // As the fix says: the table is stickyban's, and a restore replaces it whole.
  assert.equal((await cli('restore')).code, 0);
  assert.doesNotMatch(await netns.exec('nft', ['list', 'chain', 'inet', 'stickyban', 'input']), /10\.0\.0\.0\/8|dport 22/);
  // A jump to a chain the admin added to the table, which accepts: warned alike.
  await netns.exec('nft', ['add', 'chain', 'inet', 'stickyban', 'mine']);
  await netns.exec('nft', ['add', 'rule', 'inet', 'stickyban', 'mine', 'accept']);
  await netns.exec('nft', ['insert', 'rule', 'inet', 'stickyban', 'input', 'jump', 'mine']);
  const jumped = (JSON.parse((await cli('doctor', '--json')).stdout) as Finding[]).filter((finding) => finding.check.startsWith('nftables rule ahead'));
  assert.equal(jumped.length, 1);
  assert.match(jumped[0]!.detail, /^a rule \(handle \d+\) ends in jump: what it matches and the chain it goes to accepts never meets the sets$/);
  // A verdict map that accepts some sources: warned too; one that only drops is none.
  await netns.exec('nft', ['delete', 'table', 'inet', 'stickyban']);
  assert.equal((await cli('restore')).code, 0);
  await netns.exec('nft', ['insert', 'rule', 'inet', 'stickyban', 'input', 'ip', 'saddr', 'vmap', '{ 192.0.2.9 : drop }']);
  await netns.exec('nft', ['insert', 'rule', 'inet', 'stickyban', 'input', 'ip', 'saddr', 'vmap', '{ 10.9.0.0/16 : accept, 10.8.0.1 : drop }']);
  const mapped = (JSON.parse((await cli('doctor', '--json')).stdout) as Finding[]).filter((finding) => finding.check.startsWith('nftables rule ahead'));
  assert.deepEqual(mapped.map((finding) => finding.detail.replace(/handle \d+/, 'handle N')), ['a rule (handle N) ends in a verdict map that may accept, return, jump or go to: what it lets on so never meets the sets']);
});

test('a live update owed (a ban whose set was full) does not hide what else the kernel lacks: doctor fails on both', async () => {
  const { netns, cli } = await setUp(() => '');
  assert.equal((await cli('ban', '192.0.2.1')).code, 0);
  assert.equal((await cli('restore')).code, 0);
  for (const args of [['create', 'full4', 'hash:net', 'family', 'inet', 'maxelem', '1'], ['add', 'full4', '192.0.2.1'], ['swap', 'full4', 'stickyban4'], ['destroy', 'full4']]) {
    await netns.exec('ipset', args);
  }
  assert.equal((await cli('ban', '198.51.100.1')).code, 1, 'the full set refuses it');
  await netns.exec('ip6tables', ['-D', 'INPUT', '-j', 'Blocklist']);
  const failed = (JSON.parse((await cli('doctor', '--json')).stdout) as Finding[]).filter((finding) => finding.status === 'FAIL').map((finding) => finding.check);
  assert.ok(failed.includes('the live set'), failed.join('\n'));
  assert.ok(failed.some((check) => /jump from INPUT to Blocklist/.test(check)), failed.join('\n'));
});
