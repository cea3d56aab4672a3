// A lift is a decision: fail2ban replays its own bans after a restart (<restored> = 1), and a replay
// of a ban the admin lifted since must not block the address again. It is recorded as history (the
// event happened), lifted by the same decision, and the live set is left as the lift made it.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ask } from '../../../src/daemon/socket/client.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { initStore } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

const T0 = 1_795_000_000;

async function setUp() {
  const netns = await Netns.create();
  const db = initStore(join(tempDir(), 'stickyban.db'));
  const at = (seconds: number) => ({ env: { STICKYBAN_NOW: String(seconds) } });
  const cli = async (seconds: number, ...args: string[]) => netns.cli(['--db', db, ...args], at(seconds));
  assert.equal((await cli(T0, 'restore')).code, 0);
  const live = () => ipsetMembers(netns, 'stickyban4');
  return { netns, db, cli, live };
}

describe('a replay of a lifted ban', () => {
  test('--restored 1 of a ban older than its lift is recorded as history and never blocks; a newer one, or another jail, blocks', async () => {
    const { db, cli, live } = await setUp();
    for (const address of ['203.0.113.7', '203.0.113.8', '203.0.113.9']) {
      assert.equal((await cli(T0, 'ban', address, '--jail', 'sshd', '--source', 'fail2ban', '--time', String(T0))).code, 0);
    }
    for (const address of ['203.0.113.7', '203.0.113.8', '203.0.113.9']) assert.equal((await cli(T0 + 60, 'unban', address)).code, 0);
    assert.deepEqual(await live(), []);

    // fail2ban restarts and replays its ban of T0, with its time (the action passes <time>).
    const replay = await cli(T0 + 120, 'ban', '203.0.113.7', '--jail', 'sshd', '--source', 'fail2ban', '--restored', '1', '--time', String(T0));
    assert.equal(replay.code, 0, replay.stderr);
    assert.equal(replay.stdout, 'recorded 203.0.113.7 (jail sshd); not blocked: lifted by unban at 2026-11-18T11:07:40Z, after this ban (a replay by fail2ban)\n');
    // An action from before <time> was passed: a replay is of a ban from before fail2ban's restart,
    // and a ban after the lift would be an event of its own, active.
    const untimed = await cli(T0 + 120, 'ban', '203.0.113.8', '--jail', 'sshd', '--source', 'fail2ban', '--restored', '1');
    assert.equal(untimed.code, 0, untimed.stderr);
    assert.match(untimed.stdout, /^recorded 203\.0\.113\.8 \(jail sshd\); not blocked: lifted by unban/);
    assert.deepEqual(await live(), [], 'neither replay blocks again');
    assert.deepEqual(
      query(db, "SELECT address, banned_at, restored, lifted_at, lifted_by FROM bans WHERE restored = 1 ORDER BY address"),
      [
        { address: '203.0.113.7', banned_at: T0, restored: 1, lifted_at: T0 + 60, lifted_by: 'unban' },
        { address: '203.0.113.8', banned_at: T0 + 120, restored: 1, lifted_at: T0 + 60, lifted_by: 'unban' },
      ],
      'recorded as history, lifted by the decision that covers them',
    );
    assert.equal(query(db, 'SELECT count(*) AS n FROM bans WHERE lifted_at IS NULL')[0]!.n, 0);
    // fail2ban restarts again and replays the same ban, under another event id: the same replay, recorded once.
    for (const restart of [T0 + 240, T0 + 360]) {
      const again = await cli(restart, 'ban', '203.0.113.7', '--jail', 'sshd', '--source', 'fail2ban', '--restored', '1', '--time', String(T0));
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /not blocked: lifted by unban/);
    }
    assert.equal(query(db, "SELECT count(*) AS n FROM bans WHERE address = '203.0.113.7'")[0]!.n, 2, 'the ban and its replay, once');
    const export4 = await cli(T0 + 120, 'export');
    assert.equal(export4.stdout, '');

    // A replay of a ban fail2ban made after the lift (one stickyban missed) is a ban.
    const later = await cli(T0 + 180, 'ban', '203.0.113.9', '--jail', 'sshd', '--source', 'fail2ban', '--restored', '1', '--time', String(T0 + 90));
    assert.equal(later.code, 0, later.stderr);
    assert.equal(later.stdout, 'banned 203.0.113.9 (jail sshd)\n');
    // Jails are independent: a lift of sshd's ban says nothing of nginx's.
    const otherJail = await cli(T0 + 180, 'ban', '203.0.113.7', '--jail', 'nginx', '--source', 'fail2ban', '--restored', '1', '--time', String(T0));
    assert.equal(otherJail.stdout, 'banned 203.0.113.7 (jail nginx)\n');
    assert.deepEqual(await live(), ['203.0.113.7', '203.0.113.9']);
  });

  test('fail2ban rounds the time it keeps to the nearest second: a replay dated one second after a lift in the second of its ban is that ban, lifted', async () => {
    // CI saw it: banip at …0.6 s (stickyban records the second it arrived, T0), unban 0.2 s later
    // (lifted at T0), and fail2ban's database keeps round(…0.6) = T0 + 1, the <time> of its replay.
    const { cli, live } = await setUp();
    assert.equal((await cli(T0, 'ban', '203.0.113.10', '--jail', 'sshd', '--source', 'fail2ban')).code, 0);
    assert.equal((await cli(T0, 'unban', '203.0.113.10')).code, 0);
    const replay = await cli(T0 + 30, 'ban', '203.0.113.10', '--jail', 'sshd', '--source', 'fail2ban', '--restored', '1', '--time', String(T0 + 1));
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /^recorded 203\.0\.113\.10 \(jail sshd\); not blocked: lifted by unban/);
    // Two seconds after the lift is a ban fail2ban began after it: a ban.
    const after = await cli(T0 + 30, 'ban', '203.0.113.10', '--jail', 'sshd', '--source', 'fail2ban', '--restored', '1', '--time', String(T0 + 2));
    assert.equal(after.stdout, 'banned 203.0.113.10 (jail sshd)\n');
    assert.deepEqual(await live(), ['203.0.113.10']);
  });

  test('restored "1" over the daemon socket, with its time, does not block a lifted address again', async () => {
    const { netns, db, cli, live } = await setUp();
    assert.equal((await cli(T0, 'ban', '198.51.100.7', '--jail', 'sshd', '--source', 'fail2ban')).code, 0);
    assert.equal((await cli(T0 + 60, 'unban', '198.51.100.7')).code, 0);
    await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1h'], async (daemon) => {
      await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
      const reply = await ask(daemon.socket, { op: 'ban', address: '198.51.100.7', jail: 'sshd', source: 'fail2ban', restored: '1', time: String(T0) });
      assert.ok(reply.answered && reply.response.ok, JSON.stringify(reply));
      assert.equal(reply.response.recorded, true);
      assert.equal(reply.response.blocked, false);
      assert.match(String(reply.response.message), /not blocked: lifted by unban at .*, after this ban/);
      const bad = await ask(daemon.socket, { op: 'ban', address: '198.51.100.7', jail: 'sshd', restored: '1', time: 'yesterday' });
      assert.ok(bad.answered && !bad.response.ok);
      assert.equal(bad.response.code, 'invalid');
    });
    assert.deepEqual(await live(), []);
    assert.equal(query(db, "SELECT count(*) AS n FROM bans WHERE address = '198.51.100.7' AND lifted_at IS NULL")[0]!.n, 0);
  });

  test('--time is checked as every input is: one line, exit 2, nothing written', async () => {
    const { db, cli } = await setUp();
    for (const time of ['yesterday', '-5', '1e20', '99999999999999']) {
      const result = await cli(T0, 'ban', '192.0.2.7', '--restored', '1', `--time=${time}`);
      assert.equal(result.code, 2, `${time}: ${result.stderr}`);
      assert.match(result.stderr, /^stickyban: invalid --time "[^"]+": expected seconds since 1970 \(fail2ban's <time>\)/);
    }
    assert.equal(query(db, 'SELECT count(*) AS n FROM bans')[0]!.n, 0);
  });
});
