// A switch of backend: the restore that loads the new one removes what the old one left in place,
// which would otherwise go on blocking what the store no longer plans, never updated again.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Netns, requireTools } from '../../helpers/netns.js';
import { tempDir } from '../../helpers/tmp.js';
import { initStore } from '../../helpers/store.js';

async function setup(): Promise<{ netns: Netns; run: (backend: string, ...args: string[]) => Promise<string> }> {
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
  return { netns, run };
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
  // A retired backend is not asked again once the new one has a restore of its own.
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
