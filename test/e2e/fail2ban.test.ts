// End to end with the real fail2ban from Debian: a private fail2ban-server (own config dir, socket,
// pid file, database and log under a temp dir) runs inside a network namespace with the stickyban
// action beside fail2ban's usual iptables action, reads a test auth log and bans for real.

import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runProcess } from '../helpers/cli.js';
import { Netns, requireTools } from '../helpers/netns.js';
import { query } from '../helpers/sqlite.js';
import { startFail2ban, stickybanRunning } from '../helpers/fail2ban.js';
import { tempDir } from '../helpers/tmp.js';
import { stickybanWrapper } from '../helpers/wrapper.js';
import { initStore } from '../helpers/store.js';

const ATTACKERS = ['203.0.113.51', '198.51.100.52', '192.0.2.53', '2001:db8:e2e::54', '2001:db8:e2e::55'];
const SAFELISTED = '192.0.2.99';
const JAIL = 'sshd-e2e';

/**
 * An sshd line stamped now as rsyslog writes it on Debian 13 (RFC 3339 with an offset): fail2ban's
 * findtime is relative to now, and an offset leaves no room for a time zone to differ between this
 * process and fail2ban (a syslog stamp without one is read as fail2ban's local time).
 */
function failedLogin(address: string, index: number): string {
  const stamp = new Date().toISOString().replace('Z', '+00:00');
  return `${stamp} web1 sshd[${4000 + index}]: Failed password for invalid user admin from ${address} port ${40000 + index} ssh2\n`;
}

describe('fail2ban end to end', () => {
  test('banned addresses land in the store and the live set; safelisted ones only in the store; unban keeps them live', async () => {
    await requireTools('fail2ban-server', 'fail2ban-client', 'ipset', 'iptables');
    const netns = await Netns.create();
    const dir = tempDir();
    const db = initStore(join(dir, 'stickyban.db'));
    const calls = join(dir, 'calls.log');
    const stickyban = stickybanWrapper(dir, db, { callLog: calls });
    const authLog = join(dir, 'auth.log');
    writeFileSync(authLog, '');
    const storedJails = () =>
      new Map(query<{ address: string; jail: string }>(db, "SELECT address, jail FROM bans WHERE source = 'fail2ban'").map((row) => [row.address, row.jail]));
    const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : '(none)');

    assert.equal((await runProcess('ip', ['netns', 'exec', netns.name, stickyban, 'safelist', 'add', SAFELISTED, '--note', 'e2e'])).code, 0);
    // The command action (stickyban.conf), which hosts without the daemon use: a process per ban.
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
        `         stickyban[stickyban="${stickyban}"]`,
        '',
      ].join('\n'),
    });
    const client = fail2ban.client;
    // A wait on fail2ban that times out also says what was stored and which calls were made.
    const waitFor = (what: string, probe: () => Promise<boolean> | boolean) =>
      fail2ban.waitFor(what, probe).catch((error: Error) => {
        throw new Error([error.message, `stored: ${[...storedJails().keys()].join(' ')}`, `stickyban calls:\n${read(calls)}`].join('\n'));
      });
    // actionstart ran `stickyban restore --if-missing`: the sets exist before the first ban.
    await waitFor('the live sets', async () => (await netns.try('ipset', ['list', '-n'])).stdout.includes('stickyban6'));

    let line = 0;
    for (const address of [...ATTACKERS, SAFELISTED]) {
      for (let i = 0; i < 3; i++) appendFileSync(authLog, failedLogin(address, line++));
    }

    await waitFor('fail2ban to ban every address', () => storedJails().size === ATTACKERS.length + 1);
    for (const address of [...ATTACKERS, SAFELISTED]) assert.equal(storedJails().get(address), JAIL, address);

    const inLiveSet = async (address: string) => (await netns.try('ipset', ['test', address.includes(':') ? 'stickyban6' : 'stickyban4', address])).code === 0;
    for (const address of ATTACKERS) assert.equal(await inLiveSet(address), true, `${address} is live`);
    assert.equal(await inLiveSet(SAFELISTED), false, 'the safelisted address is recorded but never live');
    assert.deepEqual(
      query(db, 'SELECT DISTINCT bantime, restored FROM bans'),
      [{ bantime: 3600, restored: 0 }],
      'fail2ban passed its bantime and <restored> = 0',
    );

    // fail2ban's own action is there too, beside ours.
    assert.match(await netns.exec('iptables', ['-S']), new RegExp(`-A f2b-${JAIL} -s 203\\.0\\.113\\.51/32 -j REJECT`));

    // The jail's unban ends fail2ban's temporary ban, not the permanent one.
    const unbanned = await client('set', JAIL, 'unbanip', ATTACKERS[0]!);
    assert.equal(unbanned.code, 0, unbanned.stderr);
    await waitFor('fail2ban to drop its own rule', async () => !(await netns.exec('iptables', ['-S'])).includes('203.0.113.51/32'));
    assert.equal(await inLiveSet(ATTACKERS[0]!), true, 'still in the live set after the jail unban');
    assert.equal(query(db, 'SELECT count(*) AS n FROM bans WHERE lifted_at IS NOT NULL')[0]!.n, 0);

    // A restart replays the active bans with <restored> = 1: nothing new is recorded.
    const before = query(db, 'SELECT count(*) AS n FROM bans')[0]!.n;
    assert.equal((await client('restart')).code, 0);
    const replays = () => readFileSync(calls, 'utf8').split('\n').filter((call) => call.startsWith('ban ') && call.includes('--restored=1'));
    await waitFor('fail2ban to replay its 5 active bans', () => replays().length === 5);
    assert.deepEqual(replays().map((call) => call.split(' ')[1]).sort(), [...ATTACKERS.slice(1), SAFELISTED].sort());
    await waitFor('the replays to finish', async () => !(await stickybanRunning(netns)));
    assert.equal(query(db, 'SELECT count(*) AS n FROM bans')[0]!.n, before, 'replays add no events');
    for (const address of ATTACKERS) assert.equal(await inLiveSet(address), true, `${address} is live after the restart`);
  });
});
