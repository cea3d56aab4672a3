// A `fleet sync` killed between recording a page of the fleet's bans and its live update: the page
// is read again by the next sync, which finds its bans recorded already and adds nothing live. The
// live update owed is noted with the bans, so it is found and paid: by doctor and restore
// --if-missing as for any command, and by the next sync itself (a host on a timer has no daemon).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetHost, initFleet, publishedHost } from '../../helpers/fleet.js';
import { killedWhen, killLeftovers, nftHosts, stuckNft } from '../../helpers/killed.js';
import { startCluster } from '../../helpers/postgres.js';
import { count } from '../../helpers/sqlite.js';
import { tempDir } from '../../helpers/tmp.js';

test('nftables: a fleet sync killed before its live update is owed; doctor fails, and the next sync restores the bans it recorded', async () => {
  const cluster = await startCluster();
  const admin = await initFleet(cluster);
  await publishedHost(cluster, admin, 'old', 5, 61);
  const host = await fleetHost(cluster, admin, 'new', '', 'backend = "nftables"\n');
  await killedWhen(host.netns, ['--config', host.config, 'fleet', 'sync'], stuckNft(tempDir()), 'the sync to record the bans', async () => count(host.db, 'bans') === 5 || undefined);
  await killLeftovers(host.netns);
  assert.equal(await nftHosts(host.netns), 0, 'recorded, not live');
  const doctor = await host.cli('doctor');
  assert.match(doctor.stdout, /^FAIL +the live set: lags the store: the fleet sync of 5 bans of pid \d+ ended before its live update/m);
  const again = await host.cli('fleet', 'sync');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^fleet: the live set lags the store: the fleet sync of 5 bans of pid \d+ ended before its live update; restoring it from the store$/m);
  assert.equal(await nftHosts(host.netns), 5);
  assert.doesNotMatch((await host.cli('doctor')).stdout, /lags the store/, 'paid');
});
