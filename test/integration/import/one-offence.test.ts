// One ban of fail2ban is one offence, whichever sources told the store about it: the hook when it
// happened, fail2ban's database (the time of the failure that completed it, and its bantime) and
// fail2ban's log (the time fail2ban acted). With the real fixtures of test/fixtures/fail2ban.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { configuredNewStore } from '../../helpers/store.js';
import { query } from '../../helpers/sqlite.js';
import { Netns } from '../../helpers/netns.js';
import { fixture, fixtureLines } from '../../unit/import/fixtures.js';

/** After the fixture's run (2026-11-21 09:18-09:41 UTC), so nothing has expired. */
const AFTER_THE_RUN = '2026-11-21T10:00:00Z';

async function setup(toml = '') {
  const netns = await Netns.create();
  const { db, config } = configuredNewStore(toml);
  const cli = async (args: readonly string[], now = AFTER_THE_RUN): Promise<string> => {
    const result = await netns.cli(['--db', db, '--config', config, ...args], { env: { TZ: 'UTC', STICKYBAN_NOW: now } });
    assert.equal(result.code, 0, `stickyban ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const importJson = async (file: string, format: string) => JSON.parse(await cli(['import', fixture(file), '--format', format, '--json'])) as { found: number; added: number; duplicates: number };
  return { db, cli, importJson };
}

/** Offences (events that are not replays) per "address jail", as the store holds them. */
function storedOffences(db: string): Map<string, number> {
  const rows = query<{ key: string; n: number }>(db, "SELECT address || ' ' || jail AS key, count(*) AS n FROM bans WHERE restored = 0 GROUP BY address, jail");
  return new Map(rows.map((row) => [row.key, row.n]));
}

/**
 * What the fixtures say, counted here on their own: per address and jail, the rows of fail2ban's
 * `bans` table and the `Ban` lines of its log. Every row has its line; a line has no row when the ban
 * was lifted with fail2ban-client unbanip (fail2ban deletes the row). So each pair was banned
 * max(rows, lines) times.
 */
function fixtureBans(): Map<string, number> {
  const source = new Database(fixture('fail2ban.sqlite3'), { readonly: true });
  const rows = source.prepare("SELECT ip || ' ' || jail AS key, count(*) AS n FROM bans GROUP BY ip, jail").all() as Array<{ key: string; n: number }>;
  source.close();
  const lines = new Map<string, number>();
  for (const line of fixtureLines('fail2ban.log')) {
    const match = / \[([^\]]+)\] Ban (\S+)$/.exec(line);
    if (match) lines.set(`${match[2]} ${match[1]}`, (lines.get(`${match[2]} ${match[1]}`) ?? 0) + 1);
  }
  const bans = new Map(lines);
  for (const { key, n } of rows) bans.set(key, Math.max(n, bans.get(key) ?? 0));
  return bans;
}

describe('one offence, several sources', () => {
  test('a hook ban, then fail2ban\'s database and its log of the same ban: one ban, and min_bans = 3 does not make it permanent', async () => {
    const { cli, importJson } = await setup('[policy]\nmin_bans = 3\n');
    // fail2ban logged "[sshd-hourly] Ban 170.185.38.101" at 09:18:46 (its row: the failure of 08:33:39,
    // bantime 1d) and replayed it after its restart at 09:34:22.
    await cli(['ban', '170.185.38.101', '--jail', 'sshd-hourly', '--bantime', '86400', '--source', 'fail2ban'], '2026-11-21T09:18:46Z');
    await cli(['ban', '170.185.38.101', '--jail', 'sshd-hourly', '--bantime', '86400', '--source', 'fail2ban', '--restored', '1'], '2026-11-21T09:34:22Z');
    await importJson('fail2ban.sqlite3', 'fail2ban-db');
    await importJson('fail2ban.log', 'fail2ban-log');

    const listed = (JSON.parse(await cli(['list', '--json'])) as Array<{ address: string; status: string; bans: number }>).find((row) => row.address === '170.185.38.101');
    assert.deepEqual([listed?.bans, listed?.status], [1, 'pending'], 'banned once: not permanent under min_bans = 3');
    assert.doesNotMatch(await cli(['export']), /^170\.185\.38\.101$/m);
  });

  test("fail2ban's database, then its log, or the other way round: each ban of the run once, two bans of one address in one jail twice", async () => {
    const bans = fixtureBans();
    assert.equal([...bans.values()].reduce((sum, n) => sum + n, 0), 317, "the fixture's 317 Ban lines: 313 with their row, 4 lifted by hand");
    for (const order of [
      [['fail2ban.sqlite3', 'fail2ban-db'], ['fail2ban.log', 'fail2ban-log']],
      [['fail2ban.log', 'fail2ban-log'], ['fail2ban.sqlite3', 'fail2ban-db']],
    ]) {
      const { db, importJson } = await setup();
      for (const [file, format] of order) await importJson(file!, format!);
      assert.deepEqual(storedOffences(db), bans, `${order[0]![1]} first`);
      // The six addresses fail2ban banned twice in sshd (their first ban expired before the restart).
      assert.equal(storedOffences(db).get('192.0.2.205 sshd'), 2);

      // Both again: every event is there already.
      for (const [file, format] of order) assert.equal((await importJson(file!, format!)).added, 0, `${file} again`);
      assert.deepEqual(storedOffences(db), bans);
    }
  });
});
