// The route backend against a real kernel: a fresh network namespace per test, the real CLI, routes
// read back with `ip -j route`.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CliResult } from '../../helpers/cli.js';
import { Netns } from '../../helpers/netns.js';
import { configuredNewStore, tempStore } from '../../helpers/store.js';
import { pings, wire } from '../../helpers/veth.js';
import type { Cidr } from '../../../src/address/network.js';
import { parseNetwork } from '../../../src/address/parse.js';
import { routeLine } from '../../../src/firewall/route/parse.js';

const METRIC = 777;

interface Setup {
  readonly netns: Netns;
  /** The CLI with a config file that selects the route backend: bans and unbans change routes at once. */
  readonly cli: (...args: string[]) => Promise<string>;
  /**
   * The CLI on the same store without that config (the default ipset backend, which finds no set and
   * changes nothing): the store changes and the routes do not, so only a restore can bring them along.
   */
  readonly offline: (...args: string[]) => Promise<string>;
  /** The CLI with that config, its exit code and stderr as they are. */
  readonly raw: (...args: string[]) => Promise<CliResult>;
}

async function setup(): Promise<Setup> {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore(`backend = "route"\n\n[route]\nmetric = ${METRIC}\n`);
  const runner = (extra: string[]) => async (...args: string[]): Promise<string> => {
    const result = await netns.cli(['--db', db, ...extra, ...args]);
    assert.equal(result.code, 0, `stickyban ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return { netns, cli: runner(['--config', config]), offline: runner([]), raw: (...args) => netns.cli(['--db', db, '--config', config, ...args]) };
}

/** Blackhole routes of the main table as "<dst> metric <m>", in ip's order. */
async function blackholes(netns: Netns, family: 4 | 6): Promise<string[]> {
  const routes = JSON.parse(await netns.exec('ip', ['-j', ...(family === 6 ? ['-6'] : []), 'route', 'show', 'type', 'blackhole'])) as Array<{ dst: string; metric?: number }>;
  return routes.map((route) => `${route.dst} metric ${route.metric ?? 0}`);
}

const ours = async (netns: Netns, family: 4 | 6) => (await blackholes(netns, family)).filter((route) => route.endsWith(` metric ${METRIC}`)).map((route) => route.split(' ')[0]!).sort();

describe('route backend', () => {
  test('restore adds a blackhole route with the configured metric for exactly each planned entry', async () => {
    const { netns, cli, offline } = await setup();
    for (const ban of ['192.0.2.1', '198.51.100.0/29', '203.0.113.5', '2001:db8::/32', '2001:db8:1::7', 'fd00:1::7']) await offline('ban', ban);
    await offline('safelist', 'add', '198.51.100.2');
    assert.deepEqual(await blackholes(netns, 4), []);
    assert.match(await cli('restore'), /IPv4 blackhole routes: 5 added, 0 removed\nIPv6 blackhole routes: 2 added, 0 removed\nrestored 5 IPv4 and 2 IPv6 entries with route in [\d.]+ s \(0 banned blocks safelisted, 1 split around the safelist\)\n/);
    // 198.51.100.0/29 minus .2 is .0/31, .3, .4/30; 2001:db8:1::7 is inside 2001:db8::/32.
    assert.deepEqual(await ours(netns, 4), ['192.0.2.1', '198.51.100.0/31', '198.51.100.3', '198.51.100.4/30', '203.0.113.5']);
    assert.deepEqual(await ours(netns, 6), ['2001:db8::/32', 'fd00:1::7']);
    assert.match(await cli('restore'), /^restored 5 IPv4 and 2 IPv6 entries/, 'a second restore changes nothing');
    assert.equal((await ours(netns, 4)).length, 5);
  });

  test("routes the admin added with another metric, or of another type, are left alone", async () => {
    const { netns, cli, offline } = await setup();
    await netns.exec('ip', ['route', 'add', 'blackhole', '192.0.2.1', 'metric', '100']);
    await netns.exec('ip', ['route', 'add', 'blackhole', '192.0.2.99']);
    await netns.exec('ip', ['-6', 'route', 'add', 'blackhole', '2001:db8::1', 'metric', '100']);
    await netns.exec('ip', ['route', 'add', 'unreachable', '192.0.2.1', 'metric', String(METRIC + 1)]);
    const before = [await blackholes(netns, 4), await blackholes(netns, 6)];
    await offline('ban', '192.0.2.1');
    await offline('ban', '2001:db8::1');
    await cli('restore');
    assert.deepEqual(await ours(netns, 4), ['192.0.2.1']);
    await offline('unban', '192.0.2.1');
    await offline('unban', '2001:db8::1');
    // The store plans nothing now: emptying the live set is the admin's decision (--force).
    await cli('restore', '--force');
    assert.deepEqual(await ours(netns, 4), []);
    assert.deepEqual([await blackholes(netns, 4), await blackholes(netns, 6)], before);
    assert.match(await netns.exec('ip', ['route', 'show', 'type', 'unreachable']), /^unreachable 192\.0\.2\.1 metric 778 \n$/);
  });

  test('a route of another type with our metric to a banned address is made a blackhole, not reported done and left', async () => {
    const { netns, cli } = await setup();
    await netns.exec('ip', ['route', 'add', '192.0.2.8', 'dev', 'lo', 'metric', String(METRIC)]);
    await cli('restore');
    await cli('ban', '192.0.2.8');
    assert.deepEqual(await ours(netns, 4), ['192.0.2.8']);
    assert.match(await cli('restore'), /^restored 1 IPv4 and 0 IPv6 entries/, 'the next restore finds it in place');
  });

  test('routes that vanished with lo (ifdown -a) are noticed by restore --if-missing and put back', async () => {
    const { netns, cli } = await setup();
    for (const ban of ['192.0.2.1', '2001:db8::1', '2001:db8:2::/48']) await cli('ban', ban);
    await cli('restore');
    assert.match(await cli('restore', '--if-missing'), /nothing to restore/);
    // Taking lo down removes every IPv6 route through it, blackholes included.
    await netns.exec('ip', ['link', 'set', 'lo', 'down']);
    await netns.exec('ip', ['link', 'set', 'lo', 'up']);
    assert.deepEqual(await ours(netns, 6), []);
    assert.match(await cli('restore', '--if-missing'), new RegExp(`missing: IPv6 blackhole routes with metric ${METRIC} are gone \\(none for 2001:db8::1, the first planned entry, nor any other\\)`));
    assert.deepEqual(await ours(netns, 6), ['2001:db8:2::/48', '2001:db8::1']);
    assert.deepEqual(await ours(netns, 4), ['192.0.2.1']);
    // An admin's more specific route wins the lookup of the first entry: not taken for missing routes.
    await netns.exec('ip', ['-6', 'route', 'add', '2001:db8::1/128', 'dev', 'lo', 'metric', '5']);
    assert.match(await cli('restore', '--if-missing'), /nothing to restore/);
  });

  test('a restore after unbanning some addresses removes exactly their routes', async () => {
    const { netns, cli, offline } = await setup();
    const v4 = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '198.51.100.0/24'];
    const v6 = ['2001:db8::1', '2001:db8::2', '2001:db8:5::/48'];
    for (const ban of [...v4, ...v6]) await offline('ban', ban);
    await cli('restore');
    assert.deepEqual(await ours(netns, 4), [...v4].sort());
    for (const lifted of ['192.0.2.2', '198.51.100.0/24', '2001:db8::1']) await offline('unban', lifted);
    assert.equal((await ours(netns, 4)).length, 4, 'the routes are still there');
    assert.match(await cli('restore'), /IPv4 blackhole routes: 0 added, 2 removed\nIPv6 blackhole routes: 0 added, 1 removed/);
    assert.deepEqual(await ours(netns, 4), ['192.0.2.1', '192.0.2.3']);
    assert.deepEqual(await ours(netns, 6), ['2001:db8:5::/48', '2001:db8::2'], 'sorted as text');
  });

  test('a ban adds its route at once, a safelist entry takes it out at once, a route gone by hand fails nothing', async () => {
    const { netns, cli } = await setup();
    await cli('restore');
    assert.equal(await cli('ban', '192.0.2.7'), 'banned 192.0.2.7 (jail manual)\n');
    await cli('ban', '2001:db8::/126');
    assert.deepEqual(await ours(netns, 4), ['192.0.2.7']);
    assert.deepEqual(await ours(netns, 6), ['2001:db8::/126']);

    await cli('safelist', 'add', '2001:db8::2');
    assert.deepEqual(await ours(netns, 6), ['2001:db8::/127', '2001:db8::3']);
    await cli('unban', '2001:db8::/126');
    assert.deepEqual(await ours(netns, 6), []);

    // Deleted behind stickyban's back: the safelist's delete finds nothing, and that is fine.
    await netns.exec('ip', ['route', 'del', 'blackhole', '192.0.2.7', 'metric', String(METRIC)]);
    assert.equal(await cli('safelist', 'add', '192.0.2.7'), 'safelisted 192.0.2.7; 1 live entry removed\n');
    assert.deepEqual(await ours(netns, 4), []);
  });

  test('the backend is chosen by flag too', async () => {
    const netns = await Netns.create();
    const db = tempStore();
    assert.equal((await netns.cli(['--db', db, 'ban', '192.0.2.1'])).code, 0);
    const restored = await netns.cli(['--db', db, 'restore', '--backend', 'route']);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(await blackholes(netns, 4), ['192.0.2.1 metric 4242'], 'the default metric');
  });

  test("an admin's route or policy rule that wins the lookup over a blackhole: packets pass, and doctor, list --live and show say so", async () => {
    const { netns, cli, raw } = await setup();
    const sources = ['10.9.0.7', '10.9.1.7', '10.8.2.7', '10.9.3.7'];
    const link = await wire(netns, sources);
    const links = JSON.parse(await netns.exec('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>;
    const dev = links.map((entry) => entry.ifname).find((name) => name.startsWith('sbs'))!;
    await cli('ban', '10.9.0.0/16');
    await cli('ban', '10.8.2.7');
    await cli('restore');
    for (const source of sources) assert.equal(await pings(link, source), false, `${source} is blocked`);
    const warnings = async () => {
      const findings = JSON.parse((await raw('doctor', '--json')).stdout) as Array<{ status: string; check: string; detail: string }>;
      return findings.filter((finding) => finding.check === 'IPv4 routes ahead of the blackhole routes');
    };
    assert.deepEqual(await warnings(), [], 'the wire\'s default route is less specific than every blackhole');

    // More specific than the banned /16; the same /32 with a lower metric; a rule ahead of main.
    await netns.exec('ip', ['route', 'add', '10.9.1.0/24', 'dev', dev]);
    await netns.exec('ip', ['route', 'add', '10.8.2.7/32', 'dev', dev, 'metric', '5']);
    await netns.exec('ip', ['route', 'add', '10.9.3.0/24', 'dev', dev, 'table', '100']);
    await netns.exec('ip', ['rule', 'add', 'to', '10.9.3.0/24', 'lookup', '100', 'pref', '100']);
    assert.deepEqual(
      await Promise.all(sources.map((source) => pings(link, source))),
      [false, true, true, true],
      'what the admin routes passes',
    );
    const [warning] = await warnings();
    assert.equal(warning?.status, 'WARN');
    assert.match(warning.detail, new RegExp(`\`10\\.9\\.1\\.0/24 dev ${dev}\` wins the lookup over the blackhole route 10\\.9\\.0\\.0/16`));
    assert.match(warning.detail, new RegExp(`\`10\\.8\\.2\\.7 dev ${dev} metric 5\` wins the lookup over the blackhole route 10\\.8\\.2\\.7:`));
    assert.match(warning.detail, /`ip rule` 100: from all to 10\.9\.3\.0\/24 lookup 100 is looked up before the main table, and table 100 routes 10\.9\.3\.0\/24 dev \w+/);

    const listed = await raw('list', '--live');
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, /the IPv4 live set does not see every packet: IPv4 routes ahead of the blackhole routes .*`10\.9\.1\.0\/24 dev/);
    const shown = JSON.parse((await raw('show', '10.9.0.0/16', '--json')).stdout) as { live_warning?: string };
    assert.match(shown.live_warning ?? '', /unless a rule ahead of the drop lets it through: IPv4 routes ahead of the blackhole routes/);
    assert.match(await cli('show', '10.8.2.7'), /not/, 'an address is looked up in the kernel');

    // Routes that reach no banned address are no warning.
    await netns.exec('ip', ['route', 'del', '10.9.1.0/24', 'dev', dev]);
    await netns.exec('ip', ['route', 'del', '10.8.2.7/32', 'dev', dev, 'metric', '5']);
    await netns.exec('ip', ['route', 'replace', '10.7.0.0/24', 'dev', dev, 'table', '100']);
    await netns.exec('ip', ['route', 'del', '10.9.3.0/24', 'dev', dev, 'table', '100']);
    assert.deepEqual(await warnings(), []);
  });

  test('a batch line cut short anywhere (its writer killed mid-line) fails, or leaves a route of ours, never one of the admin\'s metric', async () => {
    const netns = await Netns.create();
    const entries = [[4, '198.51.100.45'], [4, '203.0.113.128/25'], [6, '2001:db8:1::45'], [6, '2001:db8:100::/40']] as const;
    const lines = (verb: 'add' | 'del') => entries.map(([family, text]) => routeLine(verb, family, parseNetwork(text) as Cidr<number | bigint>, METRIC).trimEnd());
    // Every cut of every line, each the last of a batch, as a killed writer leaves it: ip runs it.
    const cuts = (verb: 'add' | 'del') => lines(verb).flatMap((line) => Array.from({ length: line.length }, (_, end) => line.slice(0, end + 1)));
    const runCuts = (verb: 'add' | 'del') => Promise.all(cuts(verb).map((cut) => netns.exec('ip', ['-batch', '-'], { input: cut }).catch(() => undefined)));
    await runCuts('add');
    const all = [...(await blackholes(netns, 4)), ...(await blackholes(netns, 6))];
    assert.ok(all.length > 0, 'the whole lines were added');
    assert.deepEqual(all.filter((route) => !route.endsWith(` metric ${METRIC}`)), [], 'no blackhole of another metric');
    // The admin's own blackholes at the same places are not touched by cut deletes.
    for (const [family, text] of entries) await netns.exec('ip', [...(family === 6 ? ['-6'] : []), 'route', 'add', 'blackhole', text, 'metric', '5']);
    await runCuts('del');
    const admin = [...(await blackholes(netns, 4)), ...(await blackholes(netns, 6))].filter((route) => route.endsWith(' metric 5'));
    assert.equal(admin.length, entries.length, `the admin's routes stay: ${admin.join(', ')}`);
  });
});
