// The read commands on a store of a million addresses, each in bounded memory, with its output read
// by a consumer that starts late (a pager, a slow gzip). Holding every row, as they once did, cost
// export 250-380 MB here, export --format json --family 6 and list --json --family 6 (200k rows)
// 340-400 MB and prune --dry-run 575-790 MB; list of 200k rows died in its table formatter. list and
// the json export read and write far more per row than the others: they list one family, 200k
// blocks, so that the test stays short.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns } from '../../helpers/netns.js';
import { countedCli } from '../../helpers/peak.js';
import { seedMany } from '../../helpers/seed.js';
import { tempDb } from '../../helpers/tmp.js';

const V4 = 800_000;
const V6 = 200_000;
/** 100.64.1.0/24, all banned. */
const SAFELISTED = 256;
const PLANNED = V4 + V6 - SAFELISTED;
const NOW = Date.parse('2026-11-21T12:00:00Z') / 1000;
const WHEN = '2026-10-22T12:00:00Z';
/** The highest IPv6 address banned (2001:db8::1:0:0 + V6 - 1), of jail nginx. */
const LAST_V6 = '2001:db8::1:3:d3f';
/**
 * Far below what holding the rows costs, and above what streaming them does: 100-160 MiB, most of
 * it V8 letting garbage grow before it collects (48 MiB for a store of three addresses).
 */
const PEAK_MIB = 200;

// One store for the subtests, one per command: seeding it takes a few seconds. Namespace and store
// go when the test ends, after its subtests.
test('a store of a million addresses: list, export and prune --dry-run in bounded memory', async (t) => {
  const netns = await Netns.create();
  const db = tempDb();
  seedMany(db, { v4: V4, v6: V6, bannedAt: NOW - 30 * 86_400 });
  const safelisted = await netns.cli(['--db', db, 'safelist', 'add', '100.64.1.0/24']);
  assert.equal(safelisted.code, 0, safelisted.stderr);
  const run = async (...args: string[]) => {
    const result = await countedCli(netns, ['--db', db, ...args], { env: { STICKYBAN_NOW: String(NOW) } });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(result.peakMiB <= PEAK_MIB, `${args.join(' ')}: peak RSS ${result.peakMiB.toFixed(0)} MiB, more than ${PEAK_MIB}`);
    return result;
  };

  await t.test('list: an aligned table, its widths from a first pass', async () => {
    const table = await run('list', '--family', '6');
    assert.equal(table.lines, 1 + V6);
    const row = (cells: string[]) => [cells[0]!.padEnd(18), cells[1]!.padEnd(9), cells[2]!.padEnd(4), cells[3]!.padEnd(7), cells[4]].join('  ');
    assert.equal(table.head.split('\n').slice(0, 3).join('\n'), [row(['ADDRESS', 'STATUS', 'BANS', 'JAILS', 'LAST BAN']), row(['2001:db8::1:0:0', 'permanent', '1', 'sshd', WHEN]), row(['2001:db8::1:0:1', 'permanent', '1', 'nginx', WHEN])].join('\n'));
    assert.ok(table.tail.endsWith(`\n${row([LAST_V6, 'permanent', '1', 'nginx', WHEN])}\n`), table.tail.slice(-200));
  });

  await t.test('list --json: an array of every block', async () => {
    const json = await run('list', '--json', '--family', '6');
    // Twelve lines for a block of one jail, as JSON.stringify(rows, null, 2) writes them.
    assert.equal(json.lines, 2 + 12 * V6);
    const first = { address: '2001:db8::1:0:0', family: 6, status: 'permanent', bans: 1, events: 1, jails: ['sshd'], first_banned: WHEN, last_banned: WHEN };
    assert.ok(json.head.startsWith(`${JSON.stringify([first], null, 2).slice(0, -2)},\n`), json.head.slice(0, 400));
    assert.ok(json.tail.endsWith(`},\n${JSON.stringify([{ ...first, address: LAST_V6, jails: ['nginx'] }], null, 2).slice(2)}\n`), json.tail.slice(-400));
  });

  await t.test('export: every planned entry', async () => {
    const plain = await run('export');
    assert.equal(plain.lines, PLANNED);
    assert.ok(plain.head.startsWith('100.64.0.0\n100.64.0.1\n') && plain.tail.endsWith(`\n${LAST_V6}\n`));
  });

  await t.test('export --format ipset: both sets, sized for their entries, and every entry', async () => {
    const ipset = await run('export', '--format', 'ipset');
    assert.equal(ipset.lines, 2 + PLANNED);
    assert.ok(ipset.head.startsWith('create stickyban4 hash:net family inet hashsize 262144 maxelem 2097152\nadd stickyban4 100.64.0.0\n'), ipset.head.slice(0, 200));
    assert.ok(ipset.tail.endsWith(`\nadd stickyban6 ${LAST_V6}\n`), ipset.tail.slice(-100));
  });

  await t.test('export --format nft: the table, its hosts set sized for its entries, and every entry', async () => {
    const nft = await run('export', '--format', 'nft');
    // The table's own lines: 4 before the sets, 10 for each family's two sets, 8 for the chain.
    assert.equal(nft.lines, PLANNED + 4 + 2 * 10 + 8);
    assert.match(nft.head, /\tset v4_hosts \{\n\t\ttype ipv4_addr\n\t\tsize 2097152\n\t\telements = \{\n\t\t\t100\.64\.0\.0,\n/);
  });

  await t.test('export --format json: every entry with its history', async () => {
    const json = await run('export', '--format', 'json', '--family', '6');
    assert.equal(json.lines, 2 + V6);
    const first = { address: '2001:db8::1:0:0', family: 6, events: 1, bans: 1, jails: ['sshd'], first_banned: WHEN, last_banned: WHEN };
    assert.ok(json.head.startsWith(`[\n  ${JSON.stringify(first)},\n  ${JSON.stringify({ ...first, address: '2001:db8::1:0:1', jails: ['nginx'] })},\n`), json.head.slice(0, 300));
    assert.ok(json.tail.endsWith(`  ${JSON.stringify({ ...first, address: LAST_V6, jails: ['nginx'] })}\n]\n`), json.tail.slice(-300));
  });

  await t.test('prune --dry-run --verbose: every address it would prune, and the count', async () => {
    const dry = await run('prune', '--dry-run', '--older-than', '7d', '--verbose');
    assert.equal(dry.lines, PLANNED + 1);
    assert.ok(dry.head.startsWith('  100.64.0.0\n  100.64.0.1\n'), dry.head.slice(0, 100));
    assert.ok(
      dry.tail.endsWith(`\n  ${LAST_V6}\ndry run: would prune ${PLANNED} addresses (${PLANNED} events) last banned before 2026-11-14T12:00:00Z (1w ago); kept the history of ${SAFELISTED} safelisted\n`),
      dry.tail.slice(-300),
    );
  });
});
