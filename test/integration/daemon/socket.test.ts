// The daemon's socket, as fail2ban's action and the commands use it: bans recorded once committed and
// made live, the command's own errors for bad input, root only, and a loop that answers while the
// store is busy and the apply lock held.

import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { ask, type Reply } from '../../../src/daemon/socket/client.js';
import { ApplyLock } from '../../../src/store/lock.js';
import { startDaemon, whileDaemonRuns, type RunningDaemon } from '../../helpers/daemon.js';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { descendantsRunning } from '../../helpers/processes.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';
import { walState } from '../../helpers/wal.js';
import { initStore, tempStore } from '../../helpers/store.js';

/** A namespace with a restored (empty) blocklist, its store, and the daemon's arguments. */
async function setUp(): Promise<{ netns: Netns; db: string; args: string[] }> {
  const netns = await Netns.create();
  const db = tempStore();
  assert.equal((await netns.cli(['--db', db, 'restore'])).code, 0);
  return { netns, db, args: ['--db', db, 'daemon', '--heal-interval', '1h'] };
}

async function started(daemon: RunningDaemon): Promise<void> {
  await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
}

function answer(reply: Reply): Record<string, unknown> {
  assert.ok(reply.answered, reply.answered ? '' : reply.why);
  return reply.response as Record<string, unknown>;
}

describe('the daemon socket', () => {
  test('bans of clients that each wait for their answer are committed together: a storm is not one fsync a ban', async () => {
    const { netns, db, args } = await setUp();
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      const clients = 8;
      const each = 40;
      await Promise.all(
        Array.from({ length: clients }, async (_, client) => {
          for (let i = 0; i < each; i++) assert.equal(answer(await ask(daemon.socket, { op: 'ban', address: `10.9.${client}.${i}`, jail: `jail${client}` })).recorded, true);
        }),
      );
      const health = answer(await ask(daemon.socket, { op: 'health' }));
      assert.equal(health.bans, clients * each);
      assert.equal(count(db, 'bans'), clients * each);
      // One commit a ban before the writer gathered them (1,988 commits for 2,000 bans of eight clients).
      assert.ok((health.commits as number) <= (clients * each) / 2, `${String(health.commits)} commits for ${clients * each} bans`);
      await until('every ban live', async () => (await ipsetMembers(netns, 'stickyban4')).length === clients * each, 5000);
    });
  });

  test('a ban over the socket is answered after its commit and made live; a replay writes nothing', async () => {
    const { netns, db, args } = await setUp();
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      const ban = answer(await ask(daemon.socket, { op: 'ban', address: '203.0.113.7', jail: 'sshd', bantime: '600', source: 'fail2ban' }));
      assert.deepEqual(ban, { ok: true, recorded: true, blocked: true, safelisted_by: [], message: 'banned 203.0.113.7 (jail sshd)' });
      // Answered after the commit: the row is there the moment the answer is.
      assert.equal(count(db, 'bans', "address = '203.0.113.7' AND jail = 'sshd' AND source = 'fail2ban' AND bantime = 600"), 1);
      await until('the live add', async () => (await ipsetMembers(netns, 'stickyban4')).includes('203.0.113.7'), 5000);

      const before = answer(await ask(daemon.socket, { op: 'health' }));
      const replay = answer(await ask(daemon.socket, { op: 'ban', address: '203.0.113.7', jail: 'sshd', restored: '1' }));
      assert.equal(replay.recorded, false);
      assert.equal(replay.message, 'already banned 203.0.113.7 (jail sshd)');
      assert.equal(count(db, 'bans'), 1, 'a replay of a ban the store holds costs no write');
      const after = answer(await ask(daemon.socket, { op: 'health' }));
      assert.deepEqual([after.received, after.commits], [Number(before.received) + 1, before.commits], 'nor a write transaction: it is answered from a read');

      // The same event handed over twice (a retry after a lost answer) is one event.
      const id = '0190a6b2-5f3c-7d6e-8a9b-0c1d2e3f4a5b';
      assert.equal(answer(await ask(daemon.socket, { op: 'ban', address: '198.51.100.4', jail: 'sshd', event_id: id })).recorded, true);
      assert.equal(answer(await ask(daemon.socket, { op: 'ban', address: '198.51.100.4', jail: 'sshd', event_id: id })).recorded, false);
      assert.equal(count(db, 'bans', "address = '198.51.100.4'"), 1);
      // Another ban under that id is refused, not dropped as the first one handed over again.
      const reused = await ask(daemon.socket, { op: 'ban', address: '198.51.100.5', jail: 'sshd', event_id: id });
      assert.ok(reused.answered);
      assert.deepEqual(reused.response, { ok: false, code: 'invalid', error: `event id ${id} already names the ban of 198.51.100.4 (jail sshd): give each ban an id of its own, or none` });
      const byCli = await netns.cli(['--db', db, 'ban', '198.51.100.4', '--jail', 'other', '--event-id', id], { env: { STICKYBAN_SOCKET: join(tempDir(), 'none.sock') } });
      assert.deepEqual([byCli.code, byCli.stdout, byCli.stderr], [2, '', `stickyban: event id ${id} already names the ban of 198.51.100.4 (jail sshd): give each ban an id of its own, or none\n`]);
      assert.equal(count(db, 'bans', "address IN ('198.51.100.4', '198.51.100.5')"), 1);
    });
  });

  test('a quiet daemon copies the WAL into the store file and the WAL starts over; every ban it answered is there after a SIGKILL', async () => {
    const { netns, db, args } = await setUp();
    const daemon = startDaemon(netns, args);
    await started(daemon);
    const ban = async (i: number) => assert.equal(answer(await ask(daemon.socket, { op: 'ban', address: `198.51.100.${i}`, jail: 'sshd' })).recorded, true);
    for (let i = 0; i < 20; i++) await ban(i);
    assert.ok(walState(db).frames >= 20);
    await until('the WAL copied into the store file', () => walState(db).copied === walState(db).frames, 10_000);
    await ban(20);
    assert.ok(walState(db).frames < 10, `${walState(db).frames} frames: the WAL started over`);
    for (let i = 21; i < 25; i++) await ban(i);
    daemon.signal('SIGKILL');
    await daemon.exited;
    assert.equal(count(db, 'bans'), 25);
  });

  test('live updates go through one long-lived ipset process; when it is killed the next ban is still made live, and a new one takes over', async () => {
    const { netns, args } = await setUp();
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      const live = async (address: string) => (await ipsetMembers(netns, 'stickyban4')).includes(address);
      for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) assert.equal(answer(await ask(daemon.socket, { op: 'ban', address, jail: 'sshd' })).ok, true);
      await until('three live adds', async () => (await live('203.0.113.1')) && (await live('203.0.113.2')) && (await live('203.0.113.3')), 5000);
      // A one-shot `ipset -exist -` (the start's reconcile, a heal check) has the same command line
      // and may be running for a moment beside the session: the session is the one that stays.
      const sessions = () => descendantsRunning(daemon.pid, ['ipset', '-exist', '-']);
      await until('one ipset process for all of them', () => sessions().length === 1, 5000);
      const [first] = sessions();
      process.kill(first!, 'SIGKILL');
      assert.equal(answer(await ask(daemon.socket, { op: 'ban', address: '203.0.113.4', jail: 'sshd' })).ok, true);
      await until('the live add after the kill', () => live('203.0.113.4'), 5000);
      assert.match(daemon.log(), /daemon: the ipset session ended \(ipset session ended .*\); updating the one-shot way/);
      assert.equal(answer(await ask(daemon.socket, { op: 'ban', address: '203.0.113.5', jail: 'sshd' })).ok, true);
      await until('the live add through a new session', () => live('203.0.113.5'), 5000);
      await until('one ipset process again', () => sessions().length === 1, 5000);
      assert.notEqual(sessions()[0], first);
    });
  });

  test('stickyban ban goes through the daemon when it serves the store, and records it itself otherwise', async () => {
    const { netns, db, args } = await setUp();
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      const viaDaemon = await netns.cli(['--db', db, '--verbose', 'ban', '192.0.2.9', '--jail', 'sshd'], { env: daemon.env });
      assert.equal(viaDaemon.code, 0, viaDaemon.stderr);
      assert.equal(viaDaemon.stdout, 'banned 192.0.2.9 (jail sshd)\n');
      const health = answer(await ask(daemon.socket, { op: 'health' }));
      assert.equal(health.bans, 1, 'the daemon recorded it');

      // Another store: the daemon refuses, the command records it in its own.
      const other = initStore(join(tempDir(), 'other.db'));
      const local = await netns.cli(['--db', other, '--verbose', 'ban', '192.0.2.10', '--jail', 'sshd'], { env: daemon.env });
      assert.equal(local.code, 0, local.stderr);
      assert.match(local.stdout, /recording it here: the daemon could not: this daemon records bans in .*stickyban\.db, not .*other\.db/);
      assert.equal(count(other, 'bans'), 1);
      assert.equal(answer(await ask(daemon.socket, { op: 'health' })).bans, 1);
    });
    // No daemon: the command does it all itself.
    const alone = await netns.cli(['--db', db, 'ban', '192.0.2.11', '--jail', 'sshd']);
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(count(db, 'bans'), 2);
  });

  test('bad input over the socket gets the command line\'s errors, and writes nothing', async () => {
    const { netns, db, args } = await setUp();
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      const cases: Array<[Record<string, unknown>, string[]]> = [
        [{ op: 'ban', address: '010.0.0.1' }, ['ban', '010.0.0.1']],
        [{ op: 'ban', address: '192.0.3.0/23' }, ['ban', '192.0.3.0/23']],
        [{ op: 'ban', address: '192.0.2.1', jail: 'a b' }, ['ban', '192.0.2.1', '--jail', 'a b']],
        [{ op: 'ban', address: '192.0.2.1', bantime: 'soon' }, ['ban', '192.0.2.1', '--bantime', 'soon']],
        [{ op: 'ban', address: '192.0.2.1', restored: '2' }, ['ban', '192.0.2.1', '--restored', '2']],
        [{ op: 'ban', address: '127.0.0.1' }, ['ban', '127.0.0.1']],
        [{ op: 'ban', address: '0.0.0.0/0', force: true }, ['ban', '0.0.0.0/0', '--force']],
        [{ op: 'ban', address: '192.0.2.1', event_id: 'x' }, ['ban', '192.0.2.1', '--event-id', 'x']],
      ];
      for (const [request, cli] of cases) {
        const reply = answer(await ask(daemon.socket, request));
        const command = await netns.cli(['--db', db, ...cli]);
        assert.equal(command.code, 2, `${JSON.stringify(request)}: ${command.stderr}${command.stdout}`);
        assert.deepEqual(reply, { ok: false, code: 'invalid', error: command.stderr.replace(/^stickyban: /, '').trimEnd() }, JSON.stringify(request));
      }
      for (const [line, error] of [
        ['not json', /^request is not JSON/],
        ['[1]', /^request is not a JSON object/],
        ['{"op":"unban"}', /^unknown op "unban": expected ban, health or check$/],
        ['{"op":"ban","address":7}', /^"address" must be a string/],
        ['{"op":"ban","address":"192.0.2.1","jail":1}', /^"jail" must be a string$/],
        ['{"op":"ban","address":"192.0.2.1","sql":"drop"}', /^unknown field "sql" in a ban request/],
        ['{"op":"health","x":1}', /^unknown field "x" in a health request/],
        [`{"op":${'['.repeat(7000)}${']'.repeat(7000)}}`, /^unknown op \(a JSON array\): expected ban, health or check$/],
        ['{"op":"ban","address":"192.0.2.1","reason":"\\ud800"}', /^"reason" holds a lone UTF-16 surrogate .*: expected text$/],
        ['{"op":"ban","address":"192.0.2.1","jail":"a\\udc00b"}', /^"jail" holds a lone UTF-16 surrogate/],
      ] as const) {
        const reply = JSON.parse(await sendLine(daemon.socket, line)) as Record<string, unknown>;
        assert.equal(reply.code, 'invalid', line);
        assert.match(String(reply.error), error, line);
      }
      // A line past the limit is refused and the connection closed; the daemon goes on.
      const huge = answer(await ask(daemon.socket, { op: 'ban', address: 'x'.repeat(20_000) }));
      assert.match(String(huge.error), /^request longer than 16384 bytes/);
      assert.equal(answer(await ask(daemon.socket, { op: 'health' })).ok, true);
      assert.equal(count(db, 'bans'), 0, 'nothing written');
    });
  });

  test('root only: the socket is 0600 in a 0700 directory, and nobody can neither connect nor ban', async () => {
    const { netns, db, args } = await setUp();
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      assert.equal(statSync(daemon.socket).mode & 0o777, 0o600);
      assert.equal(statSync(join(daemon.socket, '..')).mode & 0o777, 0o700);
      const script = `require('net').createConnection(process.argv[1]).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(1); })`;
      const probe = await netns.try('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script, daemon.socket]);
      assert.equal(probe.stdout.trim(), 'EACCES');
      // A command run by nobody cannot ban through it either (nor write the store).
      const banned = await netns.cliAsNobody(['--db', db, 'ban', '192.0.2.77']);
      assert.notEqual(banned.code, 0);
      assert.equal(count(db, 'bans'), 0);
    });
  });

  test('the loop never blocks: with the store busy and the apply lock held, health is answered and SIGTERM ends it within ~50 ms', async () => {
    const { netns, db, args } = await setUp();
    let stoppedIn = 0;
    const holder = new Database(db);
    await whileDaemonRuns(netns, args, async (daemon) => {
      await started(daemon);
      // Another process's long restore holds the apply lock; another's transaction holds the store.
      const lock = await ApplyLock.acquire(db);
      holder.exec('BEGIN EXCLUSIVE');
      try {
        const pending = ask(daemon.socket, { op: 'ban', address: '203.0.113.50', jail: 'sshd' });
        const check = ask(daemon.socket, { op: 'check' });
        // A loop blocked by the busy store would answer none of them for seconds; a machine busy with
        // other tests may delay one now and then: the fastest is what the daemon does.
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          const health = answer(await ask(daemon.socket, { op: 'health' }));
          times.push(performance.now() - started);
          assert.equal(health.ok, true);
        }
        assert.ok(Math.max(...times) < 1000 && Math.min(...times) < 50, `health answered in ${times.map((ms) => ms.toFixed(1)).join(', ')} ms`);
        const sent = performance.now();
        daemon.signal('SIGTERM');
        await daemon.exited;
        stoppedIn = performance.now() - sent;
        // The ban was never answered as recorded: its client records it itself (the fail2ban action does).
        const reply = await pending;
        assert.ok(!reply.answered || (reply.response.ok === false && reply.response.code === 'failed'), JSON.stringify(reply));
        await check;
      } finally {
        holder.exec('ROLLBACK');
        lock.release();
        holder.close();
      }
    });
    // ~30 ms on a quiet machine (Node's own exit included); far from the store's 10 s busy timeout.
    assert.ok(stoppedIn < 250, `SIGTERM to exit: ${stoppedIn.toFixed(1)} ms`);
    assert.equal(query(db, 'SELECT count(*) AS n FROM bans')[0]!.n, 0);
  });
});

/** Sends this exact line and returns the first line of the answer. */
function sendLine(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${line}\n`));
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.includes('\n')) {
        socket.destroy();
        resolve(received.slice(0, received.indexOf('\n')));
      }
    });
    socket.on('error', reject);
  });
}
