import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { run, type Runner } from '../../../src/exec/run.js';
import { IpsetBackend } from '../../../src/firewall/ipset/backend.js';
import { tempDir } from '../../helpers/tmp.js';
import { connects, listen, pings, wire } from '../../helpers/veth.js';
import { configuredNewStore, tempStore } from '../../helpers/store.js';

async function rules(netns: Netns, binary: 'iptables' | 'ip6tables'): Promise<string[]> {
  return (await netns.exec(binary, ['-S'])).split('\n').filter((line) => line.includes('Blocklist'));
}

async function cli(netns: Netns, db: string, ...args: string[]): Promise<string> {
  const result = await netns.cli(['--db', db, ...args]);
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe('restore with ipset + iptables', () => {
  test('v4 + v6 bans with duplicates and safelisted addresses and ranges: the sets hold exactly the plan', async () => {
    await requireTools('ipset', 'iptables', 'ip6tables');
    const netns = await Netns.create();
    const db = tempStore();
    for (const [address, jail] of [
      ['203.0.113.7', 'sshd'],
      ['203.0.113.7', 'recidive'],
      ['203.0.113.8', 'sshd'],
      ['192.0.2.10', 'sshd'],
      ['192.0.2.11', 'nginx-http-auth'],
      ['198.51.100.0/25', 'manual'],
      ['198.51.100.99', 'sshd'],
      ['2001:db8:1::1', 'sshd'],
      ['2001:db8:1::1', 'sshd'],
      ['2001:db8:2::5', 'sshd'],
      ['2001:db8:3:4::9', 'nginx-http-auth'],
      ['::ffff:203.0.113.9', 'sshd'],
    ]) {
      await cli(netns, db, 'ban', address!, '--jail', jail!);
    }
    await cli(netns, db, 'safelist', 'add', '203.0.113.8');
    await cli(netns, db, 'safelist', 'add', '192.0.2.0/24', '--note', 'office');
    await cli(netns, db, 'safelist', 'add', '2001:db8:2::/48');

    const output = await cli(netns, db, 'restore');
    assert.match(output, /restored 3 IPv4 and 2 IPv6 entries with ipset/);
    // 198.51.100.99 is inside the banned /25; ::ffff:203.0.113.9 is IPv4.
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['198.51.100.0/25', '203.0.113.7', '203.0.113.9'].sort());
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8:1::1', '2001:db8:3:4::9']);
    assert.deepEqual(await rules(netns, 'iptables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban4 src -j DROP']);
    assert.deepEqual(await rules(netns, 'ip6tables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban6 src -j DROP']);
    assert.match(await netns.exec('ipset', ['list', '-n']), /^stickyban4\nstickyban6\n$/, 'no temporary set is left');
  });

  test('packets from a banned source are dropped, from a safelisted neighbour in the same /24 they pass', async () => {
    const server = await Netns.create();
    const db = tempStore();
    const link = await wire(server, ['10.77.0.5', '10.77.0.6', '10.77.0.7', '2001:db8:77::5', '2001:db8:77::6']);
    await listen(link, 2222);
    await cli(server, db, 'ban', '10.77.0.0/24', '--jail', 'sshd');
    await cli(server, db, 'ban', '2001:db8:77::/64', '--jail', 'sshd');
    await cli(server, db, 'safelist', 'add', '10.77.0.6');
    await cli(server, db, 'safelist', 'add', '2001:db8:77::6');
    await cli(server, db, 'restore');

    assert.equal(await pings(link, '10.77.0.5'), false, 'banned IPv4 ping');
    assert.equal(await connects(link, '10.77.0.7', 2222), false, 'banned IPv4 TCP');
    assert.equal(await pings(link, '10.77.0.6'), true, 'safelisted IPv4 ping');
    assert.equal(await connects(link, '10.77.0.6', 2222), true, 'safelisted IPv4 TCP');
    assert.equal(await pings(link, '2001:db8:77::5'), false, 'banned IPv6 ping');
    assert.equal(await connects(link, '2001:db8:77::5', 2222), false, 'banned IPv6 TCP');
    assert.equal(await pings(link, '2001:db8:77::6'), true, 'safelisted IPv6 ping');
    assert.equal(await connects(link, '2001:db8:77::6', 2222), true, 'safelisted IPv6 TCP');
  });

  test('the hook adds to the live set at once, safelist add removes at once, unban lifts', async () => {
    const server = await Netns.create();
    const db = tempStore();
    const link = await wire(server, ['10.78.0.5', '2001:db8:78::5']);
    await cli(server, db, 'restore');
    assert.equal(await pings(link, '10.78.0.5'), true);

    assert.match(await cli(server, db, 'ban', '10.78.0.5', '--jail', 'sshd'), /^banned 10\.78\.0\.5 \(jail sshd\)\n$/);
    assert.equal(await pings(link, '10.78.0.5'), false, 'blocked right after the hook');
    await cli(server, db, 'ban', '2001:db8:78::5', '--jail', 'sshd');
    assert.equal(await pings(link, '2001:db8:78::5'), false);

    assert.match(await cli(server, db, 'safelist', 'add', '10.78.0.0/16'), /1 live entry removed/);
    assert.equal(await pings(link, '10.78.0.5'), true, 'passes right after safelist add');
    assert.deepEqual(await ipsetMembers(server, 'stickyban4'), []);
    await cli(server, db, 'safelist', 'remove', '10.78.0.0/16');
    assert.equal(await pings(link, '10.78.0.5'), false, 'blocked again once the safelist entry is gone');

    assert.equal(await cli(server, db, 'unban', '2001:db8:78::5'), 'unbanned 2001:db8:78::5 (1 ban event lifted)\n');
    assert.equal(await pings(link, '2001:db8:78::5'), true);
  });

  test('a hook after a firewall reload that took the rule and kept the set puts the rule back: what it adds blocks', async () => {
    const server = await Netns.create();
    const db = tempStore();
    const link = await wire(server, ['10.79.0.5', '10.79.0.6']);
    await cli(server, db, 'ban', '10.79.0.5', '--jail', 'sshd');
    await cli(server, db, 'restore');
    // What an admin's iptables-restore leaves: the set and its entries, no chain, rule or jump.
    await server.exec('iptables-restore', [], { input: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' });
    assert.deepEqual(await rules(server, 'iptables'), []);
    assert.equal(await pings(link, '10.79.0.5'), true, 'nothing blocks once the rule is gone');

    await cli(server, db, 'ban', '10.79.0.6', '--jail', 'sshd');
    assert.equal(await pings(link, '10.79.0.6'), false, 'blocked right after the hook');
    assert.equal(await pings(link, '10.79.0.5'), false, 'and so is what the set held');
    assert.deepEqual(await ipsetMembers(server, 'stickyban4'), ['10.79.0.5', '10.79.0.6']);
  });

  test('safelist add also takes out an entry that racing hooks left live inside a banned block', async () => {
    const server = await Netns.create();
    const db = tempStore();
    const link = await wire(server, ['10.79.0.5', '10.79.0.6']);
    await cli(server, db, 'ban', '10.79.0.5', '--jail', 'sshd');
    await cli(server, db, 'ban', '10.79.0.0/24', '--jail', 'recidive');
    await cli(server, db, 'restore');
    assert.deepEqual(await ipsetMembers(server, 'stickyban4'), ['10.79.0.0/24']);
    // What two hooks finishing in the wrong order leave: the /24's hook removed the host entry before
    // the host's hook added it.
    await server.exec('ipset', ['add', 'stickyban4', '10.79.0.5']);

    assert.match(await cli(server, db, 'safelist', 'add', '10.79.0.5'), /^safelisted 10\.79\.0\.5; 1 live entry removed\n$/);
    const members = await ipsetMembers(server, 'stickyban4');
    assert.ok(!members.includes('10.79.0.5'), `the stray entry is gone: ${members.join(' ')}`);
    assert.equal(members.length, 8, 'the /24 split around the address');
    assert.equal(await pings(link, '10.79.0.5'), true, 'the safelisted address passes');
    assert.equal(await pings(link, '10.79.0.6'), false, 'its neighbour stays blocked');

    // Running it again sweeps too (how an admin would clear a stray entry found later).
    await server.exec('ipset', ['add', 'stickyban4', '10.79.0.5']);
    assert.match(await cli(server, db, 'safelist', 'add', '10.79.0.5'), /already safelisted/);
    assert.ok(!(await ipsetMembers(server, 'stickyban4')).includes('10.79.0.5'));
  });

  test('a banned /16 with a safelisted address inside: split CIDRs, the address is not matched, its neighbours are', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '172.20.0.0/16');
    await cli(netns, db, 'safelist', 'add', '172.20.5.5');
    await cli(netns, db, 'restore');
    const entries = await ipsetMembers(netns, 'stickyban4');
    assert.equal(entries.length, 16);
    assert.ok(!entries.includes('172.20.0.0/16'));
    const test = (address: string) => netns.try('ipset', ['test', 'stickyban4', address]);
    assert.notEqual((await test('172.20.5.5')).code, 0, 'the safelisted address is not matched');
    for (const neighbour of ['172.20.5.4', '172.20.5.6', '172.20.0.0', '172.20.255.255', '172.20.4.255']) {
      assert.equal((await test(neighbour)).code, 0, `${neighbour} is matched`);
    }
  });

  test('after a firewall flush, restore puts chain, rule and jump back, once, even when run twice', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'ban', '2001:db8::7');
    await cli(netns, db, 'restore');

    await netns.exec('iptables', ['-F']);
    await netns.exec('iptables', ['-X', 'Blocklist']);
    await netns.exec('ip6tables-restore', [], { input: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n' });
    assert.deepEqual(await rules(netns, 'iptables'), []);
    assert.deepEqual(await rules(netns, 'ip6tables'), []);

    await cli(netns, db, 'restore');
    await cli(netns, db, 'restore');
    assert.deepEqual(await rules(netns, 'iptables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban4 src -j DROP']);
    assert.deepEqual(await rules(netns, 'ip6tables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban6 src -j DROP']);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.7']);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8::7']);
  });

  test("an admin's own Blocklist chain is kept: our rule goes first, exactly once, their rules stay", async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const legacy = new URL('../../fixtures/fail2ban/iptables/legacy-blocklist.rules', import.meta.url);
    const { readFileSync } = await import('node:fs');
    await netns.exec('iptables-restore', [], { input: readFileSync(legacy, 'utf8') });
    const before = (await netns.exec('iptables', ['-S'])).split('\n').filter(Boolean);
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'restore');
    await cli(netns, db, 'restore');
    const after = (await netns.exec('iptables', ['-S'])).split('\n').filter(Boolean);
    const ours = '-A Blocklist -m set --match-set stickyban4 src -j DROP';
    assert.equal(after.filter((line) => line === ours).length, 1);
    assert.equal(after.indexOf(ours), after.findIndex((line) => line.startsWith('-A Blocklist')), 'our rule is first in the chain');
    assert.deepEqual(after.filter((line) => line !== ours), before, 'every rule of the admin is still there, in order');
  });

  test('duplicated jumps and rules: one copy is kept, first in its chain, never the one behind an ACCEPT or RETURN', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'restore');
    const ours = '-m set --match-set stickyban4 src -j DROP';
    // An admin (or two config-management runs) added a second jump after an ACCEPT of SSH, and a
    // second copy of our rule after a RETURN for a partner network.
    await netns.exec('iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
    await netns.exec('iptables', ['-A', 'INPUT', '-j', 'Blocklist']);
    await netns.exec('iptables', ['-A', 'Blocklist', '-s', '192.0.2.0/24', '-j', 'RETURN']);
    await netns.exec('iptables', ['-A', 'Blocklist', ...ours.split(' ')]);
    const doctor = await netns.cli(['--db', db, 'doctor']);
    assert.match(doctor.stdout, /FAIL +iptables jump from INPUT to Blocklist: duplicated/);
    assert.match(doctor.stdout, /FAIL +iptables rule -m set --match-set stickyban4 src -j DROP in Blocklist: duplicated/);

    assert.match(await cli(netns, db, 'restore', '--verbose'), /iptables: removed 1 duplicate jump from INPUT to Blocklist \(one kept, first in INPUT\)/);
    const input = (await netns.exec('iptables', ['-S', 'INPUT'])).split('\n').filter((line) => line.startsWith('-A'));
    assert.deepEqual(input, ['-A INPUT -j Blocklist', '-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT']);
    const blocklist = (await netns.exec('iptables', ['-S', 'Blocklist'])).split('\n').filter((line) => line.startsWith('-A'));
    assert.deepEqual(blocklist, [`-A Blocklist ${ours}`, '-A Blocklist -s 192.0.2.0/24 -j RETURN']);
  });

  test('a hook chain that does not exist yet (DOCKER-USER before Docker) is skipped with a note; both families are protected', async () => {
    const netns = await Netns.create();
    const { db, config } = configuredNewStore('[ipset]\nhook_chains = ["INPUT", "DOCKER-USER"]\n');
    const run = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
    assert.equal((await run('ban', '203.0.113.7')).code, 0);
    assert.equal((await run('ban', '2001:db8::7')).code, 0);
    const restored = await run('restore', '--verbose');
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /iptables: no jump from DOCKER-USER to Blocklist: chain DOCKER-USER does not exist \(yet\)/);
    assert.deepEqual(await rules(netns, 'iptables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban4 src -j DROP']);
    assert.deepEqual(await rules(netns, 'ip6tables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban6 src -j DROP']);
    const doctor = await run('doctor');
    assert.match(doctor.stdout, /WARN +iptables jump from DOCKER-USER: no jump from DOCKER-USER/);
    assert.equal((await run('restore', '--if-missing')).stdout.includes('nothing to restore'), true, 'an absent hook chain is not a repair');

    await netns.exec('iptables', ['-N', 'DOCKER-USER']);
    assert.equal((await run('restore', '--if-missing')).code, 0);
    assert.ok((await rules(netns, 'iptables')).includes('-A DOCKER-USER -j Blocklist'), 'the jump is added once the chain exists');
  });

  test('the rules are read chain by chain, ours and the hook chains, never a whole table (fail2ban keeps a rule per ban in chains of its own)', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'restore');
    await netns.exec('iptables', ['-N', 'f2b-sshd']);
    await netns.exec('iptables', ['-A', 'f2b-sshd', '-s', '198.51.100.1', '-j', 'REJECT']);
    await netns.exec('iptables', ['-I', 'INPUT', '-j', 'f2b-sshd']);
    await netns.exec('iptables', ['-D', 'INPUT', '-j', 'Blocklist']);
    const calls: string[][] = [];
    const inNetns: Runner = (file, args, options) => {
      calls.push([file, ...args]);
      return run('ip', ['netns', 'exec', netns.name, file, ...args], options);
    };
    const backend = new IpsetBackend(DEFAULTS.ipset, inNetns);
    const problems = (await backend.presence({ firstPlanned: () => undefined })).filter((check) => !check.ok);
    assert.deepEqual(problems.map((check) => `${check.what}: ${check.problem}`), ['iptables jump from INPUT to Blocklist: missing']);
    assert.deepEqual(await backend.relink(), ['iptables: added jump from INPUT to Blocklist']);
    assert.deepEqual(await rules(netns, 'iptables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban4 src -j DROP']);
    assert.ok((await netns.exec('iptables', ['-S', 'INPUT'])).includes('-A INPUT -j f2b-sshd'), "fail2ban's jump stays");
    const listings = calls.filter(([file, ...args]) => /^ip6?tables$/.test(file!) && args.includes('-S'));
    assert.equal(listings.length, 8, 'two chains of two families, for the check and for the repair');
    assert.deepEqual([...new Set(listings.map((listing) => listing.at(-1)))].sort(), ['Blocklist', 'INPUT']);
  });

  test('an entry swapped by hand for another leaves the count as it was: restore still finds both, in each family, and repairs them in place', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    for (const address of ['203.0.113.7', '203.0.113.8', '198.51.100.0/24', '2001:db8::7', '2001:db8:1::/48']) await cli(netns, db, 'ban', address);
    await cli(netns, db, 'restore');
    await netns.exec('ipset', ['restore'], { input: 'del stickyban4 203.0.113.8\nadd stickyban4 192.0.2.8\ndel stickyban6 2001:db8::7\nadd stickyban6 2001:db8::8\n' });
    const output = await cli(netns, db, 'restore');
    assert.match(output, /^ipset stickyban4: 1 entry added and 1 removed to match the store$/m);
    assert.match(output, /^ipset stickyban6: 1 entry added and 1 removed to match the store$/m);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['198.51.100.0/24', '203.0.113.7', '203.0.113.8']);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8:1::/48', '2001:db8::7']);
    assert.match(await cli(netns, db, 'restore'), /^restored /m, 'then nothing to change');
  });

  test('a set with a timeout in the way is not adopted: every entry loaded into it would expire', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await netns.exec('ipset', ['create', 'stickyban4', 'hash:net', 'timeout', '3']);
    const result = await netns.cli(['--db', db, 'restore']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^stickyban: ipset stickyban4 exists as hash:net family inet timeout 3, not the hash:net family inet stickyban loads: remove the rules that use it and run ipset destroy stickyban4/);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), [], 'nothing loaded into it');
  });

  test('a set of another type in the way: that family is left untouched and named with the way out; the other is still protected', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'ban', '2001:db8::7');
    await netns.exec('ipset', ['create', 'stickyban4', 'hash:ip']);
    await netns.exec('ipset', ['add', 'stickyban4', '192.0.2.1']);
    const result = await netns.cli(['--db', db, 'restore']);
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'stickyban: ipset stickyban4 exists as hash:ip family inet, not the hash:net family inet stickyban loads: remove the rules that use it and run ipset destroy stickyban4, ' +
        'or have stickyban use another name (set4 in [ipset] of the config); IPv6 was restored\n',
    );
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['192.0.2.1'], 'the admin set is untouched');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8::7']);
    assert.deepEqual(await rules(netns, 'ip6tables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban6 src -j DROP']);
    assert.deepEqual(await rules(netns, 'iptables'), [], 'no rule for a set stickyban did not load');
    assert.doesNotMatch(await netns.exec('ipset', ['list', '-n']), /-t\d+$/m, 'no temporary set is left');

    const doctor = await netns.cli(['--db', db, 'doctor']);
    assert.match(doctor.stdout, /FAIL +ipset stickyban4: is hash:ip family inet \(fix: remove the rules that use it and run ipset destroy stickyban4/);
    // show gives the same way out: a restore refuses the set in the way.
    const shown = await netns.cli(['--db', db, 'show', '203.0.113.7']);
    assert.match(shown.stdout, /\nblocked: +no: ipset stickyban4 is hash:ip family inet.* \(fix: remove the rules that use it and run ipset destroy stickyban4, or have stickyban use another name \(set4 in \[ipset\] of the config\)\)\n/);
    assert.doesNotMatch(shown.stdout, /fix: stickyban restore/);
    // A dry run says it too, as a real run would refuse it.
    const dry = await netns.cli(['--db', db, 'restore', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /\ndry run: a real restore would not load ipset stickyban4: it is hash:ip family inet \(fix: remove the rules that use it and run ipset destroy stickyban4, or have stickyban use another name \(set4 in \[ipset\] of the config\)\)\n/);
    // Only the set in the way is wrong now: heal names it, without a restore that could not help.
    const heal = await netns.cli(['--db', db, 'restore', '--if-missing']);
    assert.equal(heal.code, 1);
    assert.match(heal.stderr, /^stickyban: ipset stickyban4 is hash:ip family inet: remove the rules that use it/);
    // A reload wipes the rules of the family that is fine: heal restores them, and names the other.
    await netns.exec('ip6tables', ['-F']);
    await netns.exec('ip6tables', ['-X', 'Blocklist']);
    const repaired = await netns.cli(['--db', db, 'restore', '--if-missing']);
    assert.equal(repaired.code, 1);
    assert.match(repaired.stderr, /ipset stickyban4 exists as hash:ip family inet.*; IPv6 was restored\n$/);
    assert.deepEqual(await rules(netns, 'ip6tables'), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -m set --match-set stickyban6 src -j DROP']);
  });

  test('restore --if-missing refills a set an ipset flush emptied; an empty set with nothing planned is in place', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'restore');
    await netns.exec('ipset', ['flush', 'stickyban4']);
    const repaired = await netns.cli(['--db', db, 'restore', '--if-missing']);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.match(repaired.stdout, /^missing: ipset stickyban4 is empty, but the store plans entries\nipset stickyban4: 1 entry added and 0 removed to match the store\nrestored 1 IPv4 and 0 IPv6 entries/);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.7']);
    // stickyban6 is empty too, and rightly: no IPv6 ban.
    assert.match((await netns.cli(['--db', db, 'restore', '--if-missing'])).stdout, /the blocklist is in place; nothing to restore/);
  });

  test('missing tools and missing root are one clear line, exit 1', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    // A PATH with node but without ipset.
    const bin = tempDir();
    const { symlinkSync } = await import('node:fs');
    symlinkSync(process.execPath, join(bin, 'node'));
    const { CLI } = await import('../../helpers/cli.js');
    const noIpset = await netns.try('env', [`PATH=${bin}`, process.execPath, CLI, '--db', db, 'restore']);
    assert.equal(noIpset.code, 1);
    assert.equal(noIpset.stderr, 'stickyban: ipset is not installed (Debian package: ipset; apt-get install ipset)\n');

    const asNobody = await netns.cliAsNobody(['--db', db, 'restore']);
    assert.equal(asNobody.code, 1);
    assert.match(asNobody.stderr, /^stickyban: restore changes the firewall and needs root/);
  });

  test('an unban or safelist change whose live update fails says the store changed and the live set did not', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '203.0.113.7');
    await cli(netns, db, 'ban', '198.51.100.9');
    await cli(netns, db, 'restore');
    const { chownSync, readdirSync } = await import('node:fs');
    // The store handed to nobody, whose store it then is (a store where another user could write
    // is refused), so only the firewall refuses.
    const chownStore = (uid: number) => {
      chownSync(join(db, '..'), uid, uid);
      for (const file of readdirSync(join(db, '..'))) chownSync(join(db, '..', file), uid, uid);
    };
    chownStore(65534);
    // Not root: the store can be written, ipset refuses.
    const asNobody = (...args: string[]) => netns.cliAsNobody(['--db', db, ...args]);
    const unban = await asNobody('unban', '203.0.113.7');
    assert.equal(unban.code, 1);
    assert.match(unban.stderr, /^stickyban: lifted 1 ban event of 203\.0\.113\.7 in the store, but the live set was not updated: .*\n$/);
    const safelist = await asNobody('safelist', 'add', '198.51.100.0/24');
    assert.match(safelist.stderr, /^stickyban: safelisted 198\.51\.100\.0\/24 in the store, but the live set was not updated: /);
    // Root's again: root refuses a store another user owns.
    chownStore(0);
    // The store plans nothing now: emptying the live set is the admin's decision (--force).
    await cli(netns, db, 'restore', '--force');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), [], 'a restore brings the live set in line');
    assert.equal(safelist.code, 1);
  });

  test('a ban or unban of several addresses goes on past one whose live update fails, and says how many failed', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await cli(netns, db, 'ban', '192.0.2.1');
    await cli(netns, db, 'restore');
    // The IPv4 set swapped for a full one: its adds fail, IPv6's do not.
    for (const args of [['create', 'full4', 'hash:net', 'family', 'inet', 'maxelem', '2'], ['add', 'full4', '192.0.2.1'], ['add', 'full4', '192.0.2.99'], ['swap', 'full4', 'stickyban4'], ['destroy', 'full4']]) {
      await netns.exec('ipset', args);
    }
    const banned = await netns.cli(['--db', db, 'ban', '198.51.100.1', '2001:db8::5', '192.0.2.2']);
    assert.equal(banned.code, 1);
    const lines = banned.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 3, banned.stderr);
    assert.match(lines[0]!, /^stickyban: recorded 198\.51\.100\.1 \(jail manual\), but the live set was not updated: .*full/);
    assert.match(lines[1]!, /^stickyban: recorded 192\.0\.2\.2 \(jail manual\), but the live set was not updated: /);
    assert.equal(lines[2], 'stickyban: 2 of 3 addresses failed (said above); the others are done');
    assert.match(banned.stdout, /2001:db8::5/);
    const listed = await cli(netns, db, 'list', '--json');
    for (const address of ['198.51.100.1', '2001:db8::5', '192.0.2.2']) assert.ok(listed.includes(`"${address}"`), `${address} recorded: ${listed}`);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), ['2001:db8::5']);
    // Not root: the store can be written, ipset refuses every lift; both are still lifted in the store.
    const { chownSync, readdirSync } = await import('node:fs');
    const chownStore = (uid: number) => {
      chownSync(join(db, '..'), uid, uid);
      for (const file of readdirSync(join(db, '..'))) chownSync(join(db, '..', file), uid, uid);
    };
    chownStore(65534);
    const unbanned = await netns.cliAsNobody(['--db', db, 'unban', '2001:db8::5', '192.0.2.1']);
    chownStore(0);
    assert.equal(unbanned.code, 1);
    const unbanLines = unbanned.stderr.trimEnd().split('\n');
    assert.match(unbanLines[0]!, /^stickyban: lifted 1 ban event of 2001:db8::5 in the store, but the live set was not updated: /);
    assert.match(unbanLines[1]!, /^stickyban: lifted 1 ban event of 192\.0\.2\.1 in the store, but the live set was not updated: /);
    assert.equal(unbanLines[2], 'stickyban: all 2 addresses failed (said above)');
    const after = await cli(netns, db, 'list', '--json');
    assert.ok(!after.includes('"2001:db8::5"') && !after.includes('"192.0.2.1"'), after);
  });

  test('a config file can rename sets and chain and hook FORWARD too', async () => {
    const netns = await Netns.create();
    // The chain itself among the hooks is ignored (a chain cannot jump to itself), and so is a repeat.
    const { db, config } = configuredNewStore('[ipset]\nset4 = "deny4"\nset6 = "deny6"\nchain = "DenyList"\nhook_chains = ["INPUT", "FORWARD", "DenyList", "INPUT"]\n');
    assert.equal((await netns.cli(['--db', db, '--config', config, 'ban', '203.0.113.7'])).code, 0);
    for (let run = 0; run < 2; run++) {
      const restored = await netns.cli(['--db', db, '--config', config, 'restore']);
      assert.equal(restored.code, 0, restored.stderr);
      assert.doesNotMatch(restored.stdout, /DenyList to DenyList/);
    }
    assert.deepEqual(await ipsetMembers(netns, 'deny4'), ['203.0.113.7']);
    const lines = (await netns.exec('iptables', ['-S'])).split('\n');
    assert.equal(lines.filter((line) => line === '-A INPUT -j DenyList').length, 1);
    assert.ok(lines.includes('-A FORWARD -j DenyList'));
    assert.ok(lines.includes('-A DenyList -m set --match-set deny4 src -j DROP'));
  });
});
