// What the fleet's events do to the live set, beside what they do to the store: a catch-up in bulk
// ends in a restore, so its lifts and safelist changes wait for it (the set it found is sized for
// what it held); a ban found elsewhere long ago is history here, never added live.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipsetEntries } from '../../helpers/ipset.js';
import { fleetHost, initFleet } from '../../helpers/fleet.js';
import { startCluster } from '../../helpers/postgres.js';
import { count } from '../../helpers/sqlite.js';

describe('the fleet and the live set', () => {
  test('a new host bootstraps in one sync from a log whose safelist change, applied half-way, would not fit the set it found', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const b = await fleetHost(cluster, admin, 'host-b');
    // 70,000 bans in 70.0.0.0/15, then that range safelisted and freed again: freed half-way through
    // the catch-up, its bans went back into the set a new host's restore made (65,536 at most).
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, bantime, source)
      SELECT gen_random_uuid(), 'host-a', 'ban', ('70.' || (g >> 16) || '.' || ((g >> 8) & 255) || '.' || (g & 255))::cidr, 'sshd', now(), 86400, 'fail2ban'
        FROM generate_series(0, 69999) AS g`);
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, at) VALUES (gen_random_uuid(), 'host-a', 'safelist-add', '70.0.0.0/15', now())`);
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, at) VALUES (gen_random_uuid(), 'host-a', 'safelist-remove', '70.0.0.0/15', now())`);
    const synced = await b.cli('fleet', 'sync');
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stdout, /applied 70002 from other hosts \(in bulk, then restored the live set\)/);
    assert.equal(count(b.db, 'bans'), 70_000);
    assert.equal(await ipsetEntries(b.netns, 'stickyban4'), 70_000);
    const doctor = await b.cli('doctor');
    assert.match(doctor.stdout, /^OK +IPv4 entries: 70000 live, as planned from the store$/m, doctor.stdout);
  });

  test('a ban another host found longer ago than the retention is recorded, never added live: the plan has none of it', async () => {
    const cluster = await startCluster();
    const admin = await initFleet(cluster);
    const b = await fleetHost(cluster, admin, 'host-b');
    await cluster.sql(`INSERT INTO stickyban.events (uuid, origin, kind, address, jail, at, bantime, source) VALUES
      (gen_random_uuid(), 'host-a', 'ban', '198.51.100.7', 'sshd', now() - interval '200 days', 86400, 'fail2ban'),
      (gen_random_uuid(), 'host-a', 'ban', '198.51.100.8', 'sshd', now(), 86400, 'fail2ban')`);
    const synced = await b.cli('fleet', 'sync');
    assert.equal(synced.code, 0, synced.stderr);
    assert.equal(count(b.db, 'bans'), 2);
    const members = (await b.netns.exec('ipset', ['list', 'stickyban4'])).split('\n');
    assert.ok(members.includes('198.51.100.8'), 'the recent one is live');
    assert.ok(!members.includes('198.51.100.7'), 'the old one is history');
    const doctor = await b.cli('doctor');
    assert.match(doctor.stdout, /^OK +IPv4 entries: 1 live, as planned from the store$/m, doctor.stdout);
  });
});
