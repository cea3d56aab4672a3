// The nftables backend's live changes on a big table: a hook's add costs what it costs on an empty one
// (nft 1.0.6 read every interval set back before an element command: a ban took 8-12 s beside 300k
// /28 blocks), and adds, deletes and the next restore still leave exactly what the store plans.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runProcess, CLI } from '../../helpers/cli.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { seedBlocks } from '../../helpers/seed.js';
import { configuredNewStore } from '../../helpers/store.js';
import { pings, wire } from '../../helpers/veth.js';

/** Blocks loaded beside the hook: enough that reading them back costs a second of CPU time. */
const BLOCKS = 120_000;
/** A hook's CPU time, its nft's included: ~0.1 s at any size; reading the blocks back made it ~1 s. */
const CPU_LIMIT_S = 0.4;

async function setup() {
  await requireTools('nft', 'ping');
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = async (...args: string[]): Promise<string> => {
    const result = await netns.cli(['--db', db, '--config', config, ...args]);
    assert.equal(result.code, 0, `stickyban ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  /** The CLI's CPU time (user + system, its nft included), from GNU time. */
  const cpuSeconds = async (...args: string[]): Promise<number> => {
    const result = await runProcess('/usr/bin/time', ['-f', 'CPU %U %S', 'ip', 'netns', 'exec', netns.name, process.execPath, CLI, '--db', db, '--config', config, ...args]);
    assert.equal(result.code, 0, `stickyban ${args.join(' ')}: ${result.stderr}`);
    const [, user, system] = /CPU (\S+) (\S+)/.exec(result.stderr)!;
    return Number(user) + Number(system);
  };
  return { netns, db, config, cli, cpuSeconds };
}

/** The elements of one of our sets, as nft lists them. */
async function elements(netns: Netns, set: string): Promise<string[]> {
  const listing = JSON.parse(await netns.exec('nft', ['-j', 'list', 'set', 'inet', 'stickyban', set])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  return (listing.nftables.find((item) => item.set)?.set?.elem ?? []).map((elem) => {
    const prefix = (elem as { prefix?: { addr: string; len: number } }).prefix;
    return prefix ? `${prefix.addr}/${prefix.len}` : String(elem);
  });
}

describe('nftables live changes', () => {
  test(`a hook's live add beside ${BLOCKS.toLocaleString('en-US')} /28 blocks costs what it costs beside none`, async () => {
    const { netns, db, cli, cpuSeconds } = await setup();
    seedBlocks(db, { count: BLOCKS, prefix: 28, base: '10.0.0.0', bannedAt: Math.floor(Date.now() / 1000) });
    await cli('restore');
    const link = await wire(netns, ['192.0.2.7', '198.51.100.9']);

    const address = await cpuSeconds('ban', '192.0.2.7', '--jail', 'sshd');
    const block = await cpuSeconds('ban', '198.51.100.0/28', '--jail', 'sshd');
    assert.ok(address < CPU_LIMIT_S, `a ban of an address took ${address} s of CPU time (limit ${CPU_LIMIT_S} s)`);
    assert.ok(block < CPU_LIMIT_S, `a ban of a /28 took ${block} s of CPU time (limit ${CPU_LIMIT_S} s)`);
    assert.equal(await pings(link, '192.0.2.7'), false, 'the banned address is dropped at once');
    assert.equal(await pings(link, '198.51.100.9'), false, 'and so is the banned /28');
  });

  test('live adds, then an unban, a safelist entry and a restore: the table is what a fresh restore of the store makes', async () => {
    const { netns, cli } = await setup();
    await cli('ban', '10.1.0.0/28');
    await cli('restore');
    const link = await wire(netns, ['10.1.0.20']);
    await cli('ban', '10.1.0.40');
    await cli('ban', '10.1.0.50');
    await cli('ban', '10.1.0.16/28');
    await cli('ban', 'fd00:71::5');
    await cli('ban', 'fd00:71:1::/64');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['10.1.0.40', '10.1.0.50']);
    assert.deepEqual(await elements(netns, 'v4'), ['10.1.0.0/28', '10.1.0.16/28'], 'a block added beside one loaded');
    assert.deepEqual(await elements(netns, 'v6_hosts'), ['fd00:71::5']);
    assert.deepEqual(await elements(netns, 'v6'), ['fd00:71:1::/64']);
    assert.equal(await pings(link, '10.1.0.20'), false, 'the /28 added live is dropped');

    // A block around an address added live: the address goes, the block comes, in one transaction.
    await cli('ban', '10.1.0.32/27');
    assert.deepEqual(await elements(netns, 'v4_hosts'), []);
    assert.deepEqual(await elements(netns, 'v4'), ['10.1.0.0/28', '10.1.0.16/28', '10.1.0.32/27']);
    await cli('unban', '10.1.0.32/27');
    await cli('safelist', 'add', '10.1.0.20');
    await cli('unban', 'fd00:71::5');
    assert.equal(await pings(link, '10.1.0.20'), true, 'the safelisted address passes');
    assert.deepEqual(await elements(netns, 'v4_hosts'), ['10.1.0.21'], 'the safelist split leaves one neighbour as a host');
    assert.deepEqual(await elements(netns, 'v4'), ['10.1.0.0/28', '10.1.0.16/30', '10.1.0.22/31', '10.1.0.24/29'], 'the /27 is gone, the /28 added live is split');
    assert.deepEqual(await elements(netns, 'v6_hosts'), []);

    const live = await netns.exec('nft', ['list', 'table', 'inet', 'stickyban']);
    await cli('restore', '--rebuild');
    assert.equal(await netns.exec('nft', ['list', 'table', 'inet', 'stickyban']), live, 'the next restore loads exactly what the live changes left');
  });

  test('a table made dormant blocks nothing: show and doctor say so, and a restore turns it back on', async () => {
    const { netns, db, config, cli } = await setup();
    const link = await wire(netns, ['192.0.2.7']);
    await cli('ban', '192.0.2.7');
    await cli('restore');
    assert.equal(await pings(link, '192.0.2.7'), false);
    await netns.exec('nft', ['add', 'table', 'inet', 'stickyban', '{ flags dormant; }']);
    assert.equal(await pings(link, '192.0.2.7'), true, 'a dormant table filters nothing');
    const shown = JSON.parse(await cli('show', '192.0.2.7', '--json')) as { blocked: boolean; live_problem?: string };
    assert.equal(shown.blocked, false);
    assert.match(shown.live_problem ?? '', /nftables table inet stickyban (is dormant|has table flags stickyban did not set)/);
    const doctor = await netns.cli(['--db', db, '--config', config, 'doctor']);
    assert.match(doctor.stdout, /FAIL +nftables table inet stickyban: (is dormant|has table flags)/);
    await cli('restore');
    assert.equal(await pings(link, '192.0.2.7'), false, 'the restore loaded the table without the flag');
    assert.doesNotMatch((await netns.cli(['--db', db, '--config', config, 'doctor'])).stdout, /dormant|table flags/);
  });
});
