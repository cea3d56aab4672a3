import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { runProcess } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { stickybanWrapper } from '../../helpers/wrapper.js';
import { initStore } from '../../helpers/store.js';

const PLUGIN = resolve('contrib/netfilter-persistent/plugins.d/stickyban');
const BASE_RULESET = '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';

async function setup(): Promise<{ netns: Netns; dir: string; stickyban: string }> {
  const netns = await Netns.create();
  const dir = tempDir();
  const stickyban = stickybanWrapper(dir, initStore(join(dir, 'stickyban.db')));
  for (const address of ['203.0.113.7', '198.51.100.0/24', '2001:db8::7']) {
    const result = await netns.exec(stickyban, ['ban', address, '--quiet']);
    assert.equal(result, '');
  }
  return { netns, dir, stickyban };
}

/** Runs the plugin under the name netfilter-persistent would call it by. */
async function plugin(netns: Netns, dir: string, stickyban: string, name: string, verb: string): Promise<void> {
  const path = join(dir, name);
  symlinkSync(PLUGIN, path);
  const result = await runProcess('ip', ['netns', 'exec', netns.name, path, verb], { env: { STICKYBAN: stickyban } });
  assert.equal(result.code, 0, `${name} ${verb}: ${result.stderr}`);
}

async function assertBlocklistBack(netns: Netns): Promise<void> {
  const v4 = (await netns.exec('iptables', ['-S'])).split('\n');
  assert.equal(v4.filter((line) => line === '-A INPUT -j Blocklist').length, 1);
  assert.equal(v4.filter((line) => line === '-A Blocklist -m set --match-set stickyban4 src -j DROP').length, 1);
  assert.ok(v4.includes('-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT'), 'the loaded ruleset is kept');
  const v6 = (await netns.exec('ip6tables', ['-S'])).split('\n');
  assert.equal(v6.filter((line) => line === '-A Blocklist -m set --match-set stickyban6 src -j DROP').length, 1);
  for (const address of ['203.0.113.7', '198.51.100.77']) assert.equal((await netns.try('ipset', ['test', 'stickyban4', address])).code, 0, address);
  assert.equal((await netns.try('ipset', ['test', 'stickyban6', '2001:db8::7'])).code, 0);
}

describe('firewall reloads', () => {
  test('iptables-restore of a base ruleset wipes Blocklist; the netfilter-persistent plugin puts it back', async () => {
    const { netns, dir, stickyban } = await setup();
    await netns.exec(stickyban, ['restore', '--quiet']);
    await netns.exec('iptables-restore', [], { input: BASE_RULESET });
    await netns.exec('ip6tables-restore', [], { input: BASE_RULESET.replace('-A INPUT -p tcp --dport 22 -j ACCEPT\n', '') });
    assert.doesNotMatch(await netns.exec('iptables', ['-S']), /Blocklist/);

    await plugin(netns, dir, stickyban, '60-stickyban', 'reload');
    await assertBlocklistBack(netns);
  });

  test('at boot, 05-stickyban creates the sets a saved ruleset refers to, so iptables-restore can load it', async () => {
    const { netns, dir, stickyban } = await setup();
    // A ruleset saved while stickyban was running refers to our sets.
    await netns.exec(stickyban, ['restore', '--quiet']);
    await netns.exec('iptables-restore', [], { input: BASE_RULESET });
    await netns.exec(stickyban, ['restore', '--quiet']);
    const saved = await netns.exec('iptables-save', []);
    assert.match(saved, /--match-set stickyban4 src -j DROP/);

    // "Reboot": no rules, no sets.
    await netns.exec('iptables-restore', [], { input: BASE_RULESET });
    await netns.exec('ip6tables', ['-F']);
    await netns.exec('ip6tables', ['-X']);
    await netns.exec('ipset', ['destroy']);
    writeFileSync(join(dir, 'rules.v4'), saved);
    assert.notEqual((await netns.try('iptables-restore', [join(dir, 'rules.v4')])).code, 0, 'control: the saved ruleset does not load without the sets');

    // netfilter-persistent start: plugins in name order.
    await plugin(netns, dir, stickyban, '05-stickyban', 'start');
    await netns.exec('iptables-restore', [join(dir, 'rules.v4')]);
    await plugin(netns, dir, stickyban, '60-stickyban', 'start');
    await assertBlocklistBack(netns);

    // A restore that fails at boot (a broken store, node missing) leaves our sets empty rather
    // than absent: the admin's saved ruleset still loads; only our blocklist fails open.
    await netns.exec('iptables-restore', [], { input: BASE_RULESET });
    await netns.exec('ip6tables', ['-F']);
    await netns.exec('ip6tables', ['-X']);
    await netns.exec('ipset', ['destroy']);
    const broken = join(dir, 'broken-stickyban');
    writeFileSync(broken, `#!/bin/sh\n[ "$1" = restore ] && exit 1\nexec '${stickyban}' "$@"\n`, { mode: 0o755 });
    symlinkSync(PLUGIN, join(dir, '05-failing'));
    const failed = await runProcess('ip', ['netns', 'exec', netns.name, join(dir, '05-failing'), 'start'], { env: { STICKYBAN: broken } });
    assert.equal(failed.code, 1, 'the plugin still reports the failure');
    await netns.exec('iptables-restore', [join(dir, 'rules.v4')]);
    assert.match(await netns.exec('iptables', ['-S']), /-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT/, "the admin's ruleset is loaded");
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), []);
  });

  test("with ipset-persistent, a save keeps our sets out of its snapshot: a reload loads the admin's sets and brings back no stale entry", async () => {
    const debianPlugin = '/usr/share/netfilter-persistent/plugins.d/10-ipset';
    assert.ok(existsSync(debianPlugin), 'this test needs ipset-persistent; run scripts/test.sh, which installs what the tests need');
    const { netns, dir, stickyban } = await setup();
    // netfilter-persistent runs `run-parts -a VERB plugins.d`: Debian's 10-ipset, pointed at a
    // snapshot in the temp dir, between our 05 and 60.
    const plugins = join(dir, 'plugins.d');
    const snapshot = join(dir, 'ipsets');
    mkdirSync(plugins);
    writeFileSync(join(plugins, '10-ipset'), readFileSync(debianPlugin, 'utf8').replaceAll('/etc/iptables/ipsets', snapshot), { mode: 0o755 });
    for (const name of ['05-stickyban', '60-stickyban']) symlinkSync(PLUGIN, join(plugins, name));
    const netfilterPersistent = async (verb: string) => {
      const result = await runProcess('ip', ['netns', 'exec', netns.name, 'run-parts', '--exit-on-error', '-a', verb, plugins], {
        env: { STICKYBAN: stickyban, STICKYBAN_IPSETS_FILE: snapshot },
      });
      assert.equal(result.code, 0, `netfilter-persistent ${verb}: ${result.stderr}`);
    };

    await netns.exec('ipset', ['create', 'admin-allow', 'hash:ip']);
    await netns.exec('ipset', ['add', 'admin-allow', '192.0.2.1']);
    await netns.exec(stickyban, ['restore', '--quiet']);
    await netfilterPersistent('save');
    const saved = readFileSync(snapshot, 'utf8');
    assert.match(saved, /^create admin-allow hash:ip/m, "the admin's set is saved");
    assert.match(saved, /^add admin-allow 192\.0\.2\.1$/m);
    assert.doesNotMatch(saved, /stickyban/, 'ours are not: the store rebuilds them');

    // What a saved copy would have brought back: an unbanned and a safelisted address.
    await netns.exec(stickyban, ['unban', '203.0.113.7', '--quiet']);
    await netns.exec(stickyban, ['safelist', 'add', '198.51.100.77', '--quiet']);
    for (const reboot of [false, true]) {
      if (reboot) await netns.exec('ipset', ['destroy', 'admin-allow']);
      await netfilterPersistent('start');
      assert.equal((await netns.try('ipset', ['test', 'admin-allow', '192.0.2.1'])).code, 0, `admin set loaded (reboot: ${reboot})`);
      for (const address of ['203.0.113.7', '198.51.100.77']) assert.notEqual((await netns.try('ipset', ['test', 'stickyban4', address])).code, 0, address);
      assert.equal((await netns.try('ipset', ['test', 'stickyban4', '198.51.100.78'])).code, 0, 'the rest of the block is live');
    }
  });

  test('the systemd unit re-runs restore on reload/restart of the firewall services, after them', async () => {
    const { netns, stickyban } = await setup();
    const unit = readFileSync('contrib/systemd/stickyban-restore.service', 'utf8');
    const setting = (key: string) => unit.split('\n').filter((line) => line.startsWith(`${key}=`)).map((line) => line.slice(key.length + 1));
    for (const service of ['netfilter-persistent.service', 'iptables.service', 'ip6tables.service', 'nftables.service', 'ufw.service', 'firewalld.service']) {
      // PartOf= passes on stops and restarts but not starts: WantedBy= brings it back after a stop and start.
      for (const key of ['PartOf', 'After', 'ReloadPropagatedFrom', 'WantedBy']) assert.ok(setting(key).join(' ').split(' ').includes(service), `${key} ${service}`);
    }
    assert.ok(setting('WantedBy').join(' ').split(' ').includes('multi-user.target'));
    assert.deepEqual(setting('Type'), ['oneshot']);

    // Run ExecStart/ExecReload exactly as systemd would, after a reload wiped the rules.
    await netns.exec(stickyban, ['restore', '--quiet']);
    await netns.exec('iptables-restore', [], { input: BASE_RULESET });
    for (const key of ['ExecReload', 'ExecStart']) {
      const [binary, ...args] = setting(key)[0]!.split(' ');
      assert.equal(binary, '/usr/local/bin/stickyban');
      await netns.exec(stickyban, args);
    }
    await assertBlocklistBack(netns);
  });
});
