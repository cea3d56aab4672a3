// A switch of backend, or a rename of what it loads: the restore that loads the new one removes what
// the old one left in place, which would otherwise go on blocking what the store no longer plans,
// never updated again; doctor fails on it until then. A backend a restore was told to load stays
// the live one until the config names another (issue 17, item 7).

import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Netns, requireTools } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';
import { initStore } from '../../helpers/store.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { until } from '../../helpers/until.js';
import { ask } from '../../../src/daemon/socket/client.js';
import { killedWhen, killLeftovers, nftSlowLoad, nftStuckAfterLoad, nftStuckListing } from '../../helpers/killed.js';
import { count } from '../../helpers/sqlite.js';

async function setup(): Promise<{ netns: Netns; db: string; dir: string; run: (backend: string, ...args: string[]) => Promise<string> }> {
  await requireTools('ipset', 'iptables', 'nft', 'ip');
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const run = async (backend: string, ...args: string[]) => {
    const config = join(dir, `${backend}.toml`);
    writeFileSync(config, `backend = "${backend}"\n`);
    const result = await netns.cli(['--db', db, '--config', config, ...args]);
    assert.equal(result.code, 0, `${backend} ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  for (const address of ['203.0.113.7', '198.51.100.0/24', '2001:db8::7']) await run('ipset', 'ban', address);
  return { netns, db, dir, run };
}

const ipsetThere = async (netns: Netns) => (await netns.exec('ipset', ['list', '-n'])).trim() !== '';
const nftThere = async (netns: Netns) => (await netns.exec('nft', ['list', 'tables'])).includes('table inet stickyban');
const routesThere = async (netns: Netns) => (await netns.exec('ip', ['route', 'show', 'type', 'blackhole'])).includes('metric 4242');

test('ipset -> nftables -> route -> ipset: each restore removes what the backend before it left, and a safelisted address goes free', async () => {
  const { netns, run } = await setup();
  await run('ipset', 'restore');
  assert.equal(await ipsetThere(netns), true);

  const toNft = await run('nftables', 'restore');
  assert.match(toNft, /removed ipset stickyban4 and its rule, left by the ipset backend\nremoved ipset stickyban6 and its rule, left by the ipset backend\n/);
  assert.equal(await ipsetThere(netns), false);
  for (const binary of ['iptables', 'ip6tables']) assert.doesNotMatch(await netns.exec(binary, ['-S']), /Blocklist/, `${binary}: no chain, rule or jump is left`);
  assert.equal(await nftThere(netns), true);

  const toRoute = await run('route', 'restore');
  assert.match(toRoute, /removed nftables table inet stickyban, left by the nftables backend\n/);
  assert.equal(await nftThere(netns), false);
  assert.equal(await routesThere(netns), true);
  // Nothing but the routes blocks now: a safelisted address is free.
  await run('route', 'safelist', 'add', '198.51.100.9');
  assert.notEqual((await netns.try('ip', ['route', 'get', '198.51.100.9'])).stderr.includes('Invalid argument'), true, 'no blackhole for the safelisted address');
  assert.match((await netns.try('ip', ['route', 'get', '198.51.100.10'])).stderr, /Invalid argument/, 'its neighbour is blackholed');

  // 198.51.100.0/24 went in as the 8 blocks around the safelisted address.
  const back = await run('ipset', 'restore');
  assert.match(back, /removed 9 IPv4 and 1 IPv6 blackhole routes with metric 4242, left by the route backend\n/);
  assert.equal(await routesThere(netns), false);
  assert.equal(await ipsetThere(netns), true);
  // Nothing is left to remove once it is retired.
  assert.doesNotMatch(await run('ipset', 'restore'), /removed/);
});

test("retiring the ipset backend keeps the admin's own rules in Blocklist, and the chain and its jump with them", async () => {
  const { netns, run } = await setup();
  await run('ipset', 'restore');
  await netns.exec('iptables', ['-A', 'Blocklist', '-s', '192.0.2.66/32', '-j', 'DROP']);
  // An admin's own extra jump, with a matcher: with only ours in the chain it would go too.
  await netns.exec('ip6tables', ['-A', 'FORWARD', '-i', 'lo', '-j', 'Blocklist']);
  await run('nftables', 'restore');
  const v4 = (await netns.exec('iptables', ['-S'])).split('\n').filter(Boolean);
  assert.deepEqual(v4.slice(3), ['-N Blocklist', '-A INPUT -j Blocklist', '-A Blocklist -s 192.0.2.66/32 -j DROP']);
  assert.deepEqual((await netns.exec('ip6tables', ['-S'])).split('\n').filter(Boolean).slice(3), [], 'IPv6 had only ours: all gone');
});

test('after a restore --backend other than the configured one, bans and the safelist go to the set that is live', async () => {
  const { netns, run } = await setup();
  await run('ipset', 'restore');
  assert.match(await run('ipset', 'restore', '--backend', 'nftables'), /removed ipset stickyban4/);
  const inNft = async (address: string) =>
    (await netns.try('nft', ['get', 'element', 'inet', 'stickyban', 'v4_hosts', `{ ${address} }`])).code === 0;
  assert.equal(await inNft('203.0.113.7'), true);
  // The config still says ipset; the live set is nftables'.
  await run('ipset', 'safelist', 'add', '203.0.113.7');
  assert.equal(await inNft('203.0.113.7'), false, 'the safelisted address is out of the live set');
  await run('ipset', 'ban', '192.0.2.99');
  assert.equal(await inNft('192.0.2.99'), true, 'a new ban is in it');
  assert.equal(await ipsetThere(netns), false, 'and no ipset was made for them');
});

test('a restore --backend stays the live one until the config names another: --if-missing, a plain restore and the daemon keep it', async () => {
  const { netns, db, dir, run } = await setup();
  await run('ipset', 'restore');
  // The config names another backend: until a restore loads it, the sets in force are stale.
  writeFileSync(join(dir, 'nftables.toml'), 'backend = "nftables"\n');
  const doctor = await netns.cli(['--db', db, '--config', join(dir, 'nftables.toml'), 'doctor']);
  assert.match(doctor.stdout, /^FAIL +stale ipset: ipset stickyban4 \(2 entries\) and its rule; ipset stickyban6 \(1 entry\) and its rule: loaded by an earlier restore of the ipset backend and no longer updated, /m);
  await run('ipset', 'restore', '--backend', 'nftables');
  assert.equal(await ipsetThere(netns), false);
  // fail2ban's actionstart and actioncheck, the cron line, the if-up hook.
  assert.equal(await run('ipset', 'restore', '--if-missing'), 'the blocklist is in place; nothing to restore\n');
  // The boot restore, the daemon's resync.
  assert.match(await run('ipset', 'restore'), /^restored 2 IPv4 and 1 IPv6 entries with nftables in /);
  assert.equal(await ipsetThere(netns), false, 'the config\'s backend was not loaded behind the admin\'s back');
  assert.equal(await nftThere(netns), true);
  // doctor names the backend in force, and the way back to the config's.
  const inForce = (await netns.cli(['--db', db, '--config', join(dir, 'ipset.toml'), 'doctor'])).stdout;
  assert.match(inForce, /^OK +backend: nftables: nftables table inet stickyban .*\(loaded by restore --backend nftables, in force although the config names ipset; stickyban restore --backend ipset goes back to it\)\nOK +tool nft: installed\n/);

  const config = join(dir, 'ipset.toml');
  await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (daemon) => {
    await until('the first reconcile', () => daemon.log().includes('daemon: reconciled at start: the live set matched the store'));
    const reply = await ask(daemon.socket, { op: 'check' });
    assert.deepEqual(reply.answered && reply.response, { ok: true, problems: '' }, 'the daemon checks the backend in force');
    assert.equal(await ipsetThere(netns), false);
    assert.doesNotMatch(daemon.log(), /repaired|removed nftables/);
  });

  // The config names another backend now: that one is loaded, and the one in force retired.
  assert.match(await run('route', 'restore', '--if-missing'), /^missing: IPv4 blackhole routes with metric 4242 are gone .*\nremoved nftables table inet stickyban, left by the nftables backend\n$/s);
  assert.equal(await routesThere(netns), true);
  assert.equal(await nftThere(netns), false);
});

test('renamed ipset sets and chain: doctor fails on the old ones; the next restore removes them, their rule, chain and jump', async () => {
  const { netns, db, dir, run } = await setup();
  await run('ipset', 'restore');
  const renamed = join(dir, 'renamed.toml');
  writeFileSync(renamed, '[ipset]\nset4 = "deny4"\nset6 = "deny6"\nchain = "DenyList"\n');
  const cli = async (...args: string[]) => netns.cli(['--db', db, '--config', renamed, ...args]);

  const doctor = await cli('doctor');
  assert.equal(doctor.code, 1);
  assert.match(
    doctor.stdout,
    /^FAIL +stale ipset: ipset stickyban4 \(2 entries\) and its rule; ipset stickyban6 \(1 entry\) and its rule: loaded by an earlier restore under other names and no longer updated, .* \(fix: stickyban restore removes it \(a set a rule of yours still uses: remove that rule first, see iptables -S and ip6tables -S\)\)$/m,
  );

  const restored = await cli('restore');
  assert.equal(restored.code, 0, restored.stderr);
  assert.match(restored.stdout, /removed ipset stickyban4 and its rule, left by the ipset backend under other names\nremoved ipset stickyban6 and its rule, left by the ipset backend under other names\n$/);
  assert.deepEqual((await netns.exec('ipset', ['list', '-n'])).split('\n').filter(Boolean).sort(), ['deny4', 'deny6']);
  for (const binary of ['iptables', 'ip6tables']) {
    const rules = await netns.exec(binary, ['-S']);
    assert.doesNotMatch(rules, /Blocklist/, `${binary}: the old chain, its rule and jump are gone`);
    assert.match(rules, /-A INPUT -j DenyList/);
  }
  // A safelist change reaches every set that blocks: there is no other.
  assert.equal((await cli('safelist', 'add', '203.0.113.7')).code, 0);
  assert.notEqual((await netns.try('ipset', ['test', 'deny4', '203.0.113.7'])).code, 0);
  const after = await cli('doctor');
  assert.doesNotMatch(after.stdout, /stale/);
  assert.doesNotMatch(await cli('restore').then((result) => result.stdout), /removed/, 'nothing left to remove');
});

test('a renamed nftables table: the restore that loads the new one deletes the old', async () => {
  const { netns, db, dir } = await setup();
  const tables = async () => (await netns.exec('nft', ['list', 'tables'])).trim().split('\n').sort();
  const restore = async (toml: string, ...args: string[]) => {
    const config = join(dir, 'nft.toml');
    writeFileSync(config, `backend = "nftables"\n${toml}`);
    const result = await netns.cli(['--db', db, '--config', config, 'restore', ...args]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout;
  };
  await restore('');
  assert.deepEqual(await tables(), ['table inet stickyban']);
  assert.match(await restore('[nftables]\ntable = "blocked"\n', '--if-missing'), /removed nftables table inet stickyban, left by the nftables backend under another table name\n$/);
  assert.deepEqual(await tables(), ['table inet blocked']);
});

test('a switch that fails part-way (a set of another type in the way of one family) is taken back: the backend in force stays whole, nothing of the other is left to go on blocking', async () => {
  const { netns, db, dir, run } = await setup();
  await run('route', 'restore');
  assert.equal(await routesThere(netns), true);
  await netns.exec('ipset', ['create', 'stickyban4', 'hash:ip']);
  const config = join(dir, 'route.toml');
  const failed = await netns.cli(['--db', db, '--config', config, 'restore', '--backend', 'ipset']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^stickyban: .*ipset stickyban4 exists as hash:ip.*; the switch to ipset is taken back \(removed ipset stickyban6 and its rule, left by the ipset backend\); route stays in force\n$/);
  // The admin's set of another type is not ours and stays; nothing of the IPv6 half is left.
  assert.equal((await netns.exec('ipset', ['list', '-n'])).trim(), 'stickyban4');
  assert.doesNotMatch(await netns.exec('ip6tables', ['-S']), /Blocklist/);
  assert.equal(await routesThere(netns), true, 'the routes in force are untouched');
  // An unban through the backend in force frees the address: nothing else drops it.
  assert.match(await run('route', 'unban', '2001:db8::7'), /unbanned 2001:db8::7|lifted/);
  assert.doesNotMatch(await netns.exec('ip', ['-6', 'route', 'show', 'type', 'blackhole']), /2001:db8::7/);
  assert.match(await run('route', 'show', '2001:db8::7'), /blocked: +no/);
  // Doctor finds nothing of ipset left (this test's host has no fail2ban: those checks fail alone).
  const doctor = await netns.cli(['--db', db, '--config', config, 'doctor']);
  assert.doesNotMatch(doctor.stdout, /ipset|left by/);
  assert.match(doctor.stdout, /OK +IPv6 entries: 0 live, as planned from the store/);
  // The same through restore --if-missing --backend, and through a config that names ipset now.
  const ipsetConfig = join(dir, 'ipset.toml');
  writeFileSync(ipsetConfig, 'backend = "ipset"\n');
  for (const args of [['--config', config, 'restore', '--if-missing', '--backend', 'ipset'], ['--config', ipsetConfig, 'restore']]) {
    const again = await netns.cli(['--db', db, ...args]);
    assert.equal(again.code, 1, args.join(' '));
    assert.match(again.stderr, /the switch to ipset is taken back \(removed ipset stickyban6 and its rule, left by the ipset backend\); route stays in force\n$/, args.join(' '));
    assert.equal((await netns.exec('ipset', ['list', '-n'])).trim(), 'stickyban4', args.join(' '));
  }
});

test("a switch to nftables refused because the table named is the admin's (Debian's inet filter) leaves that table whole", async () => {
  const { netns, db, dir, run } = await setup();
  await run('route', 'restore');
  const config = join(dir, 'filter.toml');
  writeFileSync(config, 'backend = "route"\n\n[nftables]\ntable = "filter"\n');
  // /etc/nftables.conf as Debian ships it, with a rule of the admin's.
  const debian = 'table inet filter {\n  chain input {\n    type filter hook input priority filter;\n    ip saddr 192.0.2.3 drop\n  }\n  chain forward {\n    type filter hook forward priority filter; policy drop;\n  }\n  chain output {\n    type filter hook output priority filter;\n  }\n}\n';
  await netns.exec('nft', ['-f', '-'], { input: debian });
  const before = await netns.exec('nft', ['list', 'table', 'inet', 'filter']);
  const failed = await netns.cli(['--db', db, '--config', config, 'restore', '--backend', 'nftables']);
  assert.equal(failed.code, 1);
  assert.match(failed.stderr, /^stickyban: nftables table inet filter is not stickyban's: it holds chain forward, output, .*; route stays in force\n$/);
  assert.doesNotMatch(failed.stderr, /removed/);
  assert.equal(await netns.exec('nft', ['list', 'table', 'inet', 'filter']), before, "the admin's table is as it was");
  assert.equal(await routesThere(netns), true);
  const doctor = await netns.cli(['--db', db, '--config', config, 'doctor']);
  assert.doesNotMatch(doctor.stdout, /nftables table inet filter/, 'not a leftover of ours');
  // The same switch killed before it looked at the table: its note names the table, which is still the admin's.
  await killedWhen(netns, ['--db', db, '--config', config, 'restore', '--backend', 'nftables'], nftStuckListing(dir), 'the switch to note what it loads', async () => count(db, 'live_owed', "backend = 'nftables'") === 1 || undefined);
  await killLeftovers(netns);
  assert.doesNotMatch((await netns.cli(['--db', db, '--config', config, 'doctor'])).stdout, /nftables table inet filter/);
  const restored = await netns.cli(['--db', db, '--config', config, 'restore']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.doesNotMatch(restored.stdout, /removed nftables/);
  assert.equal(await netns.exec('nft', ['list', 'table', 'inet', 'filter']), before, "the admin's table is as it was");
});

test('a switch killed once its load is in the kernel, before its record: doctor names what it left, and the next restore removes it', async () => {
  const { netns, db, dir, run } = await setup();
  await run('route', 'restore');
  const config = join(dir, 'route.toml');
  await killedWhen(netns, ['--db', db, '--config', config, 'restore', '--backend', 'nftables'], nftStuckAfterLoad(dir), 'the nftables table loaded', async () => (await nftThere(netns)) || undefined);
  await killLeftovers(netns);
  assert.equal(await nftThere(netns), true, 'loaded, never recorded');
  // Unbanned by the backend in force: the table left behind would go on dropping it.
  await run('route', 'unban', '203.0.113.7');
  const doctor = await netns.cli(['--db', db, '--config', config, 'doctor']);
  assert.match(doctor.stdout, /nftables table inet stickyban/);
  assert.match(doctor.stdout, /FAIL +the live set: lags the store: the restore of pid \d+ ended before its live update/);
  // A restore that removes no leftovers (an import's) pays what was owed, and the leftover stays named.
  const list = join(dir, 'list.txt');
  writeFileSync(list, '192.0.2.55\n');
  await run('route', 'import', list, '--format', 'plain');
  const after = (await netns.cli(['--db', db, '--config', config, 'doctor'])).stdout;
  assert.doesNotMatch(after, /lags the store/, 'owed no more');
  assert.match(after, /nftables table inet stickyban/, 'still a leftover');
  assert.match(await run('route', 'restore'), /removed nftables table inet stickyban/);
  assert.equal(await nftThere(netns), false);
  assert.doesNotMatch((await netns.cli(['--db', db, '--config', config, 'doctor'])).stdout, /nftables/);
});

test("a switch away from nftables removes its table, a chain the admin added to it included: the table is stickyban's, and left it would go on dropping what the store lifts", async () => {
  const { netns, run } = await setup();
  await run('nftables', 'restore');
  await netns.exec('nft', ['add', 'chain', 'inet', 'stickyban', 'mine']);
  assert.match(await run('route', 'restore'), /removed nftables table inet stickyban/);
  assert.equal(await nftThere(netns), false);
});

test('a switch killed after its record, while it removes the other backend: restore --if-missing (the daemon\'s check, fail2ban\'s) finishes the removal', async () => {
  const { netns, db, dir, run } = await setup();
  await run('route', 'restore');
  // An ip whose batches never end: the removal of the routes holds there.
  const bin = join(dir, 'batch-bin');
  mkdirSync(bin);
  const realIp = (await netns.exec('sh', ['-c', 'command -v ip'])).trim();
  writeFileSync(join(bin, 'ip'), `#!/bin/sh\ncase "$*" in *-batch*) exec sleep 600 ;; esac\nexec ${realIp} "$@"\n`, { mode: 0o755 });
  const config = join(dir, 'route.toml');
  await killedWhen(netns, ['--db', db, '--config', config, 'restore', '--backend', 'nftables'], { PATH: `${bin}:${process.env.PATH}` }, 'the switch recorded', async () => count(db, 'restores', "backend = 'nftables'") === 1 || undefined);
  await killLeftovers(netns);
  assert.equal(await routesThere(netns), true, 'the old routes are still there');
  const healed = await netns.cli(['--db', db, '--config', config, 'restore', '--if-missing']);
  assert.equal(healed.code, 0, healed.stderr);
  assert.match(healed.stdout, /^missing: the live set lags the store: the removal of what other backends left of pid \d+ ended before its live update\n/);
  assert.match(healed.stdout, /removed 2 IPv4 and 1 IPv6 blackhole routes with metric 4242, left by the route backend/);
  assert.equal(await routesThere(netns), false);
});

test("a switch killed while its nft loads: that nft runs on and makes the table after the next restore's look; the restore waits for it, then removes it", async () => {
  const { netns, db, dir, run } = await setup();
  await run('route', 'restore');
  const config = join(dir, 'route.toml');
  const batchFile = () => readdirSync(dir).some((name) => name.startsWith('.nft-batch-')) || undefined;
  await killedWhen(netns, ['--db', db, '--config', config, 'restore', '--backend', 'nftables'], nftSlowLoad(dir, 2), 'the batch file written', async () => batchFile());
  assert.equal(await nftThere(netns), false, 'not loaded yet: its nft runs on');
  assert.match(await run('route', 'restore'), /removed nftables table inet stickyban/);
  assert.equal(await nftThere(netns), false);
  assert.equal(batchFile(), undefined, 'its batch file removed');
});
