// The setups the README describes, and what reports on them: a backend that publishes only and a
// proxy that subscribes only; a host far behind (or new) catching up in bulk; doctor and the metrics
// file saying how far behind a host is, and that an unreachable database is a warning, not a failure.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ask } from '../../../src/daemon/socket/client.js';
import { ApplyLock } from '../../../src/store/lock.js';
import { startDaemon } from '../../helpers/daemon.js';
import { ipsetMembers } from '../../helpers/ipset.js';
import { appendLiftedReplay, fleetHost, initFleet, publishedHost } from '../../helpers/fleet.js';
import { startCluster, type Cluster } from '../../helpers/postgres.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

/**
 * A batch of a bulk catch-up (exchange.ts: BULK_BATCH, PULL_PAGE) in 15 pieces; small enough not to
 * load the machine for the other tests that run beside it.
 */
const SPREAD_EVENTS = 30_000;

/** `count` bans of host 'old' from all over the address space, as attackers come: the store's index is written all over. */
async function appendSpreadBans(cluster: Cluster, count: number): Promise<void> {
  await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, bantime)
    SELECT gen_random_uuid(), 'old', 'ban', ('0.0.0.0'::inet + (16777216 + (hashint4(i)::bigint & 2147483647) % 1000000000))::cidr, 'sshd', now(), 600
      FROM generate_series(1, ${count}) AS i`);
}

interface Finding {
  readonly status: string;
  readonly check: string;
  readonly detail: string;
  readonly fix?: string;
}

describe('fleet setups', () => {
  test('the backend publishes only, the proxy subscribes only: the ban found on the backend is enforced on the proxy, never the other way', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const backend = await fleetHost(cluster, admin, 'backend', 'subscribe = false\n');
    const proxy = await fleetHost(cluster, admin, 'proxy', 'publish = false\n');
    assert.equal((await backend.cli('ban', '203.0.113.10', '--jail', 'nginx-http-auth')).code, 0);
    assert.equal((await proxy.cli('ban', '203.0.113.20', '--jail', 'sshd')).code, 0);
    for (const host of [backend, proxy, backend]) assert.equal((await host.cli('fleet', 'sync')).code, 0);
    assert.deepEqual(await ipsetMembers(proxy.netns, 'stickyban4'), ['203.0.113.10', '203.0.113.20']);
    assert.deepEqual(await ipsetMembers(backend.netns, 'stickyban4'), ['203.0.113.10'], 'the backend applies nothing of the fleet');
    assert.equal(await cluster.sql("SELECT string_agg(origin, ',') FROM stickyban.events"), 'backend\n', 'the proxy publishes nothing');
    // Neither lags for what it does not do: the backend applies nothing, the proxy sends nothing.
    assert.equal((await proxy.cli('ban', '203.0.113.21', '--jail', 'sshd')).code, 0);
    const statusOf = async (host: typeof backend) => JSON.parse((await host.cli('fleet', 'status', '--json')).stdout) as { behind: number; waiting_to_publish: number };
    assert.equal((await statusOf(backend)).behind, 0);
    assert.equal((await statusOf(proxy)).waiting_to_publish, 0);
  });

  test('a new host bootstraps from the whole log in bulk and loads it in one restore; its daemon reports the fleet in its metrics', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    await publishedHost(cluster, admin, 'old', 12_000, 7);
    await appendLiftedReplay(cluster, '192.0.2.91');
    const fresh = await fleetHost(cluster, admin, 'fresh');
    const metrics = join(tempDir(), 'stickyban.prom');
    const daemon = startDaemon(fresh.netns, ['--config', fresh.config, 'daemon', '--heal-interval', '1s', '--metrics-file', metrics], fresh.env);
    try {
      // Each event applied once.
      await until('the bootstrap', () => /daemon: fleet: caught up on 12003 events in bulk, and restored the live set/.test(daemon.log()), 60_000);
      assert.equal(count(fresh.db, 'bans'), 12_002);
      assert.deepEqual(query(fresh.db, "SELECT restored, lifted_by FROM bans WHERE address = '192.0.2.91' ORDER BY restored"), [
        { restored: 0, lifted_by: 'fleet:admin' },
        { restored: 1, lifted_by: 'fleet:admin' },
      ]);
      assert.equal((await ipsetMembers(fresh.netns, 'stickyban4')).length, 12_000);
      await until('the fleet in the metrics', () => /^stickyban_fleet_applied_total 12003$/m.test(readFileSync(metrics, 'utf8')), 10_000);
      const text = readFileSync(metrics, 'utf8');
      assert.match(text, /^stickyban_fleet_connected 1$/m);
      assert.match(text, /^stickyban_fleet_waiting_events 0$/m);
      assert.match(text, /^stickyban_fleet_last_sync_timestamp_seconds \d+$/m);
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exited;
    }
  });

  test('`fleet sync` on a new host loads the log without the block index, then builds it and loads the kernel in one restore', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    await appendSpreadBans(cluster, 5000);
    const fresh = await fleetHost(cluster, admin, 'fresh');
    const synced = await fresh.cli('fleet', 'sync');
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stdout, /applied 5000 from other hosts \(in bulk, then restored the live set\)/);
    assert.equal(count(fresh.db, 'bans'), 5000);
    assert.equal(query(fresh.db, "SELECT sql FROM sqlite_master WHERE name = 'bans_by_block'").length, 1);
    assert.equal((await ipsetMembers(fresh.netns, 'stickyban4')).length, 5000);
  });

  test('a daemon catching up in bulk goes on serving: health is answered throughout, and the bans handed over meanwhile are recorded beside the log', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    await appendSpreadBans(cluster, SPREAD_EVENTS);
    const fresh = await fleetHost(cluster, admin, 'fresh');
    const daemon = startDaemon(fresh.netns, ['--config', fresh.config, 'daemon'], fresh.env);
    let health = 0;
    let bans = 0;
    try {
      await until('the daemon', () => /fleet: connected to/.test(daemon.log()), 20_000);
      for (let i = 0; !/fleet: caught up on/.test(daemon.log()); i++) {
        if (i % 10 === 9) {
          const reply = await ask(daemon.socket, { op: 'ban', address: `203.0.113.${(i + 1) / 10}`, jail: 'sshd', source: 'fail2ban', restored: '0' });
          assert.ok(reply.answered && reply.response.ok, JSON.stringify(reply));
          bans++;
        } else {
          assert.ok((await ask(daemon.socket, { op: 'health' })).answered);
          health++;
        }
        await sleep(10);
      }
      assert.match(daemon.log(), new RegExp(`caught up on ${SPREAD_EVENTS} events in bulk`));
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exited;
    }
    // How long they waited is measured by scratch runs, not here (a machine busy with other tests
    // stretches every wait): health 0.13 s at most, bans 0.2 s, where a batch recorded on the loop
    // kept health unanswered for 0.4-0.9 s at a time (fleet/bulk-catch-up.ts).
    assert.ok(health >= 20 && bans >= 3, `${health} health answers, ${bans} bans during the catch-up`);
    assert.equal(count(fresh.db, 'bans'), SPREAD_EVENTS + bans);
    assert.equal(count(fresh.db, 'bans', "source = 'fail2ban'"), bans, 'each once');
    const blocks = query<{ n: number }>(fresh.db, 'SELECT count(DISTINCT address) AS n FROM bans')[0]!.n;
    assert.equal((await ipsetMembers(fresh.netns, 'stickyban4')).length, blocks, 'the kernel blocks what the store holds');
  });

  test('SIGTERM during a bulk catch-up stops the daemon at once: the catch-up is left where it was, its restore owed', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    await appendSpreadBans(cluster, 100_000);
    const fresh = await fleetHost(cluster, admin, 'fresh');
    const daemon = startDaemon(fresh.netns, ['--config', fresh.config, 'daemon'], fresh.env);
    await until('the catch-up to record its first bans', () => count(fresh.db, 'bans') > 0, 30_000);
    daemon.signal('SIGTERM');
    assert.equal(await daemon.exited, 0);
    // Before, the stop waited for the rest of the catch-up, inserts and restore, past its 3 s grace.
    assert.doesNotMatch(daemon.log(), /did not stop within/);
    assert.ok(count(fresh.db, 'bans') < 100_000, 'stopped part way');
    assert.equal(query<{ n: number }>(fresh.db, "SELECT count(*) AS n FROM fleet_state WHERE key = 'restore_owed'")[0]!.n, 1);
  });

  test('a restore owed after a catch-up that keeps failing is said once, and stays owed', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    await publishedHost(cluster, admin, 'old', 2500, 8);
    const fresh = await fleetHost(cluster, admin, 'fresh');
    // A set of another type under stickyban's IPv4 name: every restore refuses to load over it.
    await fresh.netns.exec('iptables', ['-F']);
    await fresh.netns.exec('iptables', ['-X']);
    await fresh.netns.exec('ipset', ['destroy', 'stickyban4']);
    await fresh.netns.exec('ipset', ['create', 'stickyban4', 'hash:ip']);
    const daemon = startDaemon(fresh.netns, ['--config', fresh.config, 'daemon', '--heal-interval', '1h'], fresh.env);
    try {
      await until('the failed restore', () => /daemon: fleet: sync failed: restoring after a catch-up: .*stickyban4 exists as hash:ip/.test(daemon.log()), 30_000);
      assert.equal(count(fresh.db, 'bans'), 2500, 'the catch-up itself is recorded');
      // The daemon syncs every second here (poll_interval): the same failure is not said again.
      await new Promise((done) => setTimeout(done, 4000));
      assert.equal(daemon.log().match(/fleet: sync failed/g)?.length, 1, daemon.log());
      assert.deepEqual(query(fresh.db, "SELECT value FROM fleet_state WHERE key = 'restore_owed'"), [{ value: '1' }]);
    } finally {
      daemon.signal('SIGTERM');
      await daemon.exited;
    }
    assert.equal(daemon.log().match(/fleet: sync failed/g)?.length, 1, 'nothing more said when it stopped');
  });

  test('a daemon whose store a `fleet sync` is reading the log into says so once, not as a failure, and pulls after it', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    await publishedHost(cluster, admin, 'old', 10, 9);
    const fresh = await fleetHost(cluster, admin, 'fresh');
    // As a `fleet sync` run by hand holds it while it reads.
    const held = await ApplyLock.acquire(fresh.db, { kind: 'pull' });
    const daemon = startDaemon(fresh.netns, ['--config', fresh.config, 'daemon', '--heal-interval', '1h'], fresh.env);
    try {
      await until('the daemon to meet the held lock', () => /is reading the fleet log into this store/.test(daemon.log()), 15_000);
      // It syncs every second here (poll_interval): still one line.
      await sleep(2500);
      assert.equal(daemon.log().match(/reading the fleet log/g)?.length, 1, daemon.log());
      assert.doesNotMatch(daemon.log(), /sync failed/);
      assert.equal(count(fresh.db, 'bans'), 0);
      held.release();
      await until('the pull after it', () => count(fresh.db, 'bans') === 10, 15_000);
    } finally {
      held.release();
      daemon.signal('SIGTERM');
      await daemon.exited;
    }
  });

  test('doctor: OK with how far behind the host is; WARN when the database is away (bans go on); FAIL without a schema', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const [a, b] = [await fleetHost(cluster, admin, 'host-a'), await fleetHost(cluster, admin, 'host-b')];
    assert.equal((await a.cli('ban', '192.0.2.44')).code, 0);
    assert.equal((await a.cli('fleet', 'sync')).code, 0);
    const fleet = async () => (JSON.parse((await b.cli('doctor', '--json')).stdout) as Finding[]).find((finding) => finding.check === 'fleet')!;
    const behind = await fleet();
    assert.equal(behind.status, 'OK');
    assert.match(behind.detail, /as host host-b: 1 event of other hosts not applied, 0 local ones not published$/);
    await cluster.stop();
    const away = await fleet();
    assert.equal(away.status, 'WARN', away.detail);
    assert.match(away.detail, /cannot connect to the fleet database .*: bans are recorded here and published when it is back$/);
    assert.equal((await b.cli('ban', '192.0.2.45')).code, 0, 'a ban does not wait for the database');
    await cluster.start();
    await cluster.sql('DROP SCHEMA stickyban CASCADE');
    const bare = await fleet();
    assert.equal(bare.status, 'FAIL', bare.detail);
    assert.match(bare.detail, /has no stickyban schema: run stickyban fleet init with its admin role$/);
  });
});
