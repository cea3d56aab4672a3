import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ipsetMembers } from '../../helpers/ipset.js';
import { Netns } from '../../helpers/netns.js';
import { manyIPv4, seedBans } from '../../helpers/seed.js';
import { count, query } from '../../helpers/sqlite.js';
import { tempDb } from '../../helpers/tmp.js';
import { prune } from '../../../src/actions/prune.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { DEFAULTS } from '../../../src/config/config.js';
import { run, type Runner } from '../../../src/exec/run.js';
import type { FirewallBackend } from '../../../src/firewall/backend.js';
import { IpsetBackend } from '../../../src/firewall/ipset/backend.js';
import type { Delta } from '../../../src/plan/diff.js';
import { Store } from '../../../src/store/store.js';
import { tempStore } from '../../helpers/store.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { whileDaemonRuns } from '../../helpers/daemon.js';
import { tempDir } from '../../helpers/tmp.js';
import { until } from '../../helpers/until.js';

const DAY = 86_400;
const NOW = Date.parse('2026-11-21T12:00:00Z') / 1000;
const at = (daysAgo: number) => String(NOW - daysAgo * DAY);

/** A namespace, a store, and the CLI on that store at a given time (STICKYBAN_NOW), exit 0 expected. */
async function storeAt(): Promise<{ netns: Netns; db: string; cli: (when: string, ...args: string[]) => Promise<string> }> {
  const netns = await Netns.create();
  const db = tempStore();
  const cli = async (when: string, ...args: string[]) => {
    const result = await netns.cli(['--db', db, ...args], { env: { STICKYBAN_NOW: when } });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return { netns, db, cli };
}

describe('prune', () => {
  test('removes exactly the addresses last banned before the retention, from the store and the live set', async () => {
    const { netns, db, cli } = await storeAt();
    const fail2ban = ['--jail', 'sshd', '--source', 'fail2ban'];
    await cli(at(400), 'ban', '203.0.113.1', ...fail2ban); // old
    await cli(at(200), 'ban', '203.0.113.2', ...fail2ban); // old
    await cli(at(200), 'ban', '203.0.113.3', ...fail2ban); // old, but banned again recently
    await cli(at(10), 'ban', '203.0.113.3', ...fail2ban);
    await cli(at(179), 'ban', '203.0.113.4', ...fail2ban); // inside the retention
    await cli(at(300), 'ban', '2001:db8::1', ...fail2ban); // old IPv6
    await cli(at(300), 'ban', '203.0.113.5'); // old, but manual
    await cli(at(300), 'ban', '203.0.113.6', ...fail2ban, '--bantime', '-1'); // old, but banned forever
    await cli(at(300), 'ban', '192.0.2.7', ...fail2ban); // old, but safelisted: history kept
    await cli(at(1), 'safelist', 'add', '192.0.2.0/24');
    // A restore long ago put everything live; the live set now holds aged-out entries.
    await cli(at(500), 'restore');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6']);
    const events = count(db, 'bans');

    const dry = await cli(String(NOW), 'prune', '--dry-run', '--verbose');
    assert.match(dry, /dry run: would prune 3 addresses \(3 events\) last banned before 2026-05-25T12:00:00Z \(180d ago\); kept the history of 1 safelisted/);
    assert.match(dry, /^ {2}203\.0\.113\.1$/m);
    assert.equal(count(db, 'bans'), events, 'dry run changes nothing');
    assert.equal((await ipsetMembers(netns, 'stickyban4')).length, 6);

    const done = await cli(String(NOW), 'prune');
    assert.match(done, /pruned 3 addresses \(3 events\) .*; up to 3 live entries removed; kept the history of 1 safelisted/);
    assert.deepEqual(query(db, 'SELECT DISTINCT address FROM bans ORDER BY address').map((row) => row.address), ['192.0.2.7', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6']);
    assert.equal(count(db, 'bans', "address = '203.0.113.3'"), 2, 'a re-banned address keeps its whole history');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6']);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban6'), []);

    assert.match(await cli(String(NOW), 'prune', '--older-than', '90d', '--include-manual'), /pruned 3 addresses/);
    assert.deepEqual(query(db, "SELECT DISTINCT address FROM bans WHERE address LIKE '203.%' ORDER BY address").map((row) => row.address), ['203.0.113.3']);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.3']);
    assert.match(await cli(String(NOW), 'prune'), /nothing to prune/);
  });

  test('prune --json: the line as summary, and its figures; the daemon prunes on its schedule and its metrics read them', async () => {
    const { netns, db, cli } = await storeAt();
    const now = String(Math.floor(Date.now() / 1000));
    const ago = (days: number) => String(Number(now) - days * DAY);
    await cli(ago(400), 'ban', '203.0.113.1', '--jail', 'sshd', '--source', 'fail2ban');
    await cli(ago(400), 'ban', '203.0.113.2', '--jail', 'sshd', '--source', 'fail2ban');
    await cli(now, 'restore');
    const dry = JSON.parse(await cli(now, 'prune', '--json', '--dry-run')) as Record<string, unknown>;
    assert.deepEqual({ ...dry, summary: undefined }, { summary: undefined, pruned: 2, events: 2, dry_run: true, live_removed: null, kept_safelisted: 0 });
    assert.match(String(dry.summary), /^dry run: would prune 2 addresses \(2 events\) last banned before /);
    const refused = await netns.cli(['--db', db, 'prune', '--json', '--verbose']);
    assert.deepEqual([refused.code, refused.stderr], [2, 'stickyban: prune: --json and --verbose together: --verbose lists the addresses as text (expected one of them)\n']);
    assert.equal(count(db, 'bans'), 2);

    await cli(ago(400), 'ban', '203.0.113.3', '--jail', 'sshd', '--source', 'fail2ban');
    const dir = tempDir();
    const config = join(dir, 'stickyban.toml');
    const metrics = join(dir, 'stickyban.prom');
    writeFileSync(config, `[daemon]\nprune_schedule = "* * * * * *"\nmetrics_file = "${metrics}"\n`);
    await whileDaemonRuns(netns, ['--db', db, '--config', config, 'daemon', '--heal-interval', '1h'], async (running) => {
      await until('a scheduled prune in the metrics', () => existsSync(metrics) && /^stickyban_last_prune_addresses 3$/m.test(readFileSync(metrics, 'utf8')), 10_000);
      assert.match(running.log(), /daemon: prune: pruned 3 addresses \(3 events\) last banned before .*; up to 3 live entries removed\n/);
    });
    assert.equal(count(db, 'bans'), 0);
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), []);
  });

  test('a hook that bans a pruned address again between the plan and the live update keeps it live', async () => {
    const { netns, db, cli } = await storeAt();
    await cli(at(300), 'ban', '203.0.113.1', '--jail', 'sshd', '--source', 'fail2ban');
    await cli(at(300), 'restore');
    // The prune runs here, with the real ipset backend in the namespace; the real hook bans the
    // address again just before the live update, where only the catch-up can see it.
    const inNetns: Runner = (file, args, options) => run('ip', ['netns', 'exec', netns.name, file, ...args], options);
    const ipset = new IpsetBackend(DEFAULTS.ipset, inNetns);
    let raced = false;
    const racing: FirewallBackend = Object.assign(Object.create(ipset) as FirewallBackend, {
      update: async (delta: Delta) => {
        if (!raced) await cli(String(NOW), 'ban', '203.0.113.1', '--jail', 'sshd', '--source', 'fail2ban');
        raced = true;
        return ipset.update(delta);
      },
    });
    const store = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
    try {
      const pruned: string[] = [];
      const report = await prune(store, DEFAULTS, NOW, racing, { olderThan: 180 * DAY, includeManual: false, dryRun: false, onPruned: (addresses) => void pruned.push(...addresses) });
      assert.deepEqual([report.pruned, pruned], [1, ['203.0.113.1']]);
    } finally {
      store.close();
    }
    assert.equal(count(db, 'bans'), 1, 'the new ban is stored');
    assert.deepEqual(await ipsetMembers(netns, 'stickyban4'), ['203.0.113.1'], 'and live');
  });

  test('stale blocks are read and deleted a page at a time: exactly the stale ones go, across pages', async () => {
    const db = tempDb();
    // 7000 addresses over four pages of blocks; every third recent, a /24 of them safelisted.
    const addresses = [...manyIPv4(7000)];
    const fresh = (i: number) => i % 3 === 0;
    seedBans(db, addresses.map((address, i) => ({ address, bannedAt: NOW - (fresh(i) ? 10 : 365) * DAY })));
    const store = Store.open({ path: db, busyTimeoutMs: 5000, create: true });
    try {
      store.write(() => store.safelist.add(parseNetwork('100.64.4.0/24'), null, NOW));
      const stale = addresses.filter((address, i) => !fresh(i) && !address.startsWith('100.64.4.'));
      const options = { olderThan: 180 * DAY, includeManual: false, pause: async () => {} };
      const listed: string[] = [];
      const dry = await prune(store, DEFAULTS, NOW, undefined, { ...options, dryRun: true, onPruned: (page) => void listed.push(...page) });
      assert.deepEqual([dry.pruned, dry.events, dry.keptSafelisted, listed], [stale.length, stale.length, 171, stale]);
      assert.equal(count(db, 'bans'), 7000, 'a dry run deletes nothing');

      const pruned: string[] = [];
      const done = await prune(store, DEFAULTS, NOW, undefined, { ...options, dryRun: false, onPruned: (page) => void pruned.push(...page) });
      assert.deepEqual([done.pruned, done.events, done.keptSafelisted, pruned], [stale.length, stale.length, 171, stale]);
      const left = new Set(query<{ address: string }>(db, 'SELECT address FROM bans').map((row) => row.address));
      assert.deepEqual(addresses.filter((address) => left.has(address)), addresses.filter((address, i) => fresh(i) || address.startsWith('100.64.4.')));
    } finally {
      store.close();
    }
  });

  test('bad durations exit 2 and change nothing', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    await netns.cli(['--db', db, 'ban', '203.0.113.1']);
    for (const bad of ['90', '90 days', '-5d', '1.5d', 'd', '']) {
      const result = await netns.cli(['--db', db, 'prune', '--older-than', bad]);
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /^stickyban: invalid --older-than .*expected a number with a unit/);
    }
    assert.equal(count(db, 'bans'), 1);
  });

  test('300 ban hooks while a prune of 100k old rows runs: all 300 are stored', async () => {
    const netns = await Netns.create();
    const db = tempDb();
    seedBans(db, [...manyIPv4(100_000)].map((address) => ({ address, bannedAt: NOW - 365 * DAY })));
    const pruning = netns.cli(['--db', db, 'prune'], { env: { STICKYBAN_NOW: String(NOW) } });
    const fresh = Array.from({ length: 300 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
    const hooks = await Promise.all(fresh.map((address) => netns.cli(['--db', db, 'ban', address, '--jail', 'sshd'], { env: { STICKYBAN_NOW: String(NOW) } })));
    const pruned = await pruning;
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /pruned 100000 addresses/);
    assert.deepEqual(hooks.filter((result) => result.code !== 0).map((result) => result.stderr), []);
    assert.deepEqual(query(db, "SELECT address FROM bans WHERE address LIKE '198.18.%' ORDER BY id").map((row) => row.address).sort(), fresh.sort());
    assert.equal(count(db, 'bans'), 300);
  });
});
