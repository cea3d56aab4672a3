// End to end with the real fail2ban and the daemon: the Python action (stickyban.py) hands each ban
// to the daemon over its socket, inside fail2ban-server; no process per ban. When the daemon is
// stopped, or killed in the middle of a storm, the action runs `stickyban ban` itself: every ban
// fail2ban handed over is in the store.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ask } from '../../src/daemon/socket/client.js';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { startFail2ban, type Fail2ban } from '../helpers/fail2ban.js';
import { ipsetEntries } from '../helpers/ipset.js';
import { Netns } from '../helpers/netns.js';
import { count, query } from '../helpers/sqlite.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { stickybanWrapper } from '../helpers/wrapper.js';
import { initStore } from '../helpers/store.js';

const JAIL = 'storm';

/** n distinct addresses in 198.18.0.0/15 (benchmarking space, never a real host here). */
function addresses(n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => `198.18.${(i + offset) >> 8}.${(i + offset) & 255}`);
}

interface Setup {
  readonly netns: Netns;
  readonly db: string;
  readonly config: string;
  readonly calls: string;
  readonly fail2ban: Fail2ban;
  /** `stickyban ban` processes the action started (its fallback). */
  readonly fallbacks: () => number;
}

/**
 * A namespace with a restored blocklist, a daemon (unless `daemon` is false) and a fail2ban whose
 * jail uses stickyban.py beside fail2ban's own iptables action. Everything finds the store and the
 * daemon's socket through one config file, as on a host.
 */
async function setUp(daemon: boolean, actionOptions = ''): Promise<Setup & { readonly daemon?: RunningDaemon }> {
  const netns = await Netns.create();
  const dir = tempDir();
  const db = initStore(join(dir, 'stickyban.db'));
  const socket = join(dir, 'run', 'stickyban.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(config, `db = "${db}"\n[daemon]\nsocket = "${socket}"\n`);
  const calls = join(dir, 'calls.log');
  const stickyban = stickybanWrapper(dir, db, { callLog: calls });
  const env = { STICKYBAN_SOCKET: socket };
  assert.equal((await netns.cli(['--config', config, 'restore'])).code, 0);
  const running = daemon ? startDaemon(netns, ['--config', config, 'daemon', '--heal-interval', '1h'], env) : undefined;
  if (running) await until('the daemon to listen', () => running.log().includes('daemon: started'));
  const log = join(dir, 'empty.log');
  writeFileSync(log, '');
  const fail2ban = await startFail2ban(netns, dir, {
    env,
    jails: [
      `[${JAIL}]`,
      'enabled = true',
      'filter = sshd',
      'port = ssh',
      `logpath = ${log}`,
      'bantime = 1h',
      'action = %(action_)s',
      `         stickyban.py[stickyban="${stickyban}", config="${config}"${actionOptions}]`,
      '',
    ].join('\n'),
  });
  const fallbacks = () => (existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter((call) => call.includes(' ban ')).length : 0);
  return { netns, db, config, calls, fail2ban, fallbacks, ...(running ? { daemon: running } : {}) };
}

/**
 * Bans the addresses through fail2ban, as a storm does: one command, which fail2ban answers once its
 * actions have run for every address, one after another.
 */
async function storm(fail2ban: Fail2ban, banned: readonly string[]): Promise<void> {
  const result = await fail2ban.client('set', JAIL, 'banip', ...banned);
  assert.equal(result.code, 0, result.stderr);
}

describe('fail2ban with stickyban.py and the daemon', () => {
  test('a storm of 300 bans: each in the store and the live set, no process per ban; a restart replays them without a write', async () => {
    const { netns, db, fail2ban, fallbacks, daemon } = await setUp(true);
    try {
      const banned = addresses(300);
      await storm(fail2ban, banned);
      await fail2ban.waitFor('300 bans in the store', () => count(db, 'bans') === 300);
      await until('300 live entries', async () => (await ipsetEntries(netns, 'stickyban4')) === 300, 20_000);
      assert.deepEqual(query(db, 'SELECT DISTINCT jail, source, bantime, restored FROM bans'), [{ jail: JAIL, source: 'fail2ban', bantime: 3600, restored: 0 }]);
      assert.equal(fallbacks(), 0, 'every ban went through the daemon');
      const health = await ask(daemon!.socket, { op: 'health' });
      assert.ok(health.answered && health.response.ok);
      assert.equal(health.response.bans, 300);

      // fail2ban's restart replays its 300 active bans (<restored> = 1): the store already has them.
      const before = count(db, 'bans');
      assert.equal((await fail2ban.client('restart')).code, 0);
      await fail2ban.waitFor('300 replays', () => (fail2ban.log().match(/NOTICE {2}\[storm\] Restore Ban /g) ?? []).length === 300);
      await until('the replays answered', async () => {
        const after = await ask(daemon!.socket, { op: 'health' });
        return after.answered && after.response.ok && after.response.received === 600 && after.response.bans === 300;
      });
      assert.equal(count(db, 'bans'), before, 'replays add no events');
      assert.equal(fallbacks(), 0);
    } finally {
      daemon?.signal('SIGTERM');
    }
  });

  test('fail2ban reloaded (fail2ban-client reload, systemctl reload fail2ban) keeps the action in the jails it ran in', async () => {
    const { db, fail2ban, fallbacks, daemon } = await setUp(true);
    try {
      const actions = async () => (await fail2ban.client('get', JAIL, 'actions')).stdout;
      assert.match(await actions(), /stickyban/);
      for (const reload of [['reload'], ['reload', JAIL]]) {
        assert.equal((await fail2ban.client(...reload)).code, 0);
        assert.match(await actions(), /stickyban/, `after ${reload.join(' ')}`);
      }
      await storm(fail2ban, addresses(3, 4000));
      await fail2ban.waitFor('the bans after the reloads in the store', () => count(db, 'bans') === 3);
      assert.equal(fallbacks(), 0, 'through the daemon, as before the reloads');
    } finally {
      daemon?.signal('SIGTERM');
    }
  });

  test('a daemon that does not answer (stopped) costs one wait, not one a ban: the action and its command go around it for a while', async () => {
    const { db, fail2ban, fallbacks, daemon, calls } = await setUp(true, ', timeout="2"');
    try {
      daemon!.signal('SIGSTOP');
      const started = Date.now();
      await storm(fail2ban, addresses(4, 5000));
      const took = Date.now() - started;
      await fail2ban.waitFor('the 4 bans in the store', () => count(db, 'bans') === 4);
      assert.equal(fallbacks(), 4);
      // One wait of 2 s for the first; each ban after it went straight to the command, which did not ask the daemon either.
      assert.ok(took < 10_000, `${took} ms for 4 bans (a wait of the action's and one of the command's each: ~48 s)`);
      assert.equal(readFileSync(calls, 'utf8').split('\n').filter((call) => call.includes(' ban ') && call.includes('--direct')).length, 4);
      assert.match(fail2ban.log(), /the daemon on .* did not answer within 2\.0 s; running .* instead, and for the next 30 s/);
    } finally {
      daemon?.signal('SIGCONT');
      daemon?.signal('SIGTERM');
    }
  });

  test('without a daemon the action runs stickyban ban itself: every ban recorded and live', async () => {
    const { netns, db, fail2ban, fallbacks } = await setUp(false);
    const banned = addresses(20, 1000);
    await storm(fail2ban, banned);
    await fail2ban.waitFor('20 bans in the store', () => count(db, 'bans') === 20);
    assert.equal(fallbacks(), 20);
    await until('20 live entries', async () => (await ipsetEntries(netns, 'stickyban4')) === 20, 20_000);
  });

  test('the daemon killed (SIGKILL) in the middle of a storm, then started again: every ban fail2ban handed over is in the store', async () => {
    const { netns, db, config, fail2ban, fallbacks, daemon } = await setUp(true);
    const banned = addresses(600, 2000);
    const stormed = storm(fail2ban, banned);
    await until('some bans through the daemon', () => count(db, 'bans') >= 50, 30_000, 5);
    daemon!.signal('SIGKILL');
    await daemon!.exited;
    // The action runs the command meanwhile (a process per ban), until the daemon is back, as systemd brings it.
    await until('the action to run the command', () => fallbacks() >= 3, 30_000, 10);
    const again = startDaemon(netns, ['--config', config, 'daemon', '--heal-interval', '1h'], daemon!.env);
    try {
      await stormed;
      assert.equal((fail2ban.log().match(/NOTICE {2}\[storm\] Ban /g) ?? []).length, 600, 'fail2ban handed over all 600');
      await fail2ban.waitFor('600 bans in the store', () => count(db, 'bans') === 600);
      const stored = new Set(query<{ address: string }>(db, 'SELECT address FROM bans').map((row) => row.address));
      assert.deepEqual(banned.filter((address) => !stored.has(address)), [], 'none lost');
      assert.ok(fallbacks() < 600 - 50, `the action ran the command only while the daemon was away (${fallbacks()} times)`);
      const health = await ask(again.socket, { op: 'health' });
      assert.ok(health.answered && health.response.ok && Number(health.response.bans) > 0, 'the daemon took bans again once back');
    } finally {
      again.signal('SIGTERM');
    }
  });
});
