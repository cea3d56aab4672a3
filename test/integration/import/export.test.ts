import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parseHeader, parseMembers } from '../../../src/firewall/ipset/cmd.js';
import { Netns, requireTools } from '../../helpers/netns.js';
import { seedBans } from '../../helpers/seed.js';
import { query } from '../../helpers/sqlite.js';
import { tempDb } from '../../helpers/tmp.js';
import { fixture, sorted } from '../../unit/import/fixtures.js';
import { session, type Session } from './session.js';

/** A store with fail2ban's history, a list, a banned block cut by the safelist, and safelisted addresses. */
async function populated(): Promise<Session> {
  const s = await session();
  await s.ok(['import', fixture('fail2ban.sqlite3'), '--format', 'fail2ban-db']);
  await s.ok(['import', fixture('lists/shitlist.txt'), '--format', 'plain']);
  await s.ok(['ban', '198.51.100.0/24', '--reason', 'abuse report']);
  await s.ok(['safelist', 'add', '198.51.100.7']);
  await s.ok(['safelist', 'add', '192.0.2.0/25']);
  return s;
}

interface Exported {
  address: string;
  family: number;
  events: number;
  bans: number;
  jails: string[];
  first_banned: string;
  last_banned: string;
}

describe('export', () => {
  test('plain: the planned list (safelist applied); export → import into an empty store → export is identical', async () => {
    const a = await populated();
    const list = await a.ok(['export']);
    const lines = list.trimEnd().split('\n');
    assert.equal(new Set(lines).size, lines.length, 'no duplicates');
    assert.ok(!lines.includes('198.51.100.7') && !lines.includes('198.51.100.0/24'), 'the safelist cut the block');
    assert.ok(lines.includes('198.51.100.128/25') && lines.includes('198.51.100.6'), 'into the CIDRs that remain');
    assert.ok(!lines.some((line) => /^192\.0\.2\.([0-9]|[1-9][0-9]|1[01][0-9]|12[0-7])$/.test(line)), 'nothing of 192.0.2.0/25');
    const v6 = lines.findIndex((line) => line.includes(':'));
    assert.ok(v6 > 0 && lines.slice(v6).every((line) => line.includes(':')), 'IPv4 first, then IPv6');
    assert.equal(await a.ok(['export', '--family', '4']), `${lines.slice(0, v6).join('\n')}\n`);
    assert.equal(await a.ok(['export', '--family', '6', '--format', 'plain']), `${lines.slice(v6).join('\n')}\n`);

    const b = await session(a.netns);
    await b.ok(['import', '-', '--format', 'plain', '--strict'], list);
    assert.equal(await b.ok(['export']), list);
  });

  test('json: each entry with its history (events, new offences, jails, first and last ban)', async () => {
    const s = await populated();
    const entries = JSON.parse(await s.ok(['export', '--format', 'json'])) as Exported[];
    assert.deepEqual(entries.map((entry) => entry.address), (await s.ok(['export'])).trimEnd().split('\n'));
    const byAddress = new Map(entries.map((entry) => [entry.address, entry]));

    // fail2ban's history of one address, straight from the store.
    const [busiest] = query<{ address: string; events: number }>(
      s.db,
      "SELECT address, count(*) AS events FROM bans WHERE source = 'import:fail2ban-db' GROUP BY address ORDER BY events DESC, address LIMIT 1",
    );
    const rows = query<{ jail: string; banned_at: number }>(s.db, 'SELECT jail, banned_at FROM bans WHERE address = ?', busiest!.address);
    const entry = byAddress.get(busiest!.address)!;
    assert.equal(entry.events, rows.length);
    assert.equal(entry.bans, rows.length);
    assert.deepEqual(entry.jails, sorted(new Set(rows.map((row) => row.jail))));
    assert.equal(entry.first_banned, new Date(Math.min(...rows.map((row) => row.banned_at)) * 1000).toISOString().replace('.000Z', 'Z'));
    assert.equal(entry.last_banned, new Date(Math.max(...rows.map((row) => row.banned_at)) * 1000).toISOString().replace('.000Z', 'Z'));
    assert.ok(entry.events > 1, 'an address banned more than once');

    // A piece of the block the safelist cut carries the block's history.
    // It meets the /24 itself and every banned address in 198.51.100.128-255.
    const piece = byAddress.get('198.51.100.128/25')!;
    const inside = query<{ address: string; jail: string }>(s.db, "SELECT address, jail FROM bans WHERE address LIKE '198.51.100.%'").filter(
      (row) => row.address === '198.51.100.0/24' || Number(row.address.split('.')[3]) >= 128,
    );
    assert.deepEqual([piece.family, piece.events, piece.jails], [4, inside.length, sorted(new Set(inside.map((row) => row.jail)))]);
    assert.ok(piece.jails.includes('manual') && inside.length > 1);
  });

  test('ipset: the script loads with `ipset restore` into a namespace without our sets', async () => {
    await requireTools('ipset');
    const s = await populated();
    const lines = (await s.ok(['export'])).trimEnd().split('\n');
    const fresh = await Netns.create();
    await fresh.exec('ipset', ['restore'], { input: await s.ok(['export', '--format', 'ipset']) });
    const v4 = parseMembers(await fresh.exec('ipset', ['list', 'stickyban4']));
    const v6 = parseMembers(await fresh.exec('ipset', ['list', 'stickyban6']));
    assert.deepEqual(sorted([...v4, ...v6]), sorted(lines));
    assert.ok(v6.length > 0 && v4.length > 0);
    const header = parseHeader(await fresh.exec('ipset', ['list', '-t', 'stickyban6']));
    assert.deepEqual([header.type, header.family, header.entries], ['hash:net', 'inet6', v6.length]);

    // --family 6: only the IPv6 set.
    const other = await Netns.create();
    await other.exec('ipset', ['restore'], { input: await s.ok(['export', '--format', 'ipset', '--family', '6']) });
    assert.deepEqual((await other.exec('ipset', ['list', '-n'])).trim().split('\n'), ['stickyban6']);
  });

  test('nft: the file loads with `nft -f -` into a namespace and holds every entry', async () => {
    await requireTools('nft');
    const s = await populated();
    const lines = (await s.ok(['export'])).trimEnd().split('\n');
    const fresh = await Netns.create();
    await fresh.exec('nft', ['-f', '-'], { input: await s.ok(['export', '--format', 'nft']) });
    const listing = JSON.parse(await fresh.exec('nft', ['-j', 'list', 'table', 'inet', 'stickyban'])) as { nftables: Array<Record<string, any>> };
    const elements: string[] = [];
    for (const item of listing.nftables) {
      for (const element of (item.set?.elem ?? []) as unknown[]) {
        if (typeof element === 'string') elements.push(element);
        else if ((element as any).prefix) elements.push(`${(element as any).prefix.addr}/${(element as any).prefix.len}`);
        else elements.push(JSON.stringify(element));
      }
    }
    assert.deepEqual(sorted(elements), sorted(lines));
    assert.ok(listing.nftables.some((item) => item.chain?.name === 'input' && item.chain?.hook === 'input'), 'with its input hook chain');
  });

  test('an empty store exports an empty list; no store at all is an error; a bad --format or --family is exit 2', async () => {
    const s = await session(undefined, tempDb());
    const none = await s.run(['export']);
    assert.deepEqual([none.code, none.stdout], [1, '']);
    assert.match(none.stderr, /^stickyban: no store at .*: stickyban init creates it/);
    assert.equal(existsSync(s.db), false, 'a read does not create a store');
    seedBans(s.db, []);
    assert.equal(await s.ok(['export']), '');
    assert.equal(await s.ok(['export', '--format', 'json']), '[]\n');
    const bad = await s.run(['export', '--format', 'csv']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, 'stickyban: invalid --format "csv": expected one of plain, ipset, nft, json\n');
    assert.equal((await s.run(['export', '--family', '5'])).code, 2);
  });
});
