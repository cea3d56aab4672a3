// An admin's decisions reach the real fail2ban: an unban is not undone by fail2ban's replay after a
// restart, `unban --fail2ban` lifts fail2ban's own ban too, and a safelisted range goes to the ignore
// list of every running jail, so fail2ban stops banning it and REJECTing it in its own chain. A
// private fail2ban-server in the test's network namespace, beside the stickyban command action.

import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runProcess } from '../helpers/cli.js';
import { startFail2ban, stickybanRunning, type Fail2ban } from '../helpers/fail2ban.js';
import { ipsetMembers } from '../helpers/ipset.js';
import { Netns, requireTools } from '../helpers/netns.js';
import { query } from '../helpers/sqlite.js';
import { tempDir } from '../helpers/tmp.js';
import { initStore } from '../helpers/store.js';
import { stickybanWrapper } from '../helpers/wrapper.js';

const JAIL = 'sshd-decisions';

interface Setup {
  readonly netns: Netns;
  readonly db: string;
  readonly authLog: string;
  readonly fail2ban: Fail2ban;
  /** stickyban as the admin runs it: the config names fail2ban's socket. */
  readonly stickyban: (...args: string[]) => ReturnType<typeof runProcess>;
  /** Calls fail2ban's action made, one line each. */
  readonly calls: () => string[];
  readonly inLiveSet: (address: string) => Promise<boolean>;
  /** Whether fail2ban's own chain REJECTs the address. */
  readonly rejected: (address: string) => Promise<boolean>;
}

async function setUp(configExtra = '', action: 'stickyban' | 'stickyban.py' = 'stickyban'): Promise<Setup> {
  await requireTools('fail2ban-server', 'fail2ban-client', 'ipset', 'iptables');
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const config = join(dir, 'config.toml');
  writeFileSync(config, `[fail2ban]\nconfig_dir = "${dir}/fail2ban"\nsocket = "${dir}/fail2ban.sock"\n${configExtra}`);
  const callLog = join(dir, 'calls.log');
  const wrapper = stickybanWrapper(dir, db, { config, callLog });
  const authLog = join(dir, 'auth.log');
  writeFileSync(authLog, '');
  const fail2ban = await startFail2ban(netns, dir, {
    jails: [
      `[${JAIL}]`,
      'enabled = true',
      'filter = sshd',
      'port = ssh',
      `logpath = ${authLog}`,
      'maxretry = 2',
      'findtime = 10m',
      'bantime = 1h',
      'action = %(action_)s',
      action === 'stickyban' ? `         stickyban[stickyban="${wrapper}"]` : `         stickyban.py[stickyban="${wrapper}", config="${config}"]`,
      '',
    ].join('\n'),
  });
  const calls = () => (existsSync(callLog) ? readFileSync(callLog, 'utf8').split('\n').filter(Boolean) : []);
  await fail2ban.waitFor('the live sets', async () => (await netns.try('ipset', ['list', '-n'])).stdout.includes('stickyban6'));
  return {
    netns,
    db,
    authLog,
    fail2ban,
    stickyban: (...args) => runProcess('ip', ['netns', 'exec', netns.name, wrapper, ...args]),
    calls,
    inLiveSet: async (address) => (await ipsetMembers(netns, 'stickyban4')).includes(address),
    rejected: async (address) => new RegExp(`-A f2b-${JAIL} -s ${address.replace(/\./g, '\\.')}/32 -j REJECT`).test(await netns.exec('iptables', ['-S'])),
  };
}

/** Bans through fail2ban itself and waits for its actions (its own rule, then stickyban's). */
async function banInFail2ban(setup: Setup, ...addresses: string[]): Promise<void> {
  const banned = await setup.fail2ban.client('set', JAIL, 'banip', ...addresses);
  assert.equal(banned.code, 0, banned.stderr);
  await setup.fail2ban.waitFor('stickyban to record the bans', () => addresses.every((address) => query(setup.db, 'SELECT 1 FROM bans WHERE address = ?', address).length > 0));
  for (const address of addresses) await setup.fail2ban.waitFor(`fail2ban's own rule for ${address}`, () => setup.rejected(address));
}

/** Restarts fail2ban and waits until it has replayed `replays` bans through the action, and they are done. */
async function restartFail2ban(setup: Setup, replays: number): Promise<void> {
  const before = setup.calls().filter((call) => call.includes('--restored=1')).length;
  assert.equal((await setup.fail2ban.client('restart')).code, 0);
  await setup.fail2ban.waitFor(`fail2ban to replay ${replays} ban(s)`, () => setup.calls().filter((call) => call.includes('--restored=1')).length === before + replays);
  await setup.fail2ban.waitFor('the replays to finish', async () => !(await stickybanRunning(setup.netns)));
}

describe('fail2ban and an admin\'s decisions', () => {
  test('a restart after an unban does not block the address again; unban --fail2ban lifts fail2ban\'s own ban; without fail2ban it says so', async () => {
    const setup = await setUp();
    const { stickyban } = setup;
    await banInFail2ban(setup, '203.0.113.51', '203.0.113.52');
    assert.equal(await setup.inLiveSet('203.0.113.51'), true);

    // The admin lifts the permanent ban; fail2ban still holds its own, and replays it on restart.
    const unbanned = await stickyban('unban', '203.0.113.51');
    assert.equal(unbanned.code, 0, unbanned.stderr);
    assert.equal(await setup.inLiveSet('203.0.113.51'), false);
    await restartFail2ban(setup, 2);
    assert.ok(setup.calls().some((call) => /^ban 203\.0\.113\.51 .*--restored=1 --time=\d+/.test(call)), 'the action passes <time>');
    assert.equal(await setup.inLiveSet('203.0.113.51'), false, 'the replay did not block the unbanned address again');
    assert.equal(await setup.inLiveSet('203.0.113.52'), true, 'the other ban is as it was');
    assert.deepEqual(
      query(setup.db, "SELECT restored, lifted_by FROM bans WHERE address = '203.0.113.51' ORDER BY id"),
      [
        { restored: 0, lifted_by: 'unban' },
        { restored: 1, lifted_by: 'unban' },
      ],
      'the replay is history, lifted by the unban',
    );

    // --fail2ban lifts fail2ban's ban as well: its REJECT goes, and the next restart has nothing to replay.
    const both = await stickyban('unban', '203.0.113.52', '--fail2ban');
    assert.equal(both.code, 0, both.stderr);
    assert.equal(both.stdout, 'unbanned 203.0.113.52 (1 ban event lifted)\nfail2ban lifted 1 ban of its own of 203.0.113.52\n');
    await setup.fail2ban.waitFor("fail2ban's own rule to go", async () => !(await setup.rejected('203.0.113.52')));
    const noneLeft = await stickyban('unban', '203.0.113.52', '--fail2ban');
    assert.equal(noneLeft.code, 0, 'nothing left to lift anywhere: what was asked for is so');
    assert.equal(noneLeft.stdout, '203.0.113.52 has no active ban here\nfail2ban held no ban of 203.0.113.52\n');
    const callsBefore = setup.calls().length;
    await restartFail2ban(setup, 1);
    assert.equal(await setup.inLiveSet('203.0.113.52'), false);
    assert.deepEqual(
      setup.calls().slice(callsBefore).filter((call) => call.startsWith('ban ')).map((call) => call.split(' ')[1]),
      ['203.0.113.51'],
      'fail2ban replays only the ban it still holds',
    );
    assert.equal(await setup.inLiveSet('203.0.113.51'), false, 'and that one again does not block');

    // A jail fail2ban does not run is fail2ban's answer, said in one line; the store's lift stands.
    assert.equal((await stickyban('ban', '198.51.100.9')).code, 0);
    const noJail = await stickyban('unban', '198.51.100.9', '--jail', 'manual', '--fail2ban');
    assert.equal(noJail.code, 1);
    assert.equal(noJail.stdout, 'unbanned 198.51.100.9 in jail manual (1 ban event lifted)\n');
    assert.match(noJail.stderr, /^stickyban: fail2ban did not lift its own ban of 198\.51\.100\.9 in jail manual: .*fail2ban-client .* set manual unbanip 198\.51\.100\.9 failed: Sorry but the jail 'manual' does not exist/);
    assert.equal(noJail.stderr.split('\n').length, 2, 'one line');

    // fail2ban stopped: the store's lift is done, and the missing fail2ban is said, not failed.
    assert.equal((await setup.fail2ban.client('stop')).code, 0);
    assert.equal((await stickyban('ban', '192.0.2.77')).code, 0);
    const stopped = await stickyban('unban', '192.0.2.77', '--fail2ban');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /^unbanned 192\.0\.2\.77 \(1 ban event lifted\)\nfail2ban is not running \(no socket at .*fail2ban\.sock\): it holds no ban of 192\.0\.2\.77 to lift\n$/);
  });

  test('safelist add --fail2ban: every running jail ignores the range, its own REJECT goes, and new failures ban nothing; remove takes it out', async () => {
    const setup = await setUp();
    const { stickyban, fail2ban } = setup;
    await banInFail2ban(setup, '192.0.2.10');

    const added = await stickyban('safelist', 'add', '192.0.2.0/24', '--fail2ban');
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, `safelisted 192.0.2.0/24; 1 live entry removed\nfail2ban ignores 192.0.2.0/24 in jail ${JAIL}; 1 ban of its own lifted\n`);
    assert.match((await fail2ban.client('get', JAIL, 'ignoreip')).stdout, /192\.0\.2\.0\/24/);
    await fail2ban.waitFor("fail2ban's own rule to go", async () => !(await setup.rejected('192.0.2.10')));

    // The address fails again: fail2ban sees it and ignores it.
    const stamp = () => new Date().toISOString().replace('Z', '+00:00');
    for (let i = 0; i < 3; i++) appendFileSync(setup.authLog, `${stamp()} web1 sshd[${5000 + i}]: Failed password for invalid user admin from 192.0.2.10 port ${41000 + i} ssh2\n`);
    await fail2ban.waitFor('fail2ban to ignore the safelisted address', () => /Ignore 192\.0\.2\.10 by ip/.test(fail2ban.log()));
    assert.equal(await setup.rejected('192.0.2.10'), false);
    assert.equal(query(setup.db, "SELECT count(*) AS n FROM bans WHERE address = '192.0.2.10'")[0]!.n, 1, 'no new ban reached stickyban');

    const removed = await stickyban('safelist', 'remove', '192.0.2.0/24', '--fail2ban');
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, new RegExp(`\\nfail2ban no longer ignores 192\\.0\\.2\\.0/24 in jail ${JAIL}\\n$`));
    assert.doesNotMatch((await fail2ban.client('get', JAIL, 'ignoreip')).stdout, /192\.0\.2\.0\/24/);

    assert.equal((await fail2ban.client('stop')).code, 0);
    const stopped = await stickyban('safelist', 'add', '198.51.100.0/24', '--fail2ban');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /\nfail2ban is not running \(no socket at .*\): no ignore list to add it to\n$/);
  });

  test('[fail2ban] sync_ignoreip = true: every safelist change reaches fail2ban without the flag', async () => {
    const setup = await setUp('sync_ignoreip = true\n');
    const added = await setup.stickyban('safelist', 'add', '2001:db8:5afe::/48');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`\\nfail2ban ignores 2001:db8:5afe::/48 in jail ${JAIL}\\n$`));
    assert.match((await setup.fail2ban.client('get', JAIL, 'ignoreip')).stdout, /2001:db8:5afe::\/48/);
    assert.equal((await setup.stickyban('safelist', 'remove', '2001:db8:5afe::/48')).code, 0);
    assert.doesNotMatch((await setup.fail2ban.client('get', JAIL, 'ignoreip')).stdout, /2001:db8:5afe/);
  });

  test('with the Python action, a restart of fail2ban keeps ignoring the safelist: each jail takes it again when it starts', async () => {
    const setup = await setUp('sync_ignoreip = true\n', 'stickyban.py');
    assert.equal((await setup.stickyban('safelist', 'add', '198.51.100.0/24')).code, 0);
    assert.equal((await setup.fail2ban.client('restart')).code, 0);
    await setup.fail2ban.waitFor('the jail to take the safelist again', async () => /198\.51\.100\.0\/24/.test((await setup.fail2ban.client('get', JAIL, 'ignoreip')).stdout));
    assert.doesNotMatch((await setup.fail2ban.client('get', JAIL, 'ignoreip')).stdout, /127\.0\.0\.0\/8\n.*127\.0\.0\.0\/8/s, 'loopback is not added twice');
  });
});
