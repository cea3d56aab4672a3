import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { initStore } from '../../helpers/store.js';

interface Finding {
  status: 'OK' | 'WARN' | 'FAIL';
  check: string;
  detail: string;
  fix?: string;
}

test('doctor: all OK on a healthy namespace; FAIL naming the jump once it is deleted', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const root = join(dir, 'root');
  const config = join(dir, 'config.toml');
  writeFileSync(config, `[fail2ban]\nconfig_dir = "${root}/etc/fail2ban"\n`);
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  assert.equal((await cli('install-contrib', '--root', root)).code, 0);
  mkdirSync(join(root, 'etc/fail2ban'), { recursive: true });
  writeFileSync(join(root, 'etc/fail2ban/jail.local'), '[DEFAULT]\naction = %(action_)s\n         stickyban.py\n');
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  assert.equal((await cli('ban', '2001:db8::7')).code, 0);
  assert.equal((await cli('restore')).code, 0);

  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (daemon) => {
    await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
    const healthy = await netns.cli(['--db', db, '--config', config, 'doctor', '--json'], { env: daemon.env });
    assert.equal(healthy.code, 0, healthy.stderr);
    const findings = JSON.parse(healthy.stdout) as Finding[];
    assert.deepEqual(findings.filter((finding) => finding.status !== 'OK'), []);
    const checks = findings.map((finding) => finding.check);
    for (const expected of ['backend', 'tool ipset', 'root', 'store', 'migrations', 'ipset stickyban4', 'ipset stickyban6', 'IPv4 entries', 'fail2ban action', 'fail2ban jails', 'daemon', 'safelist loopback']) {
      assert.ok(checks.includes(expected), `doctor checks ${expected}`);
    }
    assert.match(findings.find((finding) => finding.check === 'backend')!.detail, /^ipset: /);
    assert.match(findings.find((finding) => finding.check === 'daemon')!.detail, /^answers on .*stickyban\.sock \(pid \d+\)$/);
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
  writeFileSync(config, `[fail2ban]\nconfig_dir = "${root}/etc/fail2ban"\n`);
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
});

test('doctor warns about bans waiting in the spool and about lines in its quarantine, each with the fix', async () => {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const cli = (...args: string[]) => netns.cli(['--db', db, ...args]);
  assert.equal((await cli('ban', '203.0.113.7')).code, 0);
  const spooled = (address: string, bannedAt: string) =>
    `{"uuid":"0190b6c4-7d1e-7c3a-9b1e-${address.replace(/\D/g, '').padStart(12, '0')}","origin":"h","address":"${address}","jail":"sshd","banned_at":${bannedAt},"bantime":600,"source":"fail2ban","reason":null,"restored":false}\n`;
  writeFileSync(`${db}.spool`, spooled('198.51.100.7', '1795251309') + spooled('198.51.100.8', '1.5'));
  const findings = (): Promise<Finding[]> => cli('doctor', '--json').then((result) => JSON.parse(result.stdout) as Finding[]);

  const waiting = (await findings()).find((finding) => finding.check === 'spool');
  assert.deepEqual(waiting, { status: 'WARN', check: 'spool', detail: `2 spooled line(s) wait in ${db}.spool to be folded into the store`, fix: 'any command that writes folds them in: stickyban restore' });
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
