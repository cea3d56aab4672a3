// The daemon's live updates through one long-lived tool process per backend, for the backends whose
// tool prints nothing when a line succeeds (`nft -i`, `ip -batch -`): bans over the socket made
// live through one process, a change made by hand that fails a batch handled inside the session
// (the process kept), and a killed process replaced, with the batch under way done the one-shot way.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ask, type Reply } from '../../../src/daemon/socket/client.js';
import { whileDaemonRuns, type RunningDaemon } from '../../helpers/daemon.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { descendantsRunning } from '../../helpers/processes.js';
import { seedBlocks } from '../../helpers/seed.js';
import { configuredNewStore } from '../../helpers/store.js';
import { until } from '../../helpers/until.js';

const METRIC = 4242;

async function setUp(backend: string, blocks = 0): Promise<{ netns: Netns; args: string[] }> {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore(`backend = "${backend}"\n`);
  seedBlocks(db, { count: blocks, prefix: 28, base: '10.0.0.0', bannedAt: Math.floor(Date.now() / 1000) });
  const restored = await netns.cli(['--db', db, '--config', config, 'restore']);
  assert.equal(restored.code, 0, restored.stderr);
  return { netns, args: ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'] };
}

async function ban(daemon: RunningDaemon, address: string): Promise<void> {
  const reply: Reply = await ask(daemon.socket, { op: 'ban', address, jail: 'sshd' });
  assert.ok(reply.answered && (reply.response as { ok?: boolean }).ok, JSON.stringify(reply));
}

/** Replaces one session process after another: kill it, ban, and the ban still lands. */
async function killedSessionIsReplaced(daemon: RunningDaemon, argv: readonly string[], tool: string, address: string, live: (address: string) => Promise<boolean>): Promise<void> {
  const sessions = () => descendantsRunning(daemon.pid, argv);
  const [first] = sessions();
  assert.ok(first, `a ${argv.join(' ')} process`);
  process.kill(first, 'SIGKILL');
  await ban(daemon, address);
  await until(`the live add of ${address} after the kill`, () => live(address), 5000);
  assert.match(daemon.log(), new RegExp(`daemon: the ${tool} session ended \\(${argv[0]} session ended .*\\); updating the one-shot way`));
  const next = address.replace(/\d+$/, '99');
  await ban(daemon, next);
  await until('the live add through a new session', () => live(next), 5000);
  assert.equal(sessions().length, 1);
  assert.notEqual(sessions()[0], first);
}

function residentMiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
}

describe('live sessions of nft and ip', () => {
  test('nftables: bans go through one `nft -i`; an interval added by hand that fails the batch is reconciled inside the session', async () => {
    await requireTools('nft');
    const { netns, args } = await setUp('nftables');
    const listed = async (set: string) => (await netns.try('nft', ['list', 'set', 'inet', 'stickyban', set])).stdout;
    await whileDaemonRuns(netns, args, async (daemon) => {
      await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
      for (const address of ['203.0.113.1', '2001:db8::1', '198.51.100.128/28']) await ban(daemon, address);
      await until('the three live adds', async () => {
        const [v4, v4blocks, v6] = await Promise.all([listed('v4_hosts'), listed('v4'), listed('v6_hosts')]);
        return v4.includes('203.0.113.1') && v4blocks.includes('198.51.100.128/28') && v6.includes('2001:db8::1');
      }, 5000);
      const sessions = () => descendantsRunning(daemon.pid, ['nft', '-i']);
      assert.equal(sessions().length, 1, 'one nft process for all of them');
      const [session] = sessions();

      // An admin's element overlaps the next ban's block: nft fails that transaction ("interval
      // overlaps"), and the session reads the set and carries out the ban on what is there.
      await netns.exec('nft', ['add', 'element', 'inet', 'stickyban', 'v4', '{ 192.0.2.0/25 }']);
      await ban(daemon, '192.0.2.0/24');
      await until('the /24 live in place of the /25', async () => /192\.0\.2\.0\/24/.test(await listed('v4')), 5000);
      assert.doesNotMatch(await listed('v4'), /192\.0\.2\.0\/25/);
      assert.deepEqual(sessions(), [session], 'the failed transaction did not end the session');
      assert.doesNotMatch(daemon.log(), /session ended/);

      const v4hosts = async (address: string) => (await listed('v4_hosts')).includes(address);
      await killedSessionIsReplaced(daemon, ['nft', '-i'], 'nftables', '203.0.113.4', v4hosts);
    });
  });

  test('nftables: the session\'s nft is let go of once its cache of a big table makes it large, and the next batch gets a new one', async () => {
    await requireTools('nft');
    // After an element delete, nft -i keeps every element of the interval sets: ~45 MB for these.
    const { netns, args } = await setUp('nftables', 80_000);
    const hosts = async () => (await netns.try('nft', ['list', 'set', 'inet', 'stickyban', 'v4_hosts'])).stdout;
    await whileDaemonRuns(netns, args, async (daemon) => {
      await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
      const sessions = () => descendantsRunning(daemon.pid, ['nft', '-i']);
      await ban(daemon, '203.0.113.5');
      await until('the live add', async () => (await hosts()).includes('203.0.113.5'), 5000);
      const [small] = sessions();
      assert.ok(small !== undefined && residentMiB(small) < 32, 'adds declare their set: nothing read back, a small nft');
      // The /24 takes the address's place: an element delete, after which nft holds the blocks.
      await ban(daemon, '203.0.113.0/24');
      await until('the address\'s delete', async () => !(await hosts()).includes('203.0.113.5'), 20_000);
      await until('the large nft let go of', () => !sessions().includes(small), 5000);
      await ban(daemon, '192.0.2.9');
      await until('the next live add', async () => (await hosts()).includes('192.0.2.9'), 5000);
      const now = sessions();
      assert.equal(now.length, 1);
      assert.ok(residentMiB(now[0]!) < 32, `${residentMiB(now[0]!)} MiB`);
      assert.doesNotMatch(daemon.log(), /session ended/, 'let go of quietly, not as a failure');
    });
  });

  test('route: bans go through one `ip -batch -`; a route deleted by hand fails a line harmlessly, told by its number in the session', async () => {
    const { netns, args } = await setUp('route');
    const routes = async (family: 4 | 6) => netns.exec('ip', [`-${family}`, 'route', 'show', 'type', 'blackhole', 'metric', String(METRIC)]);
    const blackholed = async (address: string) => (await routes(address.includes(':') ? 6 : 4)).includes(`blackhole ${address} `);
    await whileDaemonRuns(netns, args, async (daemon) => {
      await until('the daemon to listen', () => daemon.log().includes('daemon: started'));
      // Batches apart, so that the session's line numbers run past the next batch's own.
      for (const address of ['203.0.113.1', '2001:db8::1', '203.0.113.2', '198.51.100.7']) {
        await ban(daemon, address);
        await until(`the route to ${address}`, () => blackholed(address), 5000);
      }
      const sessions = () => descendantsRunning(daemon.pid, ['ip', '-force', '-batch', '-']);
      // Exactly one, once a job's own ip (the start's reconcile) has exited: each ban's own ip would leave none.
      await until('one ip process for all of them', () => sessions().length === 1, 5000);
      const [session] = sessions();

      // The /24 takes the place of the address's route, which is gone already: ip fails that
      // delete ("No such process"), which leaves the routes as wanted.
      await netns.exec('ip', ['route', 'del', 'blackhole', '198.51.100.7', 'metric', String(METRIC)]);
      await ban(daemon, '198.51.100.0/24');
      await until('the route to the /24', () => blackholed('198.51.100.0/24'), 5000);
      assert.deepEqual(sessions(), [session], 'the harmless failure did not end the session');
      assert.doesNotMatch(daemon.log(), /session ended|updating blackhole routes/);

      await killedSessionIsReplaced(daemon, ['ip', '-force', '-batch', '-'], 'route', '203.0.113.4', blackholed);
    });
  });
});
