// The fleet end to end: three hosts, three namespaces, three stores and daemons, one PostgreSQL
// cluster of the test's own. A ban by the command-line hook on host A drops an attacker's packets on
// host B within 2 s; C's safelist wins on C; with the database stopped while A and B ban, every host
// converges once it is back, each event exactly once.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipsetMembers } from '../../helpers/ipset.js';
import { fleetHost, initFleet } from '../../helpers/fleet.js';
import { startCluster } from '../../helpers/postgres.js';
import { banEvent } from '../../helpers/seed.js';
import { count, query } from '../../helpers/sqlite.js';
import { Store } from '../../../src/store/store.js';
import { until } from '../../helpers/until.js';
import { pings, wire } from '../../helpers/veth.js';

const ATTACKER = '198.51.100.66';

describe('the fleet', () => {
  test('a ban on A is dropped on B within 2 s; C safelists it and never enforces it; each host records it once', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const [a, b, c] = [await fleetHost(cluster, admin, 'host-a'), await fleetHost(cluster, admin, 'host-b'), await fleetHost(cluster, admin, 'host-c')];
    assert.equal((await c.cli('safelist', 'add', ATTACKER, '--note', 'our partner')).code, 0);
    const link = await wire(b.netns, [ATTACKER]);
    assert.equal(await pings(link, ATTACKER), true, 'B answers the attacker before any ban');
    const daemons = [await a.startDaemon(), await b.startDaemon(), await c.startDaemon()];
    try {
      const started = Date.now();
      // fail2ban's command action on A (its daemon takes it and publishes it).
      const banned = await a.cli('ban', ATTACKER, '--jail', 'sshd', '--bantime', '600', '--source', 'fail2ban');
      assert.equal(banned.code, 0, banned.stderr);
      await until('the ban live on B', async () => (await ipsetMembers(b.netns, 'stickyban4')).includes(ATTACKER), 2000, 20);
      const took = Date.now() - started;
      assert.equal(await pings(link, ATTACKER), false, 'B drops the attacker');
      assert.ok(took <= 2000, `live on B ${took} ms after the ban on A`);

      await until('the ban recorded on C', () => count(c.db, 'bans', `address = '${ATTACKER}'`) === 1);
      assert.deepEqual(await ipsetMembers(c.netns, 'stickyban4'), [], 'safelisted on C: recorded, never live');
      for (const host of [b, c]) {
        assert.deepEqual(query(host.db, 'SELECT jail, source, origin, bantime FROM bans'), [{ jail: 'sshd', source: 'fleet:host-a', origin: 'host-a', bantime: 600 }]);
      }
      // The same event id everywhere, and A does not take its own event back.
      const ids = [a, b, c].map((host) => query<{ id: string }>(host.db, 'SELECT hex(uuid) AS id FROM bans')[0]!.id);
      assert.equal(new Set(ids).size, 1);
      assert.equal(count(a.db, 'bans'), 1);
      assert.equal(await cluster.sql("SELECT count(*) FROM stickyban.events WHERE kind = 'ban'"), '1\n');
    } finally {
      for (const daemon of daemons) daemon.signal('SIGTERM');
      await Promise.all(daemons.map((daemon) => daemon.exited));
    }
  });

  test('a ban another process records beside the daemon (an import, a hook that spooled) is published within a second, long before the next poll', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const a = await fleetHost(cluster, admin, 'host-a', 'poll_interval = "60s"\n');
    const daemon = await a.startDaemon();
    const other = Store.open({ path: a.db, busyTimeoutMs: 5000 });
    try {
      // Past the sync the daemon makes as it connects.
      await new Promise((done) => setTimeout(done, 1000));
      const started = Date.now();
      other.write(() => other.bans.insert(banEvent('192.0.2.55')));
      await until('the ban in the log', async () => (await cluster.sql("SELECT count(*) FROM stickyban.events WHERE address = '192.0.2.55'")) === '1\n', 2000, 20);
      assert.ok(Date.now() - started < 2000);
    } finally {
      other.close();
      daemon.signal('SIGTERM');
      await daemon.exited;
    }
  });

  test('with PostgreSQL stopped while A and B ban, nothing local waits; once it is back every host converges, each event once', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const [a, b, c] = [await fleetHost(cluster, admin, 'host-a'), await fleetHost(cluster, admin, 'host-b'), await fleetHost(cluster, admin, 'host-c')];
    const daemons = [await a.startDaemon(), await b.startDaemon(), await c.startDaemon()];
    try {
      await cluster.stop();
      await until('the daemons to notice', () => daemons.every((daemon) => /daemon: fleet: connection lost/.test(daemon.log())), 20_000);
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        for (const [host, block] of [[a, 1], [b, 2]] as const) {
          const banned = await host.cli('ban', `192.0.${block}.${i + 1}`, '--jail', 'sshd');
          assert.equal(banned.code, 0, banned.stderr);
        }
      }
      assert.ok(Date.now() - started < 20_000, 'bans did not wait for the database');
      assert.deepEqual([count(a.db, 'bans'), count(b.db, 'bans'), count(c.db, 'bans')], [20, 20, 0]);
      await cluster.start();
      for (const host of [a, b, c]) await until(`${host.name} to converge`, () => count(host.db, 'bans') === 40, 30_000);
      for (const daemon of daemons) assert.match(daemon.log(), /daemon: fleet: connected again to/);
      assert.equal(await cluster.sql('SELECT count(*) FROM stickyban.events'), '40\n');
      await until('every ban live on C', async () => (await ipsetMembers(c.netns, 'stickyban4')).length === 40, 10_000);
    } finally {
      for (const daemon of daemons) daemon.signal('SIGTERM');
      await Promise.all(daemons.map((daemon) => daemon.exited));
    }
  });
});
