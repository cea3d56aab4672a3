// Work killed half way leaves the live set out of line with the store while every set, chain and
// rule is in place: an import killed during its live update (its bans recorded, not live) and a
// prune killed between its deletions and its live update (pruned addresses still live, which no
// later prune removes). restore --if-missing, the import run again and the daemon's check compare
// the live entry counts with the plan's and bring the set back in line (issue 17, item 8).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { test } from 'node:test';
import { sh } from '../../helpers/cli.js';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { ipsetEntries } from '../../helpers/ipset.js';
import { killedWhen, killLeftovers, nftHosts, stuckNft } from '../../helpers/killed.js';
import { Netns } from '../../helpers/netns.js';
import { manyIPv4, seedBans } from '../../helpers/seed.js';
import { count } from '../../helpers/sqlite.js';
import { configuredNewStore, tempStore } from '../../helpers/store.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const IMPORTED = 50_000;


/** A live set of one ban, and an import of IMPORTED more killed while it loads them into the live set. */
async function importKilledWhileLoading(): Promise<{ netns: Netns; db: string; list: string }> {
  const netns = await Netns.create();
  const db = tempStore();
  for (const args of [['ban', '192.0.2.1'], ['restore']]) assert.equal((await netns.cli(['--db', db, ...args])).code, 0);
  const list = join(tempDir(), 'list.txt');
  writeFileSync(list, `${[...manyIPv4(IMPORTED)].join('\n')}\n`);
  const tempSet = async () => /^stickyban4-t\d+$/m.test(await netns.exec('ipset', ['list', '-n'])) || undefined;
  await killedWhen(netns, ['--db', db, 'import', list, '--format', 'plain'], {}, 'the import to load its temporary set', tempSet);
  assert.equal(count(db, 'bans'), IMPORTED + 1, 'every ban recorded');
  assert.equal(await ipsetEntries(netns, 'stickyban4'), 1, 'none of them live');
  return { netns, db, list };
}

test('an import killed during its live update: restore --if-missing sees the set short of the store and restores it', async () => {
  const { netns, db } = await importKilledWhileLoading();
  const healed = await netns.cli(['--db', db, 'restore', '--if-missing']);
  assert.equal(healed.code, 0, healed.stderr);
  assert.match(healed.stdout, new RegExp(`^missing: ipset stickyban4 holds 1 entry, but the store plans ${IMPORTED + 1}, the live set lags the store: the import of .*list\\.txt of pid \\d+ ended before its live update\\n`));
  assert.match(healed.stdout, new RegExp(`restored ${IMPORTED + 1} IPv4 and 0 IPv6 entries with ipset`));
  assert.equal(await ipsetEntries(netns, 'stickyban4'), IMPORTED + 1);
  assert.equal((await netns.cli(['--db', db, 'restore', '--if-missing'])).stdout, 'the blocklist is in place; nothing to restore\n');
});

test('an import killed during its live update, run again: nothing added, and it says it brought the live set in line', async () => {
  const { netns, db, list } = await importKilledWhileLoading();
  const again = await netns.cli(['--db', db, 'import', list, '--format', 'plain']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, new RegExp(`^live set brought back in line with the store \\(ipset stickyban4 holds 1 entry, but the store plans ${IMPORTED + 1}, the live set lags the store: the import of .*list\\.txt of pid \\d+ ended before its live update\\): ${IMPORTED + 1} IPv4 and 0 IPv6 entries with ipset$`, 'm'));
  assert.equal(await ipsetEntries(netns, 'stickyban4'), IMPORTED + 1);
});

test('a prune killed before its live update: the daemon sees the pruned addresses still live and restores', async () => {
  const netns = await Netns.create();
  const db = tempStore();
  const DAY = 86_400;
  const now = Date.parse('2026-11-21T12:00:00Z') / 1000;
  const env = { STICKYBAN_NOW: String(now) };
  seedBans(db, [...manyIPv4(40_000)].map((address) => ({ address, bannedAt: now - 10 * DAY })));
  seedBans(db, [{ address: '192.0.2.1', bannedAt: now }]);
  assert.equal((await netns.cli(['--db', db, 'restore'], { env })).code, 0);
  assert.equal(await ipsetEntries(netns, 'stickyban4'), 40_001);
  await whileDaemonRuns(netns, ['--db', db, 'daemon', '--heal-interval', '1s'], async (daemon) => {
    await until('the first reconcile', () => daemon.log().includes('daemon: reconciled at start: the live set matched the store'));
    await killedWhen(netns, ['--db', db, 'prune', '--older-than', '1d'], env, 'the prune to delete some', async () => count(db, 'bans') < 30_000 || undefined);
    const stored = count(db, 'bans');
    assert.ok(stored > 1 && stored < 30_000, `pruned half way: ${stored} left`);
    await until('the repair', () => /daemon: repaired: /.test(daemon.log()) || undefined);
    assert.match(daemon.log(), new RegExp(`daemon: repaired: ipset stickyban4 holds 40001 entries, but the store plans ${stored}, the live set lags the store: the prune of pid \\d+ ended before its live update; restored ${stored} IPv4 and 0 IPv6 entries`));
    assert.equal(await ipsetEntries(netns, 'stickyban4'), stored);
  }, env);
});


test('nftables, which counts no entries: an import killed before its live update is owed, and restore --if-missing pays it', async () => {
  const netns = await Netns.create();
  const { dir, db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  for (const args of [['ban', '192.0.2.1'], ['restore']]) assert.equal((await cli(...args)).code, 0);
  const list = join(dir, 'list.txt');
  writeFileSync(list, `${[...manyIPv4(IMPORTED)].join('\n')}\n`);
  await killedWhen(netns, ['--db', db, '--config', config, 'import', list, '--format', 'plain'], {}, 'the import to record its first bans', async () => count(db, 'bans') > 1 || undefined);
  const recorded = count(db, 'bans');
  assert.equal(await nftHosts(netns), 1, 'none of them live');
  const doctor = await cli('doctor');
  assert.match(doctor.stdout, /^FAIL +the live set: lags the store: the import of .*list\.txt of pid \d+ ended before its live update \(fix: stickyban restore --if-missing/m);
  const healed = await cli('restore', '--if-missing');
  assert.equal(healed.code, 0, healed.stderr);
  assert.match(healed.stdout, /^missing: the live set lags the store: the import of .*list\.txt of pid \d+ ended before its live update\n/);
  assert.equal(await nftHosts(netns), recorded);
  assert.equal((await cli('restore', '--if-missing')).stdout, 'the blocklist is in place; nothing to restore\n');
});

test('routes: a restore killed half way through loading is owed, and restore --if-missing pays it', async () => {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore('backend = "route"\n');
  seedBans(db, [...manyIPv4(40_000)].map((address) => ({ address })));
  const routes = async () => (await netns.exec('ip', ['-4', 'route', 'show', 'type', 'blackhole'])).split('\n').filter(Boolean).length;
  await killedWhen(netns, ['--db', db, '--config', config, 'restore'], {}, 'the restore to load some routes', async () => (await routes()) > 100 || undefined);
  await until('the orphaned ip to end', async () => !(await sh('ip', ['netns', 'pids', netns.name])).trim() || undefined);
  const partial = await routes();
  assert.ok(partial < 40_000, `killed half way: ${partial} routes`);
  const healed = await netns.cli(['--db', db, '--config', config, 'restore', '--if-missing']);
  assert.equal(healed.code, 0, healed.stderr);
  assert.match(healed.stdout, /^missing: the live set lags the store: the restore of pid \d+ ended before its live update\n/);
  assert.equal(await routes(), 40_000);
  assert.equal((await netns.cli(['--db', db, '--config', config, 'restore', '--if-missing'])).stdout, 'the blocklist is in place; nothing to restore\n');
});

test('nftables: a ban or a safelisting killed between its commit and its live update is owed; doctor fails, and restore --if-missing pays it', async () => {
  const netns = await Netns.create();
  const { dir, db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  for (const args of [['ban', '192.0.2.1'], ['ban', '192.0.2.3'], ['restore']]) assert.equal((await cli(...args)).code, 0);
  const stuck = stuckNft(dir);
  await killedWhen(netns, ['--db', db, '--config', config, 'ban', '192.0.2.2'], stuck, 'the ban to be recorded', async () => count(db, 'bans') === 3 || undefined);
  await killLeftovers(netns);
  assert.equal(await nftHosts(netns), 2, 'recorded, not live');
  const doctor = await cli('doctor');
  assert.match(doctor.stdout, /^FAIL +the live set: lags the store: the ban of 192\.0\.2\.2 of pid \d+ ended before its live update/m);
  const healed = await cli('restore', '--if-missing');
  assert.equal(healed.code, 0, healed.stderr);
  assert.match(healed.stdout, /^missing: the live set lags the store: the ban of 192\.0\.2\.2 of pid \d+ ended before its live update\n/);
  assert.equal(await nftHosts(netns), 3);
  // A safelisted address must never stay live: one killed before it left the set is owed too.
  await killedWhen(netns, ['--db', db, '--config', config, 'safelist', 'add', '192.0.2.3'], stuck, 'the safelisting to be recorded', async () => count(db, 'safelist', "address = '192.0.2.3'") === 1 || undefined);
  await killLeftovers(netns);
  assert.equal(await nftHosts(netns), 3, 'safelisted, still live');
  const again = await cli('restore', '--if-missing');
  assert.match(again.stdout, /^missing: the live set lags the store: the safelisting of 192\.0\.2\.3 of pid \d+ ended before its live update\n/);
  assert.equal(await nftHosts(netns), 2);
  assert.equal((await cli('restore', '--if-missing')).stdout, 'the blocklist is in place; nothing to restore\n');
});

test('nftables: spooled bans folded in by a command killed before their live update are owed; doctor fails, and restore --if-missing pays them', async () => {
  const netns = await Netns.create();
  const { dir, db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  for (const args of [['ban', '192.0.2.1'], ['restore']]) assert.equal((await cli(...args)).code, 0);
  // As the hook spools a ban when the store is locked past its wait.
  writeFileSync(`${db}.spool`, '{"uuid":"0190b6c4-7d1e-7c3a-9b1e-000000000001","origin":"web-1","address":"192.0.2.9","jail":"sshd","banned_at":1795251309,"bantime":600,"source":"fail2ban","reason":null,"restored":false}\n');
  // Any command that writes folds the spool first: this one is held by nft right after the fold.
  await killedWhen(netns, ['--db', db, '--config', config, 'ban', '192.0.2.2'], stuckNft(dir), 'the spooled ban to be folded in', async () => count(db, 'bans') === 2 || undefined);
  await killLeftovers(netns);
  assert.equal(await nftHosts(netns), 1, 'folded in, not live');
  const doctor = await cli('doctor');
  assert.match(doctor.stdout, /^FAIL +the live set: lags the store: the fold of 1 spooled ban of pid \d+ ended before its live update/m);
  const healed = await cli('restore', '--if-missing');
  assert.equal(healed.code, 0, healed.stderr);
  assert.equal(await nftHosts(netns), 2);
});

test('nftables: a note whose pid another process holds by now is still owed: doctor fails, and restore --if-missing pays it', async () => {
  const netns = await Netns.create();
  const { dir, db, config } = configuredNewStore('backend = "nftables"\n');
  const cli = (...args: string[]) => netns.cli(['--db', db, '--config', config, ...args]);
  for (const args of [['ban', '192.0.2.1'], ['restore']]) assert.equal((await cli(...args)).code, 0);
  await killedWhen(netns, ['--db', db, '--config', config, 'ban', '192.0.2.2'], stuckNft(dir), 'the ban to be recorded', async () => count(db, 'bans') === 2 || undefined);
  await killLeftovers(netns);
  // The kernel hands the id out again: a process started since holds it.
  const holder = spawn('sleep', ['60']);
  try {
    const store = new Database(db);
    store.prepare('UPDATE live_owed SET pid = ?').run(holder.pid);
    store.close();
    const doctor = await cli('doctor');
    assert.match(doctor.stdout, new RegExp(`^FAIL +the live set: lags the store: the ban of 192\\.0\\.2\\.2 of pid ${holder.pid} ended before its live update`, 'm'));
    const healed = await cli('restore', '--if-missing');
    assert.match(healed.stdout, /^missing: the live set lags the store: the ban of 192\.0\.2\.2 /);
    assert.equal(await nftHosts(netns), 2);
  } finally {
    holder.kill('SIGKILL');
  }
});
