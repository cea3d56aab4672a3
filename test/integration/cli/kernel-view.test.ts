// show, stats and list report the kernel beside the plan: `blocked` is read from the live set (and
// needs the rule and jump that use it), `planned` is what the store plans. An entry deleted by hand,
// a flushed set or a dropped jump shows as what it is, where it used to show as blocked.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { configuredNewStore, tempStore } from '../../helpers/store.js';
import { pings, wire } from '../../helpers/veth.js';

interface Shown {
  address: string;
  blocked: boolean | null;
  kernel: string;
  planned: boolean;
  planned_entries: string[];
  live_problem?: string;
  live_warning?: string;
}

async function setUp(toml = '') {
  const netns = await Netns.create();
  const { db, config } = toml === '' ? { db: tempStore(), config: undefined } : configuredNewStore(toml);
  const run = (...args: string[]) => netns.cli(['--db', db, ...(config ? ['--config', config] : []), ...args]);
  const cli = async (...args: string[]) => {
    const result = await run(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  for (const address of ['203.0.113.7', '198.51.100.0/24', '2001:db8::7']) await cli('ban', address);
  await cli('restore');
  const show = async (address: string) => JSON.parse(await cli('show', address, '--json')) as Shown;
  return { netns, run, cli, show };
}

describe('the kernel beside the plan', () => {
  test('hook_chains that leave no chain jumping to ours (empty, or chains of another table): restore says the set drops nothing, show and doctor that nothing is blocked', async () => {
    for (const hooks of ['[]', '["PREROUTING"]']) {
      const { netns, run, show } = await setUp(`[ipset]\nhook_chains = ${hooks}\n`);
      const link = await wire(netns, ['203.0.113.7']);
      assert.equal(await pings(link, '203.0.113.7'), true, `${hooks}: nothing jumps to the chain`);
      const restored = await run('restore');
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /iptables: no chain jumps to Blocklist \((\[ipset\] hook_chains names none|none of \[ipset\] hook_chains exists)\): the set drops nothing/);
      const shown = await show('203.0.113.7');
      assert.equal(shown.blocked, false, hooks);
      assert.match(shown.live_problem ?? '', /iptables jumps to Blocklist none/);
      const doctor = await run('doctor');
      assert.match(doctor.stdout, /FAIL +iptables jumps to Blocklist: none: .*\(fix: set \[ipset\] hook_chains to chains of the filter table/);
      // The admin's own jump to it (through a chain of theirs): it drops, and is said to.
      await netns.exec('iptables', ['-N', 'MYIN']);
      await netns.exec('iptables', ['-A', 'MYIN', '-j', 'Blocklist']);
      await netns.exec('iptables', ['-A', 'INPUT', '-j', 'MYIN']);
      assert.equal(await pings(link, '203.0.113.7'), false, `${hooks}: the admin's jump`);
      assert.equal((await show('203.0.113.7')).blocked, true, hooks);
      const again = (await run('restore')).stdout;
      assert.doesNotMatch(again, /^iptables: no chain jumps/m);
      assert.match(again, /^ip6tables: no chain jumps to Blocklist/m, 'IPv6 has no such jump');
      const checked = (await run('doctor')).stdout;
      assert.doesNotMatch(checked, /^FAIL +iptables jumps to Blocklist/m);
      assert.match(checked, /^FAIL +ip6tables jumps to Blocklist/m);
    }
  });

  test('show: blocked is read from the live set and its rule; planned from the store', async () => {
    const { netns, cli, show } = await setUp();
    const banned = await show('203.0.113.7');
    assert.deepEqual([banned.blocked, banned.planned, banned.kernel, banned.planned_entries], [true, true, 'ipset stickyban4', ['203.0.113.7']]);
    assert.equal((await show('198.51.100.9')).blocked, true, 'an address inside a banned block');
    assert.equal((await show('198.51.100.128/25')).blocked, true, 'a block inside a banned block');
    assert.equal((await show('198.51.100.0/23')).blocked, false, 'a block only half of it banned');
    assert.match(await cli('show', '198.51.100.0/23'), /\nblocked: +no: only part of it is in ipset stickyban4\n/);
    assert.equal((await show('198.51.100.0/23')).planned, false);
    assert.deepEqual((await show('192.0.2.1')).blocked, false);
    assert.match(await cli('show', '127.0.0.1'), /\nsafelist: +127\.0\.0\.0\/8 \(built-in\)\n/, 'named as safelist list names it');
    assert.match(await cli('show', '203.0.113.7'), /^address: +203\.0\.113\.7\nblocked: +yes \(ipset stickyban4\)\nplanned: +yes\n/);

    // Deleted by hand: the store still plans it, the kernel does not block it.
    await netns.exec('ipset', ['del', 'stickyban4', '203.0.113.7']);
    const deleted = await show('203.0.113.7');
    assert.equal(deleted.blocked, false);
    assert.equal(deleted.planned, true);
    assert.match(await cli('show', '203.0.113.7'), /^address: +203\.0\.113\.7\nblocked: +no: not in ipset stickyban4\nplanned: +yes \(the live set differs from the plan; fix: stickyban restore\)\n/);

    // A reload dropped the jump: the set holds the address, and blocks nothing.
    await netns.exec('iptables', ['-D', 'INPUT', '-j', 'Blocklist']);
    const unhooked = await show('198.51.100.9');
    assert.equal(unhooked.blocked, false);
    assert.match(await cli('show', '198.51.100.9'), /\nblocked: +no: iptables jump from INPUT to Blocklist missing \(fix: stickyban restore\)\nplanned: +yes\n/, 'the set is as planned: the jump is what is wrong');
    assert.equal((await show('2001:db8::7')).blocked, true, 'IPv6 still has its jump');
  });

  test('show with the nftables backend: the table is read', async () => {
    const { netns, show } = await setUp('backend = "nftables"\n');
    assert.equal((await show('203.0.113.7')).blocked, true);
    assert.equal((await show('198.51.100.9')).blocked, true);
    assert.equal((await show('2001:db8::7')).kernel, 'nftables table inet stickyban');
    await netns.exec('nft', ['delete', 'element', 'inet', 'stickyban', 'v4_hosts', '{ 203.0.113.7 }']);
    assert.equal((await show('203.0.113.7')).blocked, false);
    assert.equal((await show('203.0.113.7')).planned, true);
    // An accept of the admin's ahead of the drop: still held and dropped, unless it matches.
    await netns.exec('nft', ['insert', 'rule', 'inet', 'stickyban', 'input', 'ip', 'saddr', '198.51.100.0/25', 'accept']);
    const warned = await show('198.51.100.9');
    assert.equal(warned.blocked, true);
    assert.match(warned.live_warning ?? '', /^unless a rule ahead of the drop lets it through: nftables rule ahead of the drop in chain input a rule \(handle \d+\) ends in accept: what it matches never meets the sets$/);
    // The set holds the block, but the rule that drops its sources is gone: nothing is blocked.
    await netns.exec('nft', ['flush', 'chain', 'inet', 'stickyban', 'input']);
    const unruled = await show('198.51.100.9');
    assert.equal(unruled.blocked, false);
    assert.equal((await show('2001:db8::7')).blocked, false);
  });

  test("show with the route backend: the kernel's own route lookup", async () => {
    const { netns, show } = await setUp('backend = "route"\n');
    assert.equal((await show('203.0.113.7')).blocked, true);
    assert.equal((await show('198.51.100.128/25')).blocked, true);
    assert.equal((await show('198.51.100.9')).kernel, 'blackhole routes with metric 4242');
    await netns.exec('ip', ['route', 'del', 'blackhole', '203.0.113.7', 'metric', '4242']);
    assert.equal((await show('203.0.113.7')).blocked, false);
    assert.equal((await show('198.51.100.9')).blocked, true);
  });

  test('stats: live entries per family beside the planned ones; list --live: each row read from one listing of the set', async () => {
    const { netns, cli } = await setUp();
    const stats = async () => JSON.parse(await cli('stats', '--json')) as { live: { backend: string; v4: number | null; v6: number | null } | null; planned: { v4: number; v6: number } };
    assert.deepEqual((await stats()).live, { backend: 'ipset', v4: 2, v6: 1 });
    assert.deepEqual((await stats()).planned, { v4: 2, v6: 1 });
    await netns.exec('ipset', ['flush', 'stickyban4']);
    assert.deepEqual((await stats()).live, { backend: 'ipset', v4: 0, v6: 1 });
    assert.match(await cli('stats'), /\nlive: +ipset: 0 IPv4 and 1 IPv6 entries; the store plans 2 and 1 \(fix: stickyban restore\)\n/);
    await cli('restore');
    assert.match(await cli('stats'), /\nlive: +ipset: 2 IPv4 and 1 IPv6 entries, as many as planned \(doctor compares them one by one\)\n/);

    await netns.exec('ipset', ['del', 'stickyban4', '203.0.113.7']);
    const rows = JSON.parse(await cli('list', '--live', '--json')) as Array<{ address: string; blocked: boolean; live: string }>;
    assert.deepEqual(rows.map((row) => [row.address, row.blocked, row.live]), [['198.51.100.0/24', true, 'full'], ['203.0.113.7', false, 'none'], ['2001:db8::7', true, 'full']]);
    assert.match(await cli('list', '--live'), /^ADDRESS +STATUS +BANS +JAILS +LAST BAN +LIVE\n198\.51\.100\.0\/24 +permanent .* yes\n203\.0\.113\.7 +permanent .* no\n/);
    const plain = JSON.parse(await cli('list', '--json')) as Array<Record<string, unknown>>;
    assert.equal('blocked' in plain[0]!, false, 'without --live the kernel is not read');
    // A block split around a safelisted address: the kernel blocks the rest of it.
    await cli('safelist', 'add', '198.51.100.77');
    const split = JSON.parse(await cli('list', '--live', '--json', '--address', '198.51.100.0/24')) as Array<{ address: string; status: string; blocked: boolean; live: string }>;
    assert.deepEqual(split.map((row) => [row.address, row.status, row.blocked, row.live]), [['198.51.100.0/24', 'partly safelisted', false, 'partial']]);
    await netns.exec('ip6tables', ['-D', 'INPUT', '-j', 'Blocklist']);
    const unhooked = JSON.parse(await cli('list', '--live', '--json', '--family', '6')) as Array<{ address: string; blocked: boolean }>;
    assert.deepEqual(unhooked.map((row) => [row.address, row.blocked]), [['2001:db8::7', false]], 'a set no rule uses blocks nothing');
  });
  test("show and list --live name the admin's rules that let packets past the drop: one ahead of the drop lets what it matches through, an ACCEPT of every packet ahead of the jump lets all of it", async () => {
    const { netns, run, cli, show } = await setUp();
    const link = await wire(netns, ['203.0.113.7']);
    assert.equal(await pings(link, '203.0.113.7'), false, 'banned, dropped');
    await netns.exec('iptables', ['-I', 'Blocklist', '1', '-s', '203.0.113.0/24', '-j', 'RETURN']);
    assert.equal(await pings(link, '203.0.113.7'), true, 'the RETURN lets it through');
    const some = 'iptables rule ahead of the drop in Blocklist `-A Blocklist -s 203.0.113.0/24 -j RETURN`: what it matches never meets the set';
    const shown = await show('203.0.113.7');
    assert.deepEqual([shown.blocked, shown.live_warning], [true, `unless a rule ahead of the drop lets it through: ${some}`], 'the set holds it, and the drop that uses the set is in place');
    assert.ok((await cli('show', '203.0.113.7')).includes(`\nblocked:   yes (ipset stickyban4), unless a rule ahead of the drop lets it through: ${some}\n`));
    const listed = await run('list', '--live');
    assert.equal(listed.stderr, `stickyban: the IPv4 live set does not see every packet: ${some} (see stickyban doctor for the fix)\n`);
    assert.match(listed.stdout, /\n203\.0\.113\.7 +permanent .* yes\n/);

    await netns.exec('iptables', ['-I', 'INPUT', '1', '-j', 'ACCEPT']);
    const all = 'iptables rule ahead of the jump in INPUT `-A INPUT -j ACCEPT`: every packet is let through before the jump to Blocklist';
    const passed = await show('198.51.100.9');
    assert.deepEqual([passed.blocked, passed.live_problem], [false, all]);
    assert.equal((await run('list', '--live', '--family', '4')).stderr, `stickyban: the IPv4 live set blocks nothing: ${all} (see stickyban doctor for the fix)\n`);
    const banned = await run('ban', '192.0.2.44');
    assert.equal(banned.stderr, `stickyban: 192.0.2.44 is recorded and in the live set, but not blocked: ${all} (see stickyban doctor for the fix)\n`);
    assert.equal((await show('2001:db8::7')).blocked, true, 'ip6tables has no such rule');
  });

  test("a jump to a chain of the admin's that accepts, and an accept of one protocol, ahead of the jump: show tells them as the packets do", async () => {
    const { netns, show } = await setUp();
    const link = await wire(netns, ['203.0.113.7']);
    assert.equal(await pings(link, '203.0.113.7'), false, 'banned, dropped');
    // ICMP accepted ahead of the jump: the pings pass, what else the address sends is dropped.
    await netns.exec('iptables', ['-I', 'INPUT', '1', '-p', 'icmp', '-j', 'ACCEPT']);
    assert.equal(await pings(link, '203.0.113.7'), true);
    const some = await show('203.0.113.7');
    assert.deepEqual([some.blocked, some.live_warning], [true, 'unless a rule ahead of the drop lets it through: iptables rule ahead of the jump in INPUT `-A INPUT -p icmp -j ACCEPT`: what it matches is let through before the jump to Blocklist']);
    await netns.exec('iptables', ['-D', 'INPUT', '-p', 'icmp', '-j', 'ACCEPT']);
    assert.equal(await pings(link, '203.0.113.7'), false);
    // A chain of the admin's that accepts all, jumped to (with a comment) ahead of ours: nothing is dropped.
    await netns.exec('iptables', ['-N', 'MINE']);
    await netns.exec('iptables', ['-A', 'MINE', '-j', 'ACCEPT']);
    await netns.exec('iptables', ['-I', 'INPUT', '1', '-m', 'comment', '--comment', 'the admin', '-j', 'MINE']);
    assert.equal(await pings(link, '203.0.113.7'), true);
    const none = await show('203.0.113.7');
    assert.deepEqual([none.blocked, none.live_problem], [false, 'iptables rule ahead of the jump in INPUT `-A INPUT -m comment --comment "the admin" -j MINE`: every packet is let through before the jump to Blocklist']);
    await netns.exec('iptables', ['-D', 'INPUT', '-m', 'comment', '--comment', 'the admin', '-j', 'MINE']);
    // The same chain jumped to for some sources only: followed too.
    await netns.exec('iptables', ['-I', 'INPUT', '1', '-s', '203.0.113.0/24', '-j', 'MINE']);
    assert.equal(await pings(link, '203.0.113.7'), true);
    assert.match(String((await show('203.0.113.7')).live_warning), /`-A INPUT -s 203\.0\.113\.0\/24 -j MINE`: what it matches is let through before the jump to Blocklist/);
    await netns.exec('iptables', ['-D', 'INPUT', '-s', '203.0.113.0/24', '-j', 'MINE']);
    assert.equal(await pings(link, '203.0.113.7'), false);
    // A goto to a chain that drops others and ends: the packet meets INPUT's policy (ACCEPT), never the jump to ours.
    await netns.exec('iptables', ['-N', 'OTHERS']);
    await netns.exec('iptables', ['-A', 'OTHERS', '-s', '192.0.2.0/24', '-j', 'DROP']);
    await netns.exec('iptables', ['-I', 'INPUT', '1', '-g', 'OTHERS']);
    assert.equal(await pings(link, '203.0.113.7'), true);
    assert.equal((await show('203.0.113.7')).blocked, false);
    await netns.exec('iptables', ['-D', 'INPUT', '-g', 'OTHERS']);
    // Chains deeper than stickyban follows (three jumps down): what they let past is not known, and said so.
    for (const chain of ['D1', 'D2', 'D3', 'D4', 'D5']) await netns.exec('iptables', ['-N', chain]);
    for (const [from, to] of [['D1', 'D2'], ['D2', 'D3'], ['D3', 'D4'], ['D4', 'D5'], ['D5', 'ACCEPT']]) await netns.exec('iptables', ['-A', from!, '-j', to!]);
    await netns.exec('iptables', ['-I', 'INPUT', '1', '-j', 'D1']);
    assert.equal(await pings(link, '203.0.113.7'), true);
    const deep = await show('203.0.113.7');
    assert.deepEqual(
      [deep.blocked, deep.live_warning],
      [true, 'unless a rule ahead of the drop lets it through: iptables rule ahead of the jump in INPUT `-A INPUT -j D1`: what it matches may be let through before the jump to Blocklist: it leads to chains stickyban does not read (more than 32 chains, or 3 jumps down)'],
    );
  });

  test('ban by hand says when what it added blocks nothing (a reload dropped the jump); the hook (--quiet) is not slowed by the look', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    const run = (...args: string[]) => netns.cli(['--db', db, ...args]);
    const restored = await run('restore');
    assert.equal(restored.code, 0, restored.stderr);
    await netns.exec('iptables', ['-D', 'INPUT', '-j', 'Blocklist']);
    const byHand = await run('ban', '192.0.2.1');
    assert.deepEqual([byHand.code, byHand.stdout], [0, 'banned 192.0.2.1 (jail manual)\n']);
    assert.equal(byHand.stderr, 'stickyban: 192.0.2.1 is recorded and in the live set, but not blocked: iptables jump from INPUT to Blocklist missing (fix: stickyban restore)\n');
    const hook = await run('ban', '192.0.2.2', '--quiet');
    assert.deepEqual([hook.code, hook.stdout, hook.stderr], [0, '', '']);
    // IPv6 keeps its jump: nothing to say.
    const six = await run('ban', '2001:db8::9');
    assert.deepEqual([six.code, six.stderr], [0, '']);
    assert.equal((await run('restore', '--if-missing', '--quiet')).code, 0);
    const linked = await run('ban', '192.0.2.3');
    assert.deepEqual([linked.code, linked.stderr], [0, '']);
  });
});
